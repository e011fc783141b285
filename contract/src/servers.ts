// The series Paywatch reads from the community's exporters of the machines and the database server
// (node_exporter and postgres_exporter), named once: the rules, alerts and dashboards read these
// names, and postgres_exporter's extra queries (the ones it has no built-in collector for) are
// declared here and written into its queries file (prometheus/postgres-exporter.yml, generated).
//
// No imports (but of types): the Grafana app (plugin/, its own npm project and bundler) reads this file by path.

import type { RecordingRuleContract } from './recording-rules.ts';

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

/** The label the scrape config puts on node_exporter's target on the database server's host. */
export const DATABASE_HOST_LABEL = { name: 'role', value: 'database' } as const;

/**
 * Thresholds of the server alerts that are not KPIs (the requirements put no number on them):
 * chosen here, read by the alerts, their runbooks and the dashboards' colours.
 */
export const SERVER_THRESHOLDS = {
  /** Average time of one disk read or write over 5 minutes: 100 ms is slow even for a disk array. */
  diskLatencySeconds: 0.1,
  /** Average requests in flight on one disk over 5 minutes (the weighted I/O time's rate). */
  diskQueueLength: 4,
  /** "Filling up": the last `storageTrendWindow` of free space, extended this many hours, reaches 0 ... */
  storageForecastHours: 24,
  storageTrendWindow: '6h',
  /** ... and less than this share is free already (a new, mostly empty disk being filled is not news). */
  storageForecastBelowFree: 0.4,
  /** A session waiting this long for a lock another holds. */
  lockWaitSeconds: 60,
  /** An open transaction this old: holds locks and keeps vacuum from cleaning up. */
  longTransactionSeconds: { warning: 300, critical: 1800 },
  /** How far a standby is behind its primary. */
  replicationLagSeconds: { warning: 30, critical: 300 },
  /** Share of the 2^31 transaction IDs used since the oldest unfrozen one (PostgreSQL stops writes near 1). */
  wraparoundRatio: { warning: 0.5, critical: 0.75 },
} as const;

/**
 * The recording rules kpi/ makes from these series, per host, disk, filesystem or database: the
 * alerts and the Operations dashboard read them by these names (the fleet-wide KPI series are the
 * KPI spec's, kpis.ts).
 */
export const SERVER_RULES = {
  cpu: 'instance:node_cpu_used:ratio5m',
  memory: 'instance:node_memory_used:ratio',
  filesystemFree: 'instance_mountpoint:node_filesystem_free:ratio',
  diskReadLatency: 'instance_device:node_disk_read_latency_seconds:avg5m',
  diskWriteLatency: 'instance_device:node_disk_write_latency_seconds:avg5m',
  diskQueue: 'instance_device:node_disk_queue_length:avg5m',
  deadlocks: 'datname:pg_deadlocks:increase5m',
  cacheHit: 'paywatch:pg_cache_hit:ratio5m',
} as const;

/**
 * The rules above and the KPI series of the machines, as recording rules others depend on by name
 * (docs/metrics.md, the plugin's catalogue). The KPI series are written again here because the
 * Grafana app reads this file without imports; kpi's test fails when they differ from kpis.ts
 * (every contract rule must be recorded, and the KPIs' series are what kpi records). Host rules
 * also carry the target's `role` where it has one (`role="database"` on the database server's host).
 */
export const SERVER_RECORDING_RULES: readonly RecordingRuleContract[] = [
  { name: SERVER_RULES.cpu, labels: ['instance', 'job'], doc: 'share of CPU time not idle over 5 minutes, per host (node_exporter)' },
  { name: 'paywatch:host_cpu_used:max_ratio5m', labels: [], doc: 'CPU used on the busiest host: the CPU KPI' },
  {
    name: 'paywatch:database_host_cpu_used:max_ratio5m',
    labels: [],
    doc: 'CPU used on the database server\'s host (`role="database"`): its KPI and alert',
  },
  { name: SERVER_RULES.memory, labels: ['instance', 'job'], doc: 'share of memory not available (1 − MemAvailable / MemTotal), per host' },
  { name: 'paywatch:host_memory_used:max_ratio', labels: [], doc: 'memory used on the fullest host: the memory KPI' },
  {
    name: SERVER_RULES.filesystemFree,
    labels: ['device', 'fstype', 'instance', 'job', 'mountpoint'],
    doc: 'share of a filesystem free for ordinary users (memory-backed and overlay filesystems left out)',
  },
  { name: 'paywatch:host_filesystem_free:min_ratio', labels: [], doc: 'free share of the fullest filesystem: the storage KPI' },
  { name: SERVER_RULES.diskReadLatency, labels: ['device', 'instance', 'job'], doc: 'average seconds per read over 5 minutes, per disk' },
  { name: SERVER_RULES.diskWriteLatency, labels: ['device', 'instance', 'job'], doc: 'average seconds per write over 5 minutes, per disk' },
  { name: SERVER_RULES.diskQueue, labels: ['device', 'instance', 'job'], doc: 'average requests in flight over 5 minutes, per disk' },
  {
    name: SERVER_RULES.deadlocks,
    labels: ['datname'],
    doc: 'transactions aborted as deadlocked in the last 5 minutes, per database (postgres_exporter)',
  },
  { name: SERVER_RULES.cacheHit, labels: [], doc: "share of the database server's block reads served from shared buffers" },
];
