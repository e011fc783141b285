// Command-line flags and environment variables of the simulator, validated up front: a bad value
// stops it at start with a message saying what to fix.
import { parseDatabaseUrl } from '@paywatch/database';
import { GATEWAYS, type Gateway } from './model/index.ts';
import { SCENARIOS, isScenario } from './scenarios.ts';
import { DEFAULTS, type SimulatorOptions } from './simulator.ts';

export interface CliConfig extends SimulatorOptions {
  /** Run an embedded database (PGlite) in this directory instead of connecting to DATABASE_URL. */
  embeddedDataDir?: string;
  embeddedPort?: number;
}

interface Flag {
  env: string;
  help: string;
  kind: 'string' | 'int' | 'number' | 'bool' | 'list';
}

export const FLAGS: Record<string, Flag> = {
  'database-url': { env: 'DATABASE_URL', kind: 'string', help: 'postgres:// URL of the system of record' },
  'embedded-data-dir': { env: 'PAYWATCH_EMBEDDED_DATA_DIR', kind: 'string', help: 'run an embedded PGlite database persisted here (instead of --database-url)' },
  'embedded-port': { env: 'PAYWATCH_EMBEDDED_PORT', kind: 'int', help: 'port of the embedded database (default 5433)' },
  seed: { env: 'SIMULATOR_SEED', kind: 'int', help: `random seed (default ${DEFAULTS.seed})` },
  branches: { env: 'SIMULATOR_BRANCHES', kind: 'int', help: `branches (default ${DEFAULTS.branches})` },
  officers: { env: 'SIMULATOR_OFFICERS', kind: 'int', help: `field officers per branch (default ${DEFAULTS.officersPerBranch})` },
  'payments-per-branch': { env: 'SIMULATOR_PAYMENTS_PER_BRANCH', kind: 'number', help: `repayment attempts per average branch per weekday (default ${DEFAULTS.paymentsPerBranchPerDay})` },
  speed: { env: 'SIMULATOR_SPEED', kind: 'number', help: 'simulated seconds per real second (default 1)' },
  start: { env: 'SIMULATOR_START', kind: 'string', help: 'simulated start time, ISO 8601 (default now, or where the last run stopped)' },
  host: { env: 'SIMULATOR_HOST', kind: 'string', help: `payments API bind address (default ${DEFAULTS.host})` },
  port: { env: 'SIMULATOR_PORT', kind: 'int', help: `payments API port (default ${DEFAULTS.port})` },
  'api-rate': { env: 'SIMULATOR_API_RATE', kind: 'number', help: `requests per second the simulator sends its API at peak (default ${DEFAULTS.apiRate}; 0 = none)` },
  'api-pool-max': { env: 'SIMULATOR_API_POOL_MAX', kind: 'int', help: `payments API database pool size (default ${DEFAULTS.apiPoolMax})` },
  incidents: { env: 'SIMULATOR_INCIDENTS', kind: 'bool', help: 'incidents happen by themselves: LMS downtime, reader outages, maintenance window (default on)' },
  scenario: { env: 'SIMULATOR_SCENARIOS', kind: 'list', help: `start a scenario: name[:minutes[:gateway]], repeatable; names: ${SCENARIOS.join(', ')}` },
  help: { env: '', kind: 'bool', help: 'print this help' },
};

export function usage(): string {
  const lines = ['usage: tsx simulator/src/main.ts [options]', ''];
  for (const [name, flag] of Object.entries(FLAGS)) lines.push(`  --${name.padEnd(20)} ${flag.help}${flag.env ? ` [${flag.env}]` : ''}`);
  return lines.join('\n');
}

function parseValue(name: string, flag: Flag, raw: string): string | number | boolean {
  switch (flag.kind) {
    case 'int': {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number ≥ 0, got ${JSON.stringify(raw)}`);
      return value;
    }
    case 'number': {
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number ≥ 0, got ${JSON.stringify(raw)}`);
      return value;
    }
    case 'bool': {
      if (['1', 'true', 'on', 'yes', ''].includes(raw.toLowerCase())) return true;
      if (['0', 'false', 'off', 'no'].includes(raw.toLowerCase())) return false;
      throw new Error(`--${name} must be on or off, got ${JSON.stringify(raw)}`);
    }
    default:
      return raw;
  }
}

function parseScenario(spec: string): { name: (typeof SCENARIOS)[number]; minutes: number; gateway?: Gateway } {
  const [name = '', minutesText = '15', gateway] = spec.split(':');
  if (!isScenario(name)) throw new Error(`--scenario ${JSON.stringify(spec)}: unknown scenario ${JSON.stringify(name)}; scenarios are ${SCENARIOS.join(', ')}`);
  const minutes = Number(minutesText);
  if (!(minutes > 0)) throw new Error(`--scenario ${JSON.stringify(spec)}: minutes must be a positive number`);
  if (gateway !== undefined && !GATEWAYS.includes(gateway as Gateway)) throw new Error(`--scenario ${JSON.stringify(spec)}: gateway must be one of ${GATEWAYS.join(', ')}`);
  return { name, minutes, ...(gateway ? { gateway: gateway as Gateway } : {}) };
}

/** Flags win over environment variables. Throws with what to fix. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): CliConfig & { help?: boolean } {
  const values = new Map<string, string[]>();
  for (const [name, flag] of Object.entries(FLAGS)) {
    const fromEnv = flag.env ? env[flag.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') values.set(name, flag.kind === 'list' ? fromEnv.split(',').map((s) => s.trim()).filter(Boolean) : [fromEnv]);
  }
  const fromFlags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(arg)}; options start with --\n\n${usage()}`);
    let [name, value] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    let negated = false;
    if (!(name in FLAGS) && name.startsWith('no-') && FLAGS[name.slice(3)]?.kind === 'bool') {
      name = name.slice(3);
      negated = true;
    }
    const flag = FLAGS[name];
    if (!flag) throw new Error(`unknown option --${name}\n\n${usage()}`);
    if (flag.kind === 'bool') value = negated ? 'off' : (value ?? 'on');
    else if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
    }
    fromFlags.set(name, [...(fromFlags.get(name) ?? []), value]);
  }
  for (const [name, list] of fromFlags) values.set(name, list);

  const one = (name: string) => {
    const list = values.get(name);
    return list ? parseValue(name, FLAGS[name]!, list[list.length - 1]!) : undefined;
  };
  if (one('help')) return { databaseUrl: '', help: true };
  const config: CliConfig = { databaseUrl: '' };
  const databaseUrl = one('database-url') as string | undefined;
  const embeddedDataDir = one('embedded-data-dir') as string | undefined;
  if (databaseUrl && embeddedDataDir) throw new Error('give either --database-url (DATABASE_URL) or --embedded-data-dir, not both');
  if (!databaseUrl && !embeddedDataDir) throw new Error(`no database: give --database-url postgres://user@host:5432/db (or DATABASE_URL), or --embedded-data-dir DIR for an embedded one\n\n${usage()}`);
  if (databaseUrl) config.databaseUrl = parseDatabaseUrl(databaseUrl, databaseUrl === env.DATABASE_URL ? 'DATABASE_URL' : '--database-url').toString();
  if (embeddedDataDir) config.embeddedDataDir = embeddedDataDir;
  const set = <K extends keyof CliConfig>(key: K, name: string) => {
    const value = one(name);
    if (value !== undefined) config[key] = value as CliConfig[K];
  };
  set('embeddedPort', 'embedded-port');
  set('seed', 'seed');
  set('branches', 'branches');
  set('officersPerBranch', 'officers');
  set('paymentsPerBranchPerDay', 'payments-per-branch');
  set('speed', 'speed');
  set('host', 'host');
  set('port', 'port');
  set('apiRate', 'api-rate');
  set('apiPoolMax', 'api-pool-max');
  set('incidents', 'incidents');
  const start = one('start') as string | undefined;
  if (start !== undefined) {
    if (Number.isNaN(Date.parse(start))) throw new Error(`--start must be an ISO 8601 time such as 2026-03-02T09:00:00+05:30, got ${JSON.stringify(start)}`);
    config.start = start;
  }
  if (config.branches === 0 || (config.branches ?? 0) > 9999) throw new Error('--branches must be between 1 and 9999');
  if (config.officersPerBranch === 0 || (config.officersPerBranch ?? 0) > 99) throw new Error('--officers must be between 1 and 99');
  if (config.speed === 0) throw new Error('--speed must be above 0');
  if ((config.port ?? 0) > 65535) throw new Error('--port must be at most 65535');
  if (config.apiPoolMax === 0) throw new Error('--api-pool-max must be at least 1');
  const scenarios = values.get('scenario');
  if (scenarios) config.scenarios = scenarios.map(parseScenario);
  return config;
}
