// `npm run access-sync -- --grafana-url http://127.0.0.1:3000 [--dry-run] [--policy file]
//    [--identities FILE] [--adopt LOGIN ...] [--adopt-existing]`
// Makes a Grafana's users, teams, folders and folder permissions match policy/policy.yml, and
// (with --identities) records which Grafana user each policy login is bound to, for the scope
// proxy's grafana-id mode (stack/src/access/identities.ts says why a login alone is not enough).
// Credentials from the environment: GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD.
// PAYWATCH_DEMO_PASSWORD sets the password of the demo users it creates (else random, printed).
import { optionsUsage, OptionsError, parseOptions, type OptionSpec, type OptionTable } from '@paywatch/runtime';
import { readIdentities, writeIdentities } from '@paywatch/scope-proxy';
import { desiredState } from '../access/desired.ts';
import { credentialsFromEnv, GrafanaClient } from '../access/grafana.ts';
import { resolveBindings, withoutBlocked } from '../access/identities.ts';
import { loadPolicy, POLICY_FILE } from '../access/policy.ts';
import { apply, describe, plan } from '../access/sync.ts';

export const OPTIONS = {
  grafanaUrl: { flag: 'grafana-url', env: 'GRAFANA_URL', type: 'url', help: 'the Grafana to bring in line with the policy (required)' },
  dryRun: { flag: 'dry-run', env: null, type: 'boolean', default: false, help: 'print the plan, change nothing' },
  policy: { flag: 'policy', env: null, type: 'string', default: POLICY_FILE, help: 'the policy file' },
  identities: {
    flag: 'identities',
    env: 'PAYWATCH_IDENTITIES_FILE',
    type: 'string',
    help: "record the Grafana user bound to each policy login, for the scope proxy's --identity grafana-id; a login held by a user access sync did not create is left out until an operator vouches for it",
  },
  adopt: {
    flag: 'adopt',
    env: null,
    type: 'list',
    default: [],
    help: 'vouch for the existing Grafana user holding this policy login (repeatable)',
  },
  adoptExisting: { flag: 'adopt-existing', env: null, type: 'boolean', default: false, help: 'vouch for every existing user' },
} as const satisfies Record<string, OptionSpec>;

export const OPTION_TABLE: OptionTable<typeof OPTIONS> = {
  component: 'access-sync',
  envPrefix: null,
  usage: `usage: npm run access-sync -- --grafana-url http://127.0.0.1:3000 [--dry-run] [--policy policy/policy.yml]
         [--identities FILE] [--adopt LOGIN ...] [--adopt-existing]
credentials: GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD (a server admin, to create users);
PAYWATCH_DEMO_PASSWORD: the password of the demo users it creates (else random, printed)`,
  options: OPTIONS,
};

/** Runs access sync with these arguments and this environment (read, never written); returns the exit status. */
export async function main(
  argv: string[],
  log: (line: string) => void = console.log,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(OPTION_TABLE, argv, env);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    log(`access sync: ${error.message}`);
    return 2;
  }
  const { values, help } = parsed;
  if (help || !values.grafanaUrl) {
    log(optionsUsage(OPTION_TABLE));
    if (!help) log('access sync: --grafana-url (GRAFANA_URL) is required');
    return help ? 0 : 2;
  }
  const policy = loadPolicy(values.policy);
  const wanted = desiredState(policy);
  const credentials = credentialsFromEnv(env as NodeJS.ProcessEnv);
  const grafana = new GrafanaClient(values.grafanaUrl, credentials);
  const health = await grafana.health();
  log(`access sync: Grafana ${health.version ?? '(version unknown)'} at ${values.grafanaUrl}, policy ${values.policy}`);
  log(`access sync: policy wants ${wanted.users.length} users, ${wanted.teams.length} teams, ${wanted.folders.length} folders`);

  // Identity bindings: logins held by a user that is not (yet) the bound one are left out.
  const identitiesFile = values.identities;
  const bindingOptions = { adopt: new Set(values.adopt ?? []), adoptExisting: values.adoptExisting ?? false };
  const unknown = [...bindingOptions.adopt].filter((login) => !wanted.users.some((user) => user.login === login));
  if (unknown.length) throw new Error(`--adopt names logins that are not in the policy: ${unknown.join(', ')}`);
  // Whoever runs access sync vouches for their own Grafana user (e.g. `admin`, which Grafana made).
  if (identitiesFile && credentials.user) {
    const me = await grafana.signedInUser();
    if (wanted.users.some((user) => user.login === me.login)) bindingOptions.adopt.add(me.login);
  }
  const current = identitiesFile ? readIdentities(identitiesFile) : new Map();
  const before = identitiesFile ? resolveBindings(wanted, await grafana.orgUsers(), current, new Set(), bindingOptions) : undefined;
  const desired = before ? withoutBlocked(wanted, before.blocked) : wanted;
  for (const note of before?.notes ?? []) log(`access sync: ${note}`);
  if (!identitiesFile) log("access sync: not recording identities (no --identities): the scope proxy's grafana-id mode needs them");

  const actions = await plan(grafana, desired);
  if (values.dryRun) {
    if (actions.length === 0) log('access sync: Grafana already matches the policy; nothing to do');
    else {
      log(`access sync: plan (${actions.length} changes, dry run: nothing changed):`);
      for (const action of actions) log(`  ${describe(action)}`);
    }
    return 0;
  }
  let created = new Set<string>();
  if (actions.length === 0) log('access sync: Grafana already matches the policy; nothing to do');
  else {
    log(`access sync: applying ${actions.length} changes:`);
    created = await apply(grafana, desired, actions, { password: env.PAYWATCH_DEMO_PASSWORD, log });
    const left = await plan(grafana, desired);
    if (left.length) {
      log(`access sync: ${left.length} differences remain after applying:`);
      for (const action of left) log(`  ${describe(action)}`);
      return 1;
    }
    log('access sync: done; Grafana matches the policy');
  }
  if (identitiesFile && before) {
    // Blocked logins keep their binding (to the real person); new users are bound as created.
    const after = resolveBindings(wanted, await grafana.orgUsers(), before.bindings, created, { adopt: new Set(), adoptExisting: false });
    for (const note of after.notes) if (!before.notes.includes(note)) log(`access sync: ${note}`);
    const changed = JSON.stringify([...after.bindings].sort()) !== JSON.stringify([...current].sort());
    if (changed) writeIdentities(identitiesFile, after.bindings, values.grafanaUrl);
    log(
      `access sync: ${after.bindings.size} of ${wanted.users.length} policy logins bound to their Grafana user in ${identitiesFile}${changed ? '' : ' (unchanged)'}`,
    );
    if (before.blocked.size) {
      log(`access sync: ${before.blocked.size} logins left out until fixed: ${[...before.blocked].join(', ')}`);
      return 1;
    }
  }
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
