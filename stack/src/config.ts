// The local stack's settings: one port per service (each configurable by environment variable or
// by flag), the data directory, and the simulator's size. Defaults are the ports docs/metrics.md
// names, so a person's bookmarks and the docs agree.
import { parseDatabaseUrl } from '@paywatch/database';
import { RECEIVER_ENV } from '@paywatch/kpi';
import { checkSimulatorStart, WORKING_HOURS_START } from '@paywatch/simulator';
import {
  optionsUsage,
  OptionsError,
  parseOptions,
  PORTS,
  type OptionSpec,
  type OptionTable,
  type Ports,
  type PortSpec,
  type ServiceName,
} from '@paywatch/runtime';
import { dataDir } from './paths.ts';

export { PORTS, type Ports, type ServiceName };

export interface StackConfig {
  ports: Ports;
  dataDir: string;
  /** A real payments database; the embedded one and the simulator are not started. */
  databaseUrl?: string;
  /** Run the simulator even with DATABASE_URL (writes demo rows into that database!). */
  simulate: boolean;
  /** Days of history to backfill on a first start (0: none). */
  backfillDays: number;
  /** Simulator size and pace, handed to the simulator. */
  branches?: number;
  officersPerBranch?: number;
  paymentsPerBranch?: number;
  speed?: number;
  /**
   * Simulated time the live simulation starts from, when not where the history ends: ISO 8601,
   * or `working-hours` (the simulator starts in the business's weekday working hours whatever
   * the hour; the stack tests start so). The history still ends at the wall clock's now.
   */
  simulatorStart?: string;
  /** Shared secret between Grafana's data source and the scope proxy. */
  proxySecret: string;
  /** Start Grafana when a binary is found (default) or never. */
  grafana: boolean;
  /** Password access sync gives the demo users it creates. */
  demoPassword: string;
  /** Prometheus's retention time (e.g. 45d). */
  retention: string;
}

/** The demo secret: fine on 127.0.0.1, replaced by PAYWATCH_PROXY_SECRET anywhere else. */
export const DEMO_PROXY_SECRET = 'change-me-demo-secret';

const portOptions = Object.fromEntries(
  (Object.entries(PORTS) as Array<[ServiceName, PortSpec]>).map(([name, spec]) => [
    `${name}Port`,
    { type: 'port', min: 1, flag: spec.flag, env: spec.env, default: spec.port, help: spec.what } satisfies OptionSpec,
  ]),
) as Record<`${ServiceName}Port`, OptionSpec & { type: 'port'; default: number }>;

/** npm start's options; the whole of Paywatch is the component, so its variables are PAYWATCH_<OPTION>. */
export const OPTIONS = {
  dataDir: { flag: 'data-dir', type: 'string', help: 'where everything keeps its data (default .data/ in the clone)' },
  databaseUrl: {
    flag: 'database-url',
    env: 'DATABASE_URL',
    type: 'string',
    help: 'a real payments database instead of the embedded one',
    check: (value: string, source: string) => void parseDatabaseUrl(value, source),
  },
  simulate: {
    flag: 'simulate',
    type: 'boolean',
    help: 'run the simulator even with --database-url (writes demo rows into that database!)',
  },
  backfillDays: {
    flag: 'backfill-days',
    type: 'integer',
    min: 0,
    max: 3650,
    help: 'days of simulated history on a first start (default 30, 0 with --database-url; 0 = none)',
  },
  branches: { flag: 'branches', type: 'integer', min: 1, max: 9999, help: 'simulated branches (simulator default 500)' },
  officers: { flag: 'officers', type: 'integer', min: 1, max: 99, help: 'field officers per branch' },
  paymentsPerBranch: { flag: 'payments-per-branch', type: 'number', min: 0, help: 'repayment attempts per average branch per weekday' },
  speed: { flag: 'speed', type: 'number', min: 0, aboveMin: true, help: 'simulated time per real time (keep 1 with history)' },
  simulatorStart: {
    flag: 'simulator-start',
    env: 'PAYWATCH_SIMULATOR_START',
    type: 'string',
    help: `simulated time the live simulation starts from: ISO 8601, or ${WORKING_HOURS_START} (now if the whole business is at work, else when it next is on a weekday); the history still ends now`,
    check: checkSimulatorStart,
  },
  grafana: { flag: 'grafana', type: 'boolean', default: true, help: 'start Grafana when a binary is found (--no-grafana: never)' },
  proxySecret: {
    flag: 'proxy-secret',
    env: 'PAYWATCH_PROXY_SECRET',
    type: 'string',
    default: DEMO_PROXY_SECRET,
    help: 'Grafana <-> scope proxy shared secret (the demo value only on 127.0.0.1)',
  },
  demoPassword: {
    flag: null,
    type: 'string',
    default: 'paywatch-demo',
    help: 'password access sync gives the demo users of policy/policy.yml',
  },
  retention: { flag: 'retention', type: 'string', default: '45d', help: "Prometheus's --storage.tsdb.retention.time" },
  ...portOptions,
} as const satisfies Record<string, OptionSpec>;

/**
 * Variables with the PAYWATCH_ prefix that are not npm start's own but another program's: each
 * program refuses its own unknown ones (the exporters PAYWATCH_EXPORTER_*, the scope proxy
 * PAYWATCH_PROXY_*, the simulator PAYWATCH_SIMULATOR_*), Alertmanager's receivers read theirs
 * (docs/alerting.md), Grafana's provisioning its own, the tests theirs.
 */
const OTHER_PROGRAMS = /^PAYWATCH_(EXPORTER|PROXY|SIMULATOR|SMTP|SLACK|PAGERDUTY|GRAFANA|REPORTS|TEST|E2E)_/;
const OTHER_VARIABLES = new Set([
  ...Object.keys(RECEIVER_ENV),
  'PAYWATCH_SECRETS_DIR',
  'PAYWATCH_IDENTITIES_FILE',
  'PAYWATCH_SEED',
  'PAYWATCH_SCOPE_PROXY_URL',
  'PAYWATCH_ALERTMANAGER_URL',
  'PAYWATCH_DASHBOARDS_DIR',
]);

export const OPTION_TABLE: OptionTable<typeof OPTIONS> = {
  component: 'paywatch',
  envPrefix: 'PAYWATCH_',
  foreign: (variable) => OTHER_PROGRAMS.test(variable) || OTHER_VARIABLES.has(variable),
  usage: `usage: npm start -- [options]

Starts the embedded database and simulator (or uses DATABASE_URL), the exporters, the scope proxy,
Prometheus, Alertmanager, the blackbox prober, node_exporter, and Grafana when a grafana binary is
found. Ctrl-C stops everything. Data lives in PAYWATCH_DATA_DIR (default .data/).`,
  options: OPTIONS,
};

export const USAGE = optionsUsage(OPTION_TABLE);

/** Parses npm start's flags and environment; throws an OptionsError saying what to fix. */
export function parseStackConfig(argv: string[], env: Readonly<Record<string, string | undefined>> = process.env): StackConfig | 'help' {
  const { values: v, sources, help } = parseOptions(OPTION_TABLE, argv, env);
  if (help) return 'help';
  const ports = {} as Ports;
  for (const name of Object.keys(PORTS) as ServiceName[]) ports[name] = v[`${name}Port`] as number;
  const seen = new Map<number, string>();
  for (const [name, port] of Object.entries(ports)) {
    if (seen.has(port))
      throw new OptionsError(
        `port ${port} is given to both ${seen.get(port)} and ${name}: move one (${PORTS[name as ServiceName].env} or --${PORTS[name as ServiceName].flag})`,
      );
    seen.set(port, name);
  }
  const databaseUrl = v.databaseUrl;
  const simulate = v.simulate ?? !databaseUrl;
  if (v.simulatorStart !== undefined && !simulate)
    throw new OptionsError(
      `${sources.simulatorStart}: there is no simulator to start with --database-url; drop it, or add --simulate (writes demo rows into that database!)`,
    );
  return {
    ports,
    dataDir: dataDir(v.dataDir ?? ''),
    databaseUrl,
    simulate,
    backfillDays: v.backfillDays ?? (databaseUrl ? 0 : 30),
    branches: v.branches,
    officersPerBranch: v.officers,
    paymentsPerBranch: v.paymentsPerBranch,
    speed: v.speed,
    simulatorStart: v.simulatorStart,
    proxySecret: v.proxySecret,
    demoPassword: v.demoPassword,
    retention: v.retention,
    grafana: v.grafana,
  };
}
