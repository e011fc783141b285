// The series Paywatch reads from the community's exporters of the machines and the database server
// (node_exporter and postgres_exporter), named once: the rules, alerts and dashboards read these
// names, and postgres_exporter's extra queries (the ones it has no built-in collector for) are
// declared here and written into its queries file (prometheus/postgres-exporter.yml, generated).
//
// No imports: the Grafana app (plugin/, its own npm project and bundler) reads this file by path.

/** node_exporter's series the host rules read. */
export const NODE_SERIES = {
  cpuSeconds: 'node_cpu_seconds_total',
  memoryAvailable: 'node_memory_MemAvailable_bytes',
  memoryTotal: 'node_memory_MemTotal_bytes',
  filesystemAvailable: 'node_filesystem_avail_bytes',
  filesystemSize: 'node_filesystem_size_bytes',
  diskReads: 'node_disk_reads_completed_total',
  diskReadSeconds: 'node_disk_read_time_seconds_total',
  diskWrites: 'node_disk_writes_completed_total',
  diskWriteSeconds: 'node_disk_write_time_seconds_total',
  /** Seconds spent doing I/O weighted by the requests in flight: its rate is the average queue length. */
  diskIoWeightedSeconds: 'node_disk_io_time_weighted_seconds_total',
} as const;

/** Filesystems that are not storage (memory-backed, overlay of a container, ...). */
export const NODE_REAL_FILESYSTEMS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|fuse.*"';

/** postgres_exporter's built-in series the database rules read. */
export const POSTGRES_SERIES = {
  /** 1 when the exporter could connect to the server at its last scrape. */
  up: 'pg_up',
  maxConnections: 'pg_settings_max_connections',
  /** Backends by database and state. */
  activity: 'pg_stat_activity_count',
  deadlocks: 'pg_stat_database_deadlocks',
  databaseSize: 'pg_database_size_bytes',
  blocksHit: 'pg_stat_database_blks_hit',
  blocksRead: 'pg_stat_database_blks_read',
  commits: 'pg_stat_database_xact_commit',
  rollbacks: 'pg_stat_database_xact_rollback',
  checkpointsRequested: 'pg_stat_bgwriter_checkpoints_req_total',
  checkpointsTimed: 'pg_stat_bgwriter_checkpoints_timed_total',
} as const;

export interface PostgresQuery {
  /** The query's name: postgres_exporter names each column's series `<name>_<column>`. */
  name: string;
  /** Read with a pg_monitor role; "this database" is the one the exporter connects to (the system of record). */
  sql: string;
  labels: readonly string[];
  /** Gauge columns and what each means. */
  gauges: Readonly<Record<string, string>>;
}

/**
 * What postgres_exporter 0.11 has no collector for, as its extra queries. The lock and transaction
 * queries look at the system of record only (`current_database()`), not at other databases of a
 * shared server.
 */
export const POSTGRES_QUERIES = {
  oldestTransaction: {
    name: 'pg_oldest_transaction',
    sql:
      'SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0)::float8 AS seconds ' +
      'FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()',
    labels: [],
    gauges: { seconds: 'Age of the oldest open transaction in this database' },
  },
  lockWaits: {
    name: 'pg_lock_waits',
    sql: "SELECT count(*)::float8 AS sessions, coalesce(max(extract(epoch FROM clock_timestamp() - query_start)), 0)::float8 AS longest_seconds FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    labels: [],
    gauges: {
      sessions: 'Sessions of this database waiting for a lock another session holds',
      longest_seconds: 'How long the longest of them has waited (since its statement started)',
    },
  },
  xidWraparound: {
    name: 'pg_xid_wraparound',
    sql: 'SELECT datname, (age(datfrozenxid)::float8 / 2147483648) AS ratio FROM pg_database WHERE datallowconn',
    labels: ['datname'],
    gauges: { ratio: 'Transaction IDs used since the oldest unfrozen one, as a share of the 2^31 before wraparound' },
  },
  replicationLag: {
    name: 'pg_replication_replay_lag',
    sql: 'SELECT application_name, coalesce(extract(epoch FROM replay_lag), 0)::float8 AS seconds FROM pg_stat_replication',
    labels: ['application_name'],
    gauges: { seconds: 'How far each standby is behind in replaying what this primary wrote' },
  },
} as const satisfies Record<string, PostgresQuery>;

/** A series of one of the extra queries: `pgQuerySeries('lockWaits', 'sessions')` = `pg_lock_waits_sessions`. */
export function pgQuerySeries<K extends keyof typeof POSTGRES_QUERIES>(
  query: K,
  column: keyof (typeof POSTGRES_QUERIES)[K]['gauges'],
): string {
  return `${POSTGRES_QUERIES[query].name}_${String(column)}`;
}
