// One way to open the system of record for every Paywatch process: a pg Pool from a validated URL,
// named in pg_stat_activity (application_name) so the pool exporter and a DBA can tell who is who.
import pg from 'pg';
import { parseDatabaseUrl, redact } from './url.ts';

export interface ConnectOptions {
  /** Shown in pg_stat_activity, e.g. `paywatch-simulator`. */
  applicationName: string;
  /** Pool size (default 4). */
  max?: number;
  /** Where the URL came from, for error messages (default DATABASE_URL). */
  source?: string;
  connectionTimeoutMillis?: number;
  idleTimeoutMillis?: number;
  /** Per-statement timeout in ms (server side); off by default. */
  statementTimeoutMillis?: number;
  /** Read numeric and bigint as JS numbers (default true). */
  numbers?: boolean;
}

// numeric and bigint come back as strings by default; Paywatch's amounts and counts fit a double
// exactly (INR with paise below 2^53 / 100), so pools made here read them as numbers. Per pool,
// not pg's global parsers, so importing this module changes nothing for other code.
const NUMBER_TYPES = new Set<number>([pg.types.builtins.NUMERIC, pg.types.builtins.INT8]);
export const numericTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    NUMBER_TYPES.has(oid)
      ? (value: string) => (value === null ? null : Number(value))
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A pool on the URL; throws at once (before connecting) when the URL is malformed. */
export function createPool(url: string, options: ConnectOptions): pg.Pool {
  const parsed = parseDatabaseUrl(url, options.source);
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    application_name: options.applicationName,
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    ...((options.numbers ?? true) ? { types: numericTypes } : {}),
    ...(options.statementTimeoutMillis ? { statement_timeout: options.statementTimeoutMillis } : {}),
  });
  // An idle client losing its server connection must not crash the process; the next query
  // reports the problem where it can be handled.
  pool.on('error', () => {});
  return pool;
}

/** Connects once to check the server answers; the error names the URL (without password). */
export async function checkConnection(pool: pg.Pool, url: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    throw new Error(`cannot reach the database at ${redact(url)}: ${(error as Error).message}`);
  }
}
