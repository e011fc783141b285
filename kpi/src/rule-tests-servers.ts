// promtool cases of the machine and database-server alerts (alerts-servers.ts) and of the KPI
// series their recording rules make, at each threshold's boundary: every level fires just past
// it, nothing fires just inside. Generated into prometheus/tests/alerts-servers.test.yml by
// rule-tests.ts, with the same exact labels and annotations as the other cases.
import type { AlertCase, RecordingCase, Series } from './rule-tests.ts';

const s = (series: string, values: string): Series => ({ series, values });

const APP = { instance: 'app:9100', job: 'node' };
const DB_HOST = { instance: 'db:9100', job: 'node', role: 'database' };
const PG = { instance: '127.0.0.1:9187', job: 'postgres', server: '127.0.0.1:5432' };
const labels = (l: Record<string, string>) =>
  Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');

/** One CPU whose idle time is `1 - used` of every second (samples a minute apart). */
const cpu = (host: Record<string, string>, used: number) =>
  s(`node_cpu_seconds_total{${labels(host)}, cpu="0", mode="idle"}`, `0+${Number(((1 - used) * 60).toFixed(6))}x30`);

const memory = (used: number) => [
  s(`node_memory_MemAvailable_bytes{${labels(APP)}}`, `${Math.round((1 - used) * 1000)}x20`),
  s(`node_memory_MemTotal_bytes{${labels(APP)}}`, '1000x20'),
];

const FS = { ...DB_HOST, device: '/dev/sdb1', fstype: 'ext4', mountpoint: '/var/lib/postgresql' };
const filesystem = (avail: string, size = 1000) => [
  s(`node_filesystem_avail_bytes{${labels(FS)}}`, avail),
  s(`node_filesystem_size_bytes{${labels(FS)}}`, `${size}x500`),
];
// A full memory-backed filesystem is not storage: never counted.
const TMPFS = [
  s(
    'node_filesystem_avail_bytes{instance="db:9100", job="node", role="database", device="tmpfs", fstype="tmpfs", mountpoint="/run"}',
    '0x500',
  ),
  s(
    'node_filesystem_size_bytes{instance="db:9100", job="node", role="database", device="tmpfs", fstype="tmpfs", mountpoint="/run"}',
    '100x500',
  ),
];

const DISK = { ...DB_HOST, device: 'sdb' };
/** Reads and writes of 60 a minute, each taking the given seconds. */
const disk = (readSeconds: number, writeSeconds: number) => [
  s(`node_disk_reads_completed_total{${labels(DISK)}}`, '0+60x20'),
  s(`node_disk_read_time_seconds_total{${labels(DISK)}}`, `0+${Number((readSeconds * 60).toFixed(6))}x20`),
  s(`node_disk_writes_completed_total{${labels(DISK)}}`, '0+60x20'),
  s(`node_disk_write_time_seconds_total{${labels(DISK)}}`, `0+${Number((writeSeconds * 60).toFixed(6))}x20`),
];

const APP_FS_LABELS = { ...APP, device: '/dev/sda1', fstype: 'xfs', mountpoint: '/' };
const APP_FS = [
  s(`node_filesystem_avail_bytes{${labels(APP_FS_LABELS)}}`, '500x20'),
  s(`node_filesystem_size_bytes{${labels(APP_FS_LABELS)}}`, '1000x20'),
];
const APP_DISK_LABELS = { ...APP, device: 'sda' };
const APP_DISK = [
  s(`node_disk_reads_completed_total{${labels(APP_DISK_LABELS)}}`, '0+60x20'),
  s(`node_disk_read_time_seconds_total{${labels(APP_DISK_LABELS)}}`, '0+15x20'),
  s(`node_disk_writes_completed_total{${labels(APP_DISK_LABELS)}}`, '0+60x20'),
  s(`node_disk_write_time_seconds_total{${labels(APP_DISK_LABELS)}}`, '0+3x20'),
  s(`node_disk_io_time_weighted_seconds_total{${labels(APP_DISK_LABELS)}}`, '0+30x20'),
];

export const SERVER_ALERT_CASES: AlertCase[] = [
  {
    alert: 'HostCpuHigh',
    name: '91% CPU on an application host: warning and critical',
    input: [cpu(APP, 0.91)],
    evalTime: '20m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: APP,
        description: 'app:9100 used 91% of its CPU over the last 5 minutes, above 80% for 10 minutes (target under 70%).',
      },
      {
        incidentClass: 'Sev2',
        labels: APP,
        description: 'app:9100 used 91% of its CPU over the last 5 minutes, above 90% for 10 minutes (target under 70%).',
      },
    ],
  },
  {
    alert: 'HostCpuHigh',
    name: '81% CPU: warning only',
    input: [cpu(APP, 0.81)],
    evalTime: '20m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: APP,
        description: 'app:9100 used 81% of its CPU over the last 5 minutes, above 80% for 10 minutes (target under 70%).',
      },
    ],
  },
  {
    alert: 'HostCpuHigh',
    name: "79% CPU, and the database server's 95% (its own alert): nothing fires",
    input: [cpu(APP, 0.79), cpu(DB_HOST, 0.95)],
    evalTime: '20m',
    expect: [],
  },
  {
    alert: 'DatabaseCpuHigh',
    name: "91% CPU on the database server's host: warning and critical after 5 minutes",
    input: [cpu(DB_HOST, 0.91), cpu(APP, 0.95)],
    evalTime: '12m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: DB_HOST,
        description:
          "The database server's host db:9100 used 91% of its CPU over the last 5 minutes, above 80% for 5 minutes (target under 70%).",
      },
      {
        incidentClass: 'Sev2',
        labels: DB_HOST,
        description:
          "The database server's host db:9100 used 91% of its CPU over the last 5 minutes, above 90% for 5 minutes (target under 70%).",
      },
    ],
  },
  {
    alert: 'DatabaseCpuHigh',
    name: '79% on the database host: nothing fires',
    input: [cpu(DB_HOST, 0.79)],
    evalTime: '12m',
    expect: [],
  },
  {
    alert: 'HostMemoryHigh',
    name: '96% memory used: warning and critical',
    input: memory(0.96),
    evalTime: '10m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: APP,
        description: 'app:9100 has 96% of its memory in use, above 85% for 5 minutes (target under 75%).',
      },
      {
        incidentClass: 'Sev2',
        labels: APP,
        description: 'app:9100 has 96% of its memory in use, above 95% for 5 minutes (target under 75%).',
      },
    ],
  },
  {
    alert: 'HostMemoryHigh',
    name: '86% memory used: warning only',
    input: memory(0.86),
    evalTime: '10m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: APP,
        description: 'app:9100 has 86% of its memory in use, above 85% for 5 minutes (target under 75%).',
      },
    ],
  },
  {
    alert: 'HostMemoryHigh',
    name: '84% memory used: nothing fires',
    input: memory(0.84),
    evalTime: '10m',
    expect: [],
  },
  {
    alert: 'StorageFreeLow',
    name: "9% free on the database's filesystem: warning and critical (a full tmpfs is not counted)",
    input: [...filesystem('90x500'), ...TMPFS],
    evalTime: '10m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: FS,
        description: 'Only 9% of /var/lib/postgresql on db:9100 is free (threshold 20%, target above 30%).',
      },
      {
        incidentClass: 'Sev2',
        labels: FS,
        description: 'Only 9% of /var/lib/postgresql on db:9100 is free (threshold 10%, target above 30%).',
      },
    ],
  },
  {
    alert: 'StorageFreeLow',
    name: '19% free: warning only',
    input: filesystem('190x500'),
    evalTime: '10m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: FS,
        description: 'Only 19% of /var/lib/postgresql on db:9100 is free (threshold 20%, target above 30%).',
      },
    ],
  },
  {
    alert: 'StorageFreeLow',
    name: '21% free: nothing fires',
    input: [...filesystem('210x500'), ...TMPFS],
    evalTime: '10m',
    expect: [],
  },
  {
    alert: 'StorageFillingUp',
    name: '39% free and losing 0.3% a minute: full within 24 hours',
    input: filesystem('390-0.3x480'),
    evalTime: '7h',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: FS,
        description: 'At the rate of the last 6h, /var/lib/postgresql on db:9100 is full within 24 hours; less than 40% is free now.',
      },
    ],
  },
  {
    alert: 'StorageFillingUp',
    name: 'losing 0.1% a minute from 39%: not full within 24 hours, nothing fires',
    input: filesystem('390-0.1x480'),
    evalTime: '7h',
    expect: [],
  },
  {
    alert: 'StorageFillingUp',
    name: 'filling fast but more than 40% free: nothing fires yet',
    input: filesystem('900-0.3x480'),
    evalTime: '7h',
    expect: [],
  },
  {
    alert: 'DiskLatencyHigh',
    name: 'reads take 150 ms, writes 50 ms: the reads fire',
    input: disk(0.15, 0.05),
    evalTime: '18m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { ...DISK, op: 'read' },
        description: 'One read on disk sdb of db:9100 took 150ms on average over the last 5 minutes (threshold 100ms).',
      },
    ],
  },
  {
    alert: 'DiskLatencyHigh',
    name: 'writes take 120 ms: the writes fire',
    input: disk(0.01, 0.12),
    evalTime: '18m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { ...DISK, op: 'write' },
        description: 'One write on disk sdb of db:9100 took 120ms on average over the last 5 minutes (threshold 100ms).',
      },
    ],
  },
  {
    alert: 'DiskLatencyHigh',
    name: 'reads and writes take 90 ms: nothing fires',
    input: disk(0.09, 0.09),
    evalTime: '18m',
    expect: [],
  },
  {
    alert: 'DiskQueueHigh',
    name: '5 requests in flight on average: fires',
    input: [s(`node_disk_io_time_weighted_seconds_total{${labels(DISK)}}`, '0+300x20')],
    evalTime: '18m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: DISK,
        description: 'On average 5.0 requests were in flight on disk sdb of db:9100 over the last 5 minutes (threshold 4).',
      },
    ],
  },
  {
    alert: 'DiskQueueHigh',
    name: '3.5 requests in flight: nothing fires',
    input: [s(`node_disk_io_time_weighted_seconds_total{${labels(DISK)}}`, '0+210x20')],
    evalTime: '18m',
    expect: [],
  },
  {
    alert: 'DatabaseConnectionFailures',
    name: 'postgres_exporter cannot connect for 2 minutes: fires as the postgres exporter',
    input: [s(`pg_up{${labels(PG)}}`, '1 1 0x10')],
    evalTime: '6m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { ...PG, exporter: 'postgres' },
        description: 'The last polls of the postgres exporter failed for 2 minutes; its metrics are stale.',
      },
    ],
  },
  {
    alert: 'DatabaseConnectionFailures',
    name: 'postgres_exporter connected: nothing fires',
    input: [s(`pg_up{${labels(PG)}}`, '1x10')],
    evalTime: '6m',
    expect: [],
  },
  {
    alert: 'DatabaseLockWaits',
    name: 'a session waiting 5 minutes for a lock: fires',
    input: [s(`pg_lock_waits_longest_seconds{${labels(PG)}}`, '0+60x10'), s(`pg_lock_waits_sessions{${labels(PG)}}`, '1x10')],
    evalTime: '5m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: PG,
        description:
          'A session of the payments database has waited 5m 0s for a lock another session holds (threshold 1m); 1 sessions are waiting.',
      },
    ],
  },
  {
    alert: 'DatabaseLockWaits',
    name: 'waits of up to a minute: nothing fires',
    input: [s(`pg_lock_waits_longest_seconds{${labels(PG)}}`, '60x10'), s(`pg_lock_waits_sessions{${labels(PG)}}`, '3x10')],
    evalTime: '5m',
    expect: [],
  },
  {
    alert: 'DatabaseLongTransaction',
    name: 'a transaction open 35 minutes: warning and critical',
    input: [s(`pg_oldest_transaction_seconds{${labels(PG)}}`, '0+60x40')],
    evalTime: '35m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: PG,
        description: 'The oldest open transaction of the payments database started 35m 0s ago (threshold 5m).',
      },
      {
        incidentClass: 'Sev2',
        labels: PG,
        description: 'The oldest open transaction of the payments database started 35m 0s ago (threshold 30m).',
      },
    ],
  },
  {
    alert: 'DatabaseLongTransaction',
    name: 'a transaction open 10 minutes: warning only',
    input: [s(`pg_oldest_transaction_seconds{${labels(PG)}}`, '0+60x40')],
    evalTime: '10m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: PG,
        description: 'The oldest open transaction of the payments database started 10m 0s ago (threshold 5m).',
      },
    ],
  },
  {
    alert: 'DatabaseLongTransaction',
    name: 'transactions of at most 5 minutes: nothing fires',
    input: [s(`pg_oldest_transaction_seconds{${labels(PG)}}`, '300x40')],
    evalTime: '10m',
    expect: [],
  },
  {
    alert: 'DatabaseDeadlocks',
    name: 'two deadlocks: fires at once',
    input: [s(`pg_stat_database_deadlocks{${labels(PG)}, datname="payments"}`, '0x10 2x10')],
    evalTime: '12m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { datname: 'payments' },
        description: '2 transactions of database payments were aborted as deadlocked in the last 5 minutes.',
      },
    ],
  },
  {
    alert: 'DatabaseDeadlocks',
    name: 'old deadlocks only (the counter stands still): nothing fires',
    input: [s(`pg_stat_database_deadlocks{${labels(PG)}, datname="payments"}`, '5x20')],
    evalTime: '12m',
    expect: [],
  },
  {
    alert: 'DatabaseReplicationLag',
    name: 'a standby 400 s behind: warning and critical',
    input: [s(`pg_replication_replay_lag_seconds{${labels(PG)}, application_name="standby1"}`, '400x20')],
    evalTime: '10m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { ...PG, application_name: 'standby1' },
        description: "Standby standby1 replays the primary's changes 6m 40s late (threshold 30s).",
      },
      {
        incidentClass: 'Sev2',
        labels: { ...PG, application_name: 'standby1' },
        description: "Standby standby1 replays the primary's changes 6m 40s late (threshold 5m).",
      },
    ],
  },
  {
    alert: 'DatabaseReplicationLag',
    name: '40 s behind: warning only',
    input: [s(`pg_replication_replay_lag_seconds{${labels(PG)}, application_name="standby1"}`, '40x20')],
    evalTime: '10m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { ...PG, application_name: 'standby1' },
        description: "Standby standby1 replays the primary's changes 40s late (threshold 30s).",
      },
    ],
  },
  {
    alert: 'DatabaseReplicationLag',
    name: '30 s behind: nothing fires',
    input: [s(`pg_replication_replay_lag_seconds{${labels(PG)}, application_name="standby1"}`, '30x20')],
    evalTime: '10m',
    expect: [],
  },
  {
    alert: 'DatabaseWraparoundRisk',
    name: '80% of the transaction IDs used: warning and critical',
    input: [s(`pg_xid_wraparound_ratio{${labels(PG)}, datname="payments"}`, '0.8x30')],
    evalTime: '20m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { ...PG, datname: 'payments' },
        description:
          'Database payments has used 80% of the transaction IDs before wraparound since its oldest unfrozen row (threshold 50%).',
      },
      {
        incidentClass: 'Sev2',
        labels: { ...PG, datname: 'payments' },
        description:
          'Database payments has used 80% of the transaction IDs before wraparound since its oldest unfrozen row (threshold 75%).',
      },
    ],
  },
  {
    alert: 'DatabaseWraparoundRisk',
    name: '60%: warning only',
    input: [s(`pg_xid_wraparound_ratio{${labels(PG)}, datname="payments"}`, '0.6x30')],
    evalTime: '20m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { ...PG, datname: 'payments' },
        description:
          'Database payments has used 60% of the transaction IDs before wraparound since its oldest unfrozen row (threshold 50%).',
      },
    ],
  },
  {
    alert: 'DatabaseWraparoundRisk',
    name: '50%: nothing fires',
    input: [s(`pg_xid_wraparound_ratio{${labels(PG)}, datname="payments"}`, '0.5x30')],
    evalTime: '20m',
    expect: [],
  },
];

/** The KPI tiles' series: the worst host, the database server's host, the fullest filesystem. */
export const SERVER_RECORDING_CASES: RecordingCase[] = [
  {
    name: "connections KPI: postgres_exporter's count of every database's sessions against max_connections",
    input: [
      s(`pg_stat_activity_count{${labels(PG)}, datname="payments", state="active"}`, '30x10'),
      s(`pg_stat_activity_count{${labels(PG)}, datname="payments", state="idle"}`, '40x10'),
      s(`pg_stat_activity_count{${labels(PG)}, datname="postgres", state="idle"}`, '0x10'),
      s(`pg_settings_max_connections{${labels(PG)}}`, '200x10'),
      // The pool exporter's applications' pools are not the server's connection count.
      s(
        'paywatch_app_pool_connections{application="paywatch-payments-api", state="active", instance="127.0.0.1:9404", job="pool"}',
        '20x10',
      ),
    ],
    evalTime: '5m',
    checks: [{ expr: 'paywatch:db_connections_used:ratio', samples: [{ labels: 'paywatch:db_connections_used:ratio', value: 0.35 }] }],
  },
  {
    name: 'host KPIs: busiest CPU, database host CPU, fullest memory, least free storage, cache hits',
    input: [
      cpu(APP, 0.5),
      cpu(DB_HOST, 0.25),
      ...memory(0.6),
      ...filesystem('400x500'),
      ...TMPFS,
      ...APP_FS,
      ...APP_DISK,
      s(`pg_stat_database_deadlocks{${labels(PG)}, datname="payments"}`, '0x7 1x13'),
      s(`pg_stat_database_blks_hit{${labels(PG)}, datname="payments"}`, '0+45x20'),
      s(`pg_stat_database_blks_read{${labels(PG)}, datname="payments"}`, '0+15x20'),
    ],
    evalTime: '10m',
    checks: [
      { expr: 'paywatch:host_cpu_used:max_ratio5m', samples: [{ labels: 'paywatch:host_cpu_used:max_ratio5m', value: 0.5 }] },
      {
        expr: 'paywatch:database_host_cpu_used:max_ratio5m',
        samples: [{ labels: 'paywatch:database_host_cpu_used:max_ratio5m', value: 0.25 }],
      },
      { expr: 'paywatch:host_memory_used:max_ratio', samples: [{ labels: 'paywatch:host_memory_used:max_ratio', value: 0.6 }] },
      { expr: 'paywatch:host_filesystem_free:min_ratio', samples: [{ labels: 'paywatch:host_filesystem_free:min_ratio', value: 0.4 }] },
      { expr: 'paywatch:pg_cache_hit:ratio5m', samples: [{ labels: 'paywatch:pg_cache_hit:ratio5m', value: 0.75 }] },
      // Per host and disk, on an application host (the database host's series also carry role="database").
      {
        expr: `instance:node_cpu_used:ratio5m{instance="app:9100"}`,
        samples: [{ labels: `instance:node_cpu_used:ratio5m{${labels(APP)}}`, value: 0.5 }],
      },
      { expr: 'instance:node_memory_used:ratio', samples: [{ labels: `instance:node_memory_used:ratio{${labels(APP)}}`, value: 0.6 }] },
      {
        expr: `instance_mountpoint:node_filesystem_free:ratio{instance="app:9100"}`,
        samples: [{ labels: `instance_mountpoint:node_filesystem_free:ratio{${labels(APP_FS_LABELS)}}`, value: 0.5 }],
      },
      {
        expr: `instance_device:node_disk_read_latency_seconds:avg5m{instance="app:9100"}`,
        samples: [{ labels: `instance_device:node_disk_read_latency_seconds:avg5m{${labels(APP_DISK_LABELS)}}`, value: 0.25 }],
      },
      {
        expr: `instance_device:node_disk_write_latency_seconds:avg5m{instance="app:9100"}`,
        samples: [{ labels: `instance_device:node_disk_write_latency_seconds:avg5m{${labels(APP_DISK_LABELS)}}`, value: 0.05 }],
      },
      {
        expr: `instance_device:node_disk_queue_length:avg5m{instance="app:9100"}`,
        samples: [{ labels: `instance_device:node_disk_queue_length:avg5m{${labels(APP_DISK_LABELS)}}`, value: 0.5 }],
      },
      { expr: 'datname:pg_deadlocks:increase5m', samples: [{ labels: 'datname:pg_deadlocks:increase5m{datname="payments"}', value: 1 }] },
    ],
  },
];
