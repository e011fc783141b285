// `npm run access-sync -- --grafana-url http://127.0.0.1:3000 [--dry-run] [--policy file]`
// Makes a Grafana's users, teams, folders and folder permissions match policy/policy.yml.
// Credentials from the environment: GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD.
// PAYWATCH_DEMO_PASSWORD sets the password of the demo users it creates (else random, printed).
import { parseArgs } from 'node:util';
import { desiredState } from '../access/desired.ts';
import { credentialsFromEnv, GrafanaClient } from '../access/grafana.ts';
import { loadPolicy, POLICY_FILE } from '../access/policy.ts';
import { apply, describe, plan } from '../access/sync.ts';

export async function main(argv: string[], log: (line: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'grafana-url': { type: 'string', default: process.env.GRAFANA_URL },
      'dry-run': { type: 'boolean', default: false },
      policy: { type: 'string', default: POLICY_FILE },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values['grafana-url']) {
    log('usage: npm run access-sync -- --grafana-url http://127.0.0.1:3000 [--dry-run] [--policy policy/policy.yml]');
    log('credentials: GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD (a server admin, to create users)');
    return values.help ? 0 : 2;
  }
  const policy = loadPolicy(values.policy);
  const desired = desiredState(policy);
  const grafana = new GrafanaClient(values['grafana-url'], credentialsFromEnv());
  const health = await grafana.health();
  log(`access sync: Grafana ${health.version ?? '(version unknown)'} at ${values['grafana-url']}, policy ${values.policy}`);
  log(`access sync: policy wants ${desired.users.length} users, ${desired.teams.length} teams, ${desired.folders.length} folders`);
  const actions = await plan(grafana, desired);
  if (actions.length === 0) {
    log('access sync: Grafana already matches the policy; nothing to do');
    return 0;
  }
  if (values['dry-run']) {
    log(`access sync: plan (${actions.length} changes, dry run: nothing changed):`);
    for (const action of actions) log(`  ${describe(action)}`);
    return 0;
  }
  log(`access sync: applying ${actions.length} changes:`);
  await apply(grafana, desired, actions, { password: process.env.PAYWATCH_DEMO_PASSWORD, log });
  const left = await plan(grafana, desired);
  if (left.length) {
    log(`access sync: ${left.length} differences remain after applying:`);
    for (const action of left) log(`  ${describe(action)}`);
    return 1;
  }
  log('access sync: done; Grafana matches the policy');
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`access sync: ${error.message}`);
      process.exit(1);
    },
  );
}
