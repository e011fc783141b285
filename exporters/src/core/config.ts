// Exporter configuration from the command line and the environment. Anything unknown or malformed
// stops the exporter at start with a message that says what to fix: a typo in an option must not
// silently leave an exporter polling the wrong database or port.
import { parseDatabaseUrl } from '@paywatch/database';

export const EXPORTER_NAMES = ['payments', 'lms', 'rfid', 'pool'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];

export const DEFAULT_PORTS: Record<ExporterName, number> = { payments: 9401, lms: 9402, rfid: 9403, pool: 9404 };

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
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface OptionSpec {
  key: keyof ExporterOptions;
  flag: string;
  env: string;
  kind: 'url' | 'string' | 'port' | 'seconds' | 'positiveSeconds' | 'count' | 'httpUrl';
  help: string;
  /** The exporters it applies to; all when absent. */
  only?: ExporterName;
}

export const OPTION_SPECS: OptionSpec[] = [
  { key: 'databaseUrl', flag: '--database-url', env: 'DATABASE_URL', kind: 'url', help: 'PostgreSQL URL of the database with the paywatch.* views (required)' },
  { key: 'host', flag: '--host', env: 'PAYWATCH_EXPORTER_HOST', kind: 'string', help: 'address to listen on (default 127.0.0.1)' },
  { key: 'port', flag: '--port', env: 'PAYWATCH_EXPORTER_PORT', kind: 'port', help: 'port to listen on (default payments 9401, lms 9402, rfid 9403, pool 9404)' },
  { key: 'pollIntervalSeconds', flag: '--poll-interval', env: 'PAYWATCH_EXPORTER_POLL_INTERVAL_SECONDS', kind: 'positiveSeconds', help: 'seconds between polls (default 5)' },
  { key: 'safetyLagSeconds', flag: '--safety-lag', env: 'PAYWATCH_EXPORTER_SAFETY_LAG_SECONDS', kind: 'seconds', help: 'seconds counters stay behind the database clock (default 30)' },
  { key: 'poolMax', flag: '--pool-max', env: 'PAYWATCH_EXPORTER_POOL_MAX', kind: 'count', help: 'connections in the exporter pool (default 2)' },
  { key: 'lmsHealthUrl', flag: '--lms-health-url', env: 'LMS_HEALTH_URL', kind: 'httpUrl', help: 'LMS health endpoint for lms_up (lms only; without it lms_up is 1, see exporters/README.md)', only: 'lms' },
  { key: 'rfidReaderTimeoutSeconds', flag: '--rfid-reader-timeout', env: 'RFID_READER_TIMEOUT_SECONDS', kind: 'positiveSeconds', help: 'seconds of heartbeat silence before a reader is down (rfid only; default 120)', only: 'rfid' },
];

/** Environment variables with this prefix are ours: an unknown one is a typo and stops the exporter. */
const ENV_PREFIX = 'PAYWATCH_EXPORTER_';

export function usage(): string {
  const lines = [
    'usage: tsx exporters/src/main.ts <payments|lms|rfid|pool> [options]',
    '',
    'options (each also read from the environment variable shown; the flag wins):',
  ];
  for (const spec of OPTION_SPECS) lines.push(`  ${spec.flag.padEnd(24)} ${spec.env.padEnd(42)} ${spec.help}`);
  return lines.join('\n');
}

function parseValue(spec: OptionSpec, raw: string, source: string): string | number {
  const fail = (what: string) => new ConfigError(`${source}: ${what}, got ${JSON.stringify(raw)}`);
  switch (spec.kind) {
    case 'url':
      try {
        parseDatabaseUrl(raw, source);
      } catch (error) {
        throw new ConfigError((error as Error).message);
      }
      return raw;
    case 'httpUrl': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw fail('expected an http(s) URL such as http://lms.internal:8080/health');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail('expected an http:// or https:// URL');
      return raw;
    }
    case 'string':
      if (!raw.trim()) throw fail('expected a value');
      return raw;
    case 'port': {
      const port = Number(raw);
      if (!/^\d+$/.test(raw) || port > 65535) throw fail('expected a port number 0-65535');
      return port;
    }
    case 'count': {
      const count = Number(raw);
      if (!/^\d+$/.test(raw) || count < 1 || count > 100) throw fail('expected a whole number 1-100');
      return count;
    }
    case 'seconds':
    case 'positiveSeconds': {
      const seconds = Number(raw);
      if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(seconds)) throw fail('expected a number of seconds');
      if (spec.kind === 'positiveSeconds' && seconds <= 0) throw fail('expected more than 0 seconds');
      return seconds;
    }
  }
}

export function parseExporterName(value: string | undefined): ExporterName {
  if (!value || !(EXPORTER_NAMES as readonly string[]).includes(value)) {
    throw new ConfigError(`which exporter? expected one of ${EXPORTER_NAMES.join(', ')}, got ${JSON.stringify(value ?? '')}\n${usage()}`);
  }
  return value as ExporterName;
}

/** Reads `<exporter> [--flag value | --flag=value]...` and the environment into options. */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): { name: ExporterName; options: ExporterOptions } {
  const [first, ...rest] = argv;
  const name = parseExporterName(first);
  const options: Record<string, unknown> = {};

  for (const [variable, raw] of Object.entries(env)) {
    if (raw === undefined) continue;
    const spec = OPTION_SPECS.find((s) => s.env === variable);
    if (!spec) {
      if (variable.startsWith(ENV_PREFIX)) {
        const known = OPTION_SPECS.filter((s) => s.env.startsWith(ENV_PREFIX)).map((s) => s.env);
        throw new ConfigError(`unknown environment variable ${variable}: known ones are ${known.join(', ')}`);
      }
      continue;
    }
    // The environment is shared by the four exporters in a stack: an option for another exporter
    // is simply not ours.
    if (spec.only && spec.only !== name) continue;
    options[spec.key] = parseValue(spec, raw, variable);
  }

  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--help' || arg === '-h') throw new ConfigError(usage());
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const spec = OPTION_SPECS.find((s) => s.flag === flag);
    if (!spec) throw new ConfigError(`unknown option ${JSON.stringify(arg)}\n${usage()}`);
    if (spec.only && spec.only !== name) throw new ConfigError(`${spec.flag} applies to the ${spec.only} exporter only, not ${name}`);
    const raw = inline ?? rest[++i];
    if (raw === undefined) throw new ConfigError(`${spec.flag} needs a value`);
    options[spec.key] = parseValue(spec, raw, spec.flag);
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
}

/** Checks options given in code (startExporter) the same way as the command line. */
export function validateOptions(name: ExporterName, options: Partial<ExporterOptions>): ExporterOptions {
  const known = new Set<string>([...OPTION_SPECS.map((s) => s.key), 'log']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new ConfigError(`unknown exporter option ${JSON.stringify(key)}: known ones are ${[...known].join(', ')}`);
  }
  if (!options.databaseUrl) {
    throw new ConfigError('no database: set DATABASE_URL or --database-url to postgres://user@host:5432/database (the database with the paywatch.* views)');
  }
  for (const spec of OPTION_SPECS) {
    const value = options[spec.key];
    if (value === undefined) continue;
    if (spec.only && spec.only !== name) throw new ConfigError(`${spec.key} applies to the ${spec.only} exporter only, not ${name}`);
    if (typeof value !== 'string' && typeof value !== 'number') throw new ConfigError(`${spec.key} must be a string or a number`);
    parseValue(spec, String(value), spec.key);
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
    poolMax: options.poolMax ?? 2,
    lmsHealthUrl: options.lmsHealthUrl,
    rfidReaderTimeoutSeconds: options.rfidReaderTimeoutSeconds ?? 120,
    log: options.log ?? ((line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`)),
  };
}
