// Exporter configuration from the command line and the environment. Anything unknown or malformed
// stops the exporter at start with a message that says what to fix: a typo in an option must not
// silently leave an exporter polling the wrong database or port.
import { APP_POOLS } from '@paywatch/contract';
import { parseDatabaseUrl } from '@paywatch/database';
import { optionsUsage, OptionsError, parseOptions, parseValue, PORTS, type OptionSpec, type OptionTable } from '@paywatch/runtime';

export const EXPORTER_NAMES = ['payments', 'lms', 'rfid', 'pool'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];

/** Each exporter's port, from the one port table. */
export const DEFAULT_PORTS: Record<ExporterName, number> = {
  payments: PORTS.payments.port,
  lms: PORTS.lms.port,
  rfid: PORTS.rfid.port,
  pool: PORTS.pool.port,
};

export interface ExporterOptions {
  /** postgres://user:password@host:5432/database (the database that has the paywatch.* views). */
  databaseUrl: string;
  /** Address to listen on; 127.0.0.1 by default (expose it deliberately, not by accident). */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default: payments 9401, lms 9402, rfid 9403, pool 9404. */
  port?: number;
  /** Seconds between polls of the database (default 5). */
  pollIntervalSeconds?: number;
  /** Seconds counters stay behind the database's clock so rows committed late are not missed (default 30). */
  safetyLagSeconds?: number;
  /** Connections in the exporter's own pool (default 2). */
  poolMax?: number;
  /** lms only: the LMS health endpoint probed for lms_up. */
  lmsHealthUrl?: string;
  /** rfid only: a reader is up when its heartbeat is newer than this (default 120). */
  rfidReaderTimeoutSeconds?: number;
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void;
  /**
   * In-process only: resolve startExporter once the database's totals are loaded (default true,
   * what tests want). The command line serves /metrics at once, with source_up 0 until then.
   */
  waitForTotals?: boolean;
}

/** A configuration mistake (the runtime's OptionsError): main.ts exits 2 with its message. */
export const ConfigError = OptionsError;
export type ConfigError = OptionsError;

/** The exporters' options: flag, environment variable (documented names kept), type and help. */
export const OPTIONS = {
  databaseUrl: {
    flag: 'database-url',
    env: 'DATABASE_URL',
    type: 'string',
    help: 'PostgreSQL URL of the database with the paywatch.* views (required)',
    check: (value: string, source: string) => void parseDatabaseUrl(value, source),
  },
  host: { flag: 'host', type: 'string', help: 'address to listen on (default 127.0.0.1)' },
  port: {
    flag: 'port',
    type: 'port',
    help: `port to listen on (default ${EXPORTER_NAMES.map((name) => `${name} ${DEFAULT_PORTS[name]}`).join(', ')})`,
  },
  pollIntervalSeconds: {
    flag: 'poll-interval',
    env: 'PAYWATCH_EXPORTER_POLL_INTERVAL_SECONDS',
    type: 'seconds',
    min: 0,
    aboveMin: true,
    help: 'seconds between polls (default 5)',
  },
  safetyLagSeconds: {
    flag: 'safety-lag',
    env: 'PAYWATCH_EXPORTER_SAFETY_LAG_SECONDS',
    type: 'seconds',
    help: 'seconds counters stay behind the database clock (default 30)',
  },
  poolMax: {
    flag: 'pool-max',
    type: 'integer',
    min: 1,
    max: 100,
    help: `connections in the exporter pool (default ${APP_POOLS.exporter('payments').size})`,
  },
  lmsHealthUrl: {
    flag: 'lms-health-url',
    env: 'LMS_HEALTH_URL',
    type: 'url',
    help: 'LMS health endpoint for lms_up (lms only; without it lms_up is 1, see exporters/README.md)',
  },
  rfidReaderTimeoutSeconds: {
    flag: 'rfid-reader-timeout',
    env: 'RFID_READER_TIMEOUT_SECONDS',
    type: 'seconds',
    min: 0,
    aboveMin: true,
    help: 'seconds of heartbeat silence before a reader is down (rfid only; default 120)',
  },
} as const satisfies Record<string, OptionSpec>;

type OptionKey = keyof typeof OPTIONS;

/** Options that only one exporter has. In a shared environment another exporter's variable is simply not ours. */
const ONLY: Partial<Record<OptionKey, ExporterName>> = { lmsHealthUrl: 'lms', rfidReaderTimeoutSeconds: 'rfid' };

export const OPTION_TABLE: OptionTable<typeof OPTIONS> = {
  component: 'exporter',
  envPrefix: 'PAYWATCH_EXPORTER_',
  usage: 'usage: tsx exporters/src/main.ts <payments|lms|rfid|pool> [options]',
  positionals: ['exporter'],
  options: OPTIONS,
};

export function usage(): string {
  return optionsUsage(OPTION_TABLE);
}

export function parseExporterName(value: string | undefined): ExporterName {
  if (!value || !(EXPORTER_NAMES as readonly string[]).includes(value)) {
    throw new ConfigError(`which exporter? expected one of ${EXPORTER_NAMES.join(', ')}, got ${JSON.stringify(value ?? '')}\n${usage()}`);
  }
  return value as ExporterName;
}

/** Reads `<exporter> [--flag value | --flag=value]...` and the environment into options. */
export function parseCommandLine(
  argv: string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): { name: ExporterName; options: ExporterOptions } {
  const parsed = parseOptions(OPTION_TABLE, argv, env);
  if (parsed.help) throw new ConfigError(usage());
  const name = parseExporterName(parsed.positionals[0]);
  const options: Record<string, unknown> = {};
  for (const key of Object.keys(parsed.sources) as OptionKey[]) {
    const source = parsed.sources[key]!;
    const only = ONLY[key];
    if (only && only !== name) {
      if (source.startsWith('--')) throw new ConfigError(`${source} applies to the ${only} exporter only, not ${name}`);
      continue;
    }
    options[key] = parsed.values[key];
  }
  return { name, options: validateOptions(name, options as Partial<ExporterOptions>) };
}

export interface ResolvedOptions {
  databaseUrl: string;
  host: string;
  port: number;
  pollIntervalSeconds: number;
  safetyLagSeconds: number;
  poolMax: number;
  lmsHealthUrl?: string;
  rfidReaderTimeoutSeconds: number;
  log: (line: string) => void;
  waitForTotals: boolean;
}

/** Checks options given in code (startExporter) the same way as the command line. */
export function validateOptions(name: ExporterName, options: Partial<ExporterOptions>): ExporterOptions {
  const known = new Set<string>([...Object.keys(OPTIONS), 'log', 'waitForTotals']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new ConfigError(`unknown exporter option ${JSON.stringify(key)}: known ones are ${[...known].join(', ')}`);
  }
  if (!options.databaseUrl) {
    throw new ConfigError(
      'no database: set DATABASE_URL or --database-url to postgres://user@host:5432/database (the database with the paywatch.* views)',
    );
  }
  for (const [key, spec] of Object.entries(OPTIONS) as Array<[OptionKey, OptionSpec]>) {
    const value = options[key];
    if (value === undefined) continue;
    const only = ONLY[key];
    if (only && only !== name) throw new ConfigError(`${key} applies to the ${only} exporter only, not ${name}`);
    if (typeof value !== 'string' && typeof value !== 'number') throw new ConfigError(`${key} must be a string or a number`);
    parseValue(spec, String(value), key);
  }
  return options as ExporterOptions;
}

export function resolveOptions(name: ExporterName, options: ExporterOptions): ResolvedOptions {
  validateOptions(name, options);
  return {
    databaseUrl: options.databaseUrl,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? DEFAULT_PORTS[name],
    pollIntervalSeconds: options.pollIntervalSeconds ?? 5,
    safetyLagSeconds: options.safetyLagSeconds ?? 30,
    poolMax: options.poolMax ?? APP_POOLS.exporter(name).size,
    lmsHealthUrl: options.lmsHealthUrl,
    rfidReaderTimeoutSeconds: options.rfidReaderTimeoutSeconds ?? 120,
    log: options.log ?? ((line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`)),
    waitForTotals: options.waitForTotals ?? true,
  };
}
