// `npm start [-- options]`: the whole of Paywatch on this machine (see config.ts for options).
// Installs what it needs, starts every part in order and waits for each, prints where to look,
// and stops everything on Ctrl-C (SIGINT) or SIGTERM.
import { parseOrExit } from '@paywatch/runtime';
import { loadPolicy } from '../access/policy.ts';
import { OPTION_TABLE, parseStackConfig, type StackConfig } from '../config.ts';
import { consoleProgress, startStack } from '../stack.ts';

/** One demo person per role of policy/policy.yml, to log in to Grafana as. */
function demoLogins(): string[] {
  const seen = new Map<string, string>();
  const policy = loadPolicy();
  for (const person of policy.people)
    if (!seen.has(person.role) && policy.roles[person.role]?.grafana_role !== 'Admin') seen.set(person.role, person.login);
  return [...seen].map(([role, login]) => `${login} (${role.replace(/_/g, ' ')})`);
}

const log = (line: string) => console.log(line);
// A malformed or unknown option exits 2 with what to fix; --help prints the options and exits 0.
const config = parseOrExit('paywatch', OPTION_TABLE, () => {
  const parsed = parseStackConfig(process.argv.slice(2));
  return parsed === 'help' ? { help: true as const } : parsed;
}) as StackConfig;

const progress = consoleProgress(log);
progress.info(`data directory ${config.dataDir}`);
let stack: Awaited<ReturnType<typeof startStack>> | undefined;
let stopping = false;
const startup = new AbortController();
const stop = async (why: string, code: number) => {
  if (stopping) return;
  stopping = true;
  progress.info(`${why}: stopping everything ...`);
  if (stack) await stack.stop();
  else {
    // Still starting: startStack stops what it has started and returns (throws 'aborted').
    startup.abort();
    return;
  }
  progress.info('stopped');
  process.exit(code);
};
process.on('SIGINT', () => void stop('Ctrl-C', 0));
process.on('SIGTERM', () => void stop('SIGTERM', 0));

try {
  stack = await startStack(config, progress, startup.signal);
} catch (error) {
  if (startup.signal.aborted) {
    progress.info('stopped');
    process.exit(0);
  }
  console.error(`paywatch: could not start: ${(error as Error).message.split('\n')[0]}`);
  console.error(`paywatch: logs of each service are in ${config.dataDir}/logs`);
  process.exit(1);
}
if (stack) {
  const u = stack.urls;
  const lines = [
    '',
    'Paywatch is running. Where to look:',
    // The Prometheus and Alertmanager built from their Go modules have no web pages (their assets
    // are not in the modules): their HTTP APIs are what answers.
    `  Prometheus       ${u.prometheus}   (targets: ${u.prometheus}/api/v1/targets, alerts: ${u.prometheus}/api/v1/alerts)`,
    `  Alertmanager     ${u.alertmanager}   (alerts: ${u.alertmanager}/api/v2/alerts)`,
    `  Alert sink       ${u.alertSink}   (what each rung of the escalation ladder was sent)`,
    `  Scope proxy      ${u.scopeProxy}   (what Grafana queries; needs the shared secret and ${u.grafana ? "Grafana's signed ID token" : 'X-Grafana-User'})`,
    ...(u.api ? [`  Payments API     ${u.api}   (simulated; /scenarios starts an outage)`] : []),
    `  Exporters        ${[u.payments, u.lms, u.rfid, u.pool].map((url) => `${url}/metrics`).join('  ')}`,
    ...(u.mailbox ? [`  Report e-mails   ${u.mailbox}   (the daily reports the scheduler sent, as received)`] : []),
    `  Database         ${stack.config.databaseUrl ? 'DATABASE_URL' : stack.databaseUrl}`,
    `  Data and logs    ${stack.config.dataDir}`,
    ...stack.skipped.map((s) => `  not started: ${s.name}: ${s.why}`),
    '',
    'Ctrl-C stops everything.',
    // Last, where a newcomer looks: Grafana and who to log in as.
    ...(u.grafana
      ? [
          '',
          `  Grafana          ${u.grafana}   (admin / $GF_SECURITY_ADMIN_PASSWORD, else admin)`,
          `  Log in as, password ${config.demoPassword === 'paywatch-demo' ? 'paywatch-demo' : '$PAYWATCH_DEMO_PASSWORD'}:`,
          ...demoLogins().map((line) => `    ${line}`),
        ]
      : []),
  ];
  for (const line of lines) log(line);
  void stack.crashed.then((name) => stop(`${name} stopped unexpectedly (see ${stack!.config.dataDir}/logs/${name}.log)`, 1));
}
