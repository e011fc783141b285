// Command-line flags and environment variables of the simulator, validated up front by the one
// options parser: a bad value stops it at start (exit 2) with a message saying what to fix.
import { parseDatabaseUrl } from '@paywatch/database';
import { optionsUsage, OptionsError, parseOptions, PORTS, type OptionSpec, type OptionTable } from '@paywatch/runtime';
import { GATEWAYS, type Gateway } from './model/index.ts';
import { SCENARIOS, isScenario } from './scenarios.ts';
import { DEFAULTS, WORKING_HOURS_START, type SimulatorOptions } from './simulator.ts';

export interface CliConfig extends SimulatorOptions {
  /** Run an embedded database (PGlite) in this directory instead of connecting to DATABASE_URL. */
  embeddedDataDir?: string;
  embeddedPort?: number;
}

/**
 * The business's size and pace, read by the simulator and, under the same names and bounds, by
 * the history backfill (stack/src/cli/backfill.ts), so that a history matches the live business.
 */
export const FLEET_OPTIONS = {
  seed: { flag: 'seed', env: 'PAYWATCH_SEED', type: 'integer', min: 0, help: `random seed (default ${DEFAULTS.seed})` },
  branches: {
    flag: 'branches',
    env: 'PAYWATCH_BRANCHES',
    type: 'integer',
    min: 1,
    max: 9999,
    help: `branches (default ${DEFAULTS.branches})`,
  },
  officers: {
    flag: 'officers',
    env: 'PAYWATCH_OFFICERS',
    type: 'integer',
    min: 1,
    max: 99,
    help: `field officers per branch (default ${DEFAULTS.officersPerBranch})`,
  },
  paymentsPerBranch: {
    flag: 'payments-per-branch',
    env: 'PAYWATCH_PAYMENTS_PER_BRANCH',
    type: 'number',
    min: 0,
    help: `repayment attempts per average branch per weekday (default ${DEFAULTS.paymentsPerBranchPerDay})`,
  },
} as const satisfies Record<string, OptionSpec>;

/**
 * A simulated start as people write it (--start, PAYWATCH_SIMULATOR_START, npm start's
 * --simulator-start): an ISO 8601 time or `working-hours`; throws saying what to write instead.
 */
export function checkSimulatorStart(value: string, source: string): void {
  if (value !== WORKING_HOURS_START && Number.isNaN(Date.parse(value)))
    throw new OptionsError(
      `${source}: expected an ISO 8601 time such as 2026-03-02T09:00:00+05:30, or ${WORKING_HOURS_START}, got ${JSON.stringify(value)}`,
    );
}

/**
 * The simulator's options. The business's size and pace (branches, officers, payments per
 * branch, speed, seed) have the names npm start and the backfill read too (PAYWATCH_BRANCHES, ...),
 * the API port and the embedded database's port the names of the one port table; the rest are
 * PAYWATCH_SIMULATOR_*.
 */
export const OPTIONS = {
  databaseUrl: { flag: 'database-url', env: 'DATABASE_URL', type: 'string', help: 'postgres:// URL of the system of record' },
  embeddedDataDir: {
    flag: 'embedded-data-dir',
    type: 'string',
    help: 'run an embedded PGlite database persisted here (instead of --database-url)',
  },
  databasePort: {
    flag: 'database-port',
    env: PORTS.database.env,
    type: 'port',
    default: PORTS.database.port,
    help: 'port of the embedded database',
  },
  ...FLEET_OPTIONS,
  speed: {
    flag: 'speed',
    env: 'PAYWATCH_SPEED',
    type: 'number',
    min: 0,
    aboveMin: true,
    help: 'simulated seconds per real second (default 1)',
  },
  start: {
    flag: 'start',
    env: 'PAYWATCH_SIMULATOR_START',
    type: 'string',
    help: `simulated start time: ISO 8601, or ${WORKING_HOURS_START} (now if the whole business is at work, else when it next is on a weekday; default now, or where the last run stopped)`,
    check: checkSimulatorStart,
  },
  host: { flag: 'host', type: 'string', help: `payments API bind address (default ${DEFAULTS.host})` },
  port: { flag: 'port', env: PORTS.api.env, type: 'port', help: `payments API port (default ${DEFAULTS.port})` },
  apiRate: {
    flag: 'api-rate',
    type: 'number',
    min: 0,
    help: `requests per second the simulator sends its API at peak (default ${DEFAULTS.apiRate}; 0 = none)`,
  },
  apiPoolMax: { flag: 'api-pool-max', type: 'integer', min: 1, help: `payments API database pool size (default ${DEFAULTS.apiPoolMax})` },
  incidents: {
    flag: 'incidents',
    type: 'boolean',
    help: 'incidents happen by themselves: LMS downtime, reader outages, maintenance window (default on; --no-incidents)',
  },
  scenario: {
    flag: 'scenario',
    env: 'PAYWATCH_SIMULATOR_SCENARIOS',
    type: 'list',
    help: `start a scenario: name[:minutes[:gateway]], repeatable; names: ${SCENARIOS.join(', ')}`,
  },
} as const satisfies Record<string, OptionSpec>;

export const OPTION_TABLE: OptionTable<typeof OPTIONS> = {
  component: 'simulator',
  envPrefix: 'PAYWATCH_SIMULATOR_',
  usage: 'usage: tsx simulator/src/main.ts [options]',
  options: OPTIONS,
};

export function usage(): string {
  return optionsUsage(OPTION_TABLE);
}

function parseScenario(spec: string): { name: (typeof SCENARIOS)[number]; minutes: number; gateway?: Gateway } {
  const [name = '', minutesText = '15', gateway] = spec.split(':');
  if (!isScenario(name))
    throw new OptionsError(
      `--scenario ${JSON.stringify(spec)}: unknown scenario ${JSON.stringify(name)}; scenarios are ${SCENARIOS.join(', ')}`,
    );
  const minutes = Number(minutesText);
  if (!(minutes > 0)) throw new OptionsError(`--scenario ${JSON.stringify(spec)}: minutes must be a positive number`);
  if (gateway !== undefined && !GATEWAYS.includes(gateway as Gateway))
    throw new OptionsError(`--scenario ${JSON.stringify(spec)}: gateway must be one of ${GATEWAYS.join(', ')}`);
  return { name, minutes, ...(gateway ? { gateway: gateway as Gateway } : {}) };
}

/** Flags win over environment variables. Throws an OptionsError saying what to fix. */
export function parseConfig(
  argv: string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): CliConfig & { help?: boolean } {
  const { values: v, sources, help } = parseOptions(OPTION_TABLE, argv, env);
  if (help) return { databaseUrl: '', help: true };
  const config: CliConfig = { databaseUrl: '' };
  if (v.databaseUrl && v.embeddedDataDir)
    throw new OptionsError('give either --database-url (DATABASE_URL) or --embedded-data-dir, not both');
  if (!v.databaseUrl && !v.embeddedDataDir)
    throw new OptionsError(
      `no database: give --database-url postgres://user@host:5432/db (or DATABASE_URL), or --embedded-data-dir DIR for an embedded one\n\n${usage()}`,
    );
  if (v.databaseUrl) {
    try {
      config.databaseUrl = parseDatabaseUrl(v.databaseUrl, sources.databaseUrl).toString();
    } catch (error) {
      throw new OptionsError((error as Error).message);
    }
  }
  if (v.embeddedDataDir) {
    config.embeddedDataDir = v.embeddedDataDir;
    config.embeddedPort = v.databasePort;
  }
  const set = <K extends keyof CliConfig>(key: K, value: CliConfig[K] | undefined) => {
    if (value !== undefined) config[key] = value;
  };
  set('seed', v.seed);
  set('branches', v.branches);
  set('officersPerBranch', v.officers);
  set('paymentsPerBranchPerDay', v.paymentsPerBranch);
  set('speed', v.speed);
  set('host', v.host);
  set('port', v.port);
  set('apiRate', v.apiRate);
  set('apiPoolMax', v.apiPoolMax);
  set('incidents', v.incidents);
  set('start', v.start);
  if (v.scenario) config.scenarios = v.scenario.map(parseScenario);
  return config;
}
