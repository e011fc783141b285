// The alerts on the machines (node_exporter) and the database server (postgres_exporter), from
// the KPI spec (CPU, memory, free storage) and the contract's SERVER_THRESHOLDS. They read the
// recording rules of recording-servers.ts. Added to ALERTS by alerts.ts.
import {
  DATABASE_HOST_LABEL,
  JOBS,
  kpi,
  NODE_REAL_FILESYSTEMS,
  NODE_SERIES,
  pgQuerySeries,
  SERVER_RULES,
  SERVER_THRESHOLDS,
} from '@paywatch/contract';
import { pct } from './alert-labels.ts';
import type { AlertDefinition } from './alerts.ts';

const duration = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`);

const database = `${DATABASE_HOST_LABEL.name}="${DATABASE_HOST_LABEL.value}"`;
const notDatabase = `${DATABASE_HOST_LABEL.name}!="${DATABASE_HOST_LABEL.value}"`;

export function serverAlerts(): AlertDefinition[] {
  const cpu = kpi('host_cpu_used');
  const dbCpu = kpi('database_cpu_used');
  const memory = kpi('host_memory_used');
  const storage = kpi('storage_free');
  const t = SERVER_THRESHOLDS;
  return [
    {
      name: 'HostCpuHigh',
      category: 'infrastructure',
      team: 'platform',
      // The database server's host has its own alert (DatabaseCpuHigh), sooner.
      expr: (th) => `${SERVER_RULES.cpu}{${notDatabase}} > ${th}`,
      for: '10m',
      levels: [
        { severity: 'warning', incidentClass: 'Sev3', threshold: cpu.warning },
        { severity: 'critical', incidentClass: 'Sev2', threshold: cpu.critical! },
      ],
      summary: (th) => `CPU of {{ $labels.instance }} above ${pct(th)}`,
      description: (th) =>
        `{{ $labels.instance }} used {{ $value | humanizePercentage }} of its CPU over the last 5 minutes, above ${pct(th)} for 10 minutes (target under ${pct(cpu.target)}).`,
      impact: 'Everything on this host slows down: API responses, exporters and the alerting itself lag.',
    },
    {
      name: 'DatabaseCpuHigh',
      category: 'database',
      team: 'platform',
      expr: (th) => `${SERVER_RULES.cpu}{${database}} > ${th}`,
      for: '5m',
      levels: [
        { severity: 'warning', incidentClass: 'Sev3', threshold: dbCpu.warning },
        { severity: 'critical', incidentClass: 'Sev2', threshold: dbCpu.critical! },
      ],
      summary: (th) => `Database server CPU above ${pct(th)}`,
      description: (th) =>
        `The database server's host {{ $labels.instance }} used {{ $value | humanizePercentage }} of its CPU over the last 5 minutes, above ${pct(th)} for 5 minutes (target under ${pct(dbCpu.target)}).`,
      impact: 'Every query waits for CPU: payments, postings and logins slow down and start timing out.',
      dependsOn: ['database'],
    },
    {
      name: 'HostMemoryHigh',
      category: 'infrastructure',
      team: 'platform',
      expr: (th) => `${SERVER_RULES.memory} > ${th}`,
      for: '5m',
      levels: [
        { severity: 'warning', incidentClass: 'Sev3', threshold: memory.warning },
        { severity: 'critical', incidentClass: 'Sev2', threshold: memory.critical! },
      ],
      summary: (th) => `Memory of {{ $labels.instance }} above ${pct(th)}`,
      description: (th) =>
        `{{ $labels.instance }} has {{ $value | humanizePercentage }} of its memory in use, above ${pct(th)} for 5 minutes (target under ${pct(memory.target)}).`,
      impact: 'The kernel evicts the page cache (the database reads from disk) and then kills processes: a database or API restart.',
    },
    {
      name: 'StorageFreeLow',
      category: 'infrastructure',
      team: 'platform',
      expr: (th) => `${SERVER_RULES.filesystemFree} < ${th}`,
      for: '5m',
      levels: [
        { severity: 'warning', incidentClass: 'Sev3', threshold: storage.warning },
        { severity: 'critical', incidentClass: 'Sev2', threshold: storage.critical! },
      ],
      summary: (th) => `Less than ${pct(th)} free on {{ $labels.mountpoint }} of {{ $labels.instance }}`,
      description: (th) =>
        `Only {{ $value | humanizePercentage }} of {{ $labels.mountpoint }} on {{ $labels.instance }} is free (threshold ${pct(th)}, target above ${pct(storage.target)}).`,
      impact: 'A full disk stops the database from writing: every payment and posting fails until space is freed.',
    },
    {
      name: 'StorageFillingUp',
      category: 'infrastructure',
      team: 'platform',
      expr: () =>
        `predict_linear(${NODE_SERIES.filesystemAvailable}{job="${JOBS.node.name}", ${NODE_REAL_FILESYSTEMS}}[${t.storageTrendWindow}], ${t.storageForecastHours * 3600}) < 0` +
        ` and ${SERVER_RULES.filesystemFree} < ${t.storageForecastBelowFree}`,
      for: '30m',
      levels: [{ severity: 'warning', incidentClass: 'Sev3' }],
      summary: () => `{{ $labels.mountpoint }} of {{ $labels.instance }} fills up within ${t.storageForecastHours} hours`,
      description: () =>
        `At the rate of the last ${t.storageTrendWindow}, {{ $labels.mountpoint }} on {{ $labels.instance }} is full within ${t.storageForecastHours} hours; less than ${pct(t.storageForecastBelowFree)} is free now.`,
      impact: 'Within a day the disk is full and the database stops writing, unless space is freed or added.',
    },
    {
      name: 'DiskLatencyHigh',
      category: 'infrastructure',
      team: 'platform',
      expr: (th) =>
        `label_replace(${SERVER_RULES.diskReadLatency}, "op", "read", "", "") > ${th}` +
        ` or label_replace(${SERVER_RULES.diskWriteLatency}, "op", "write", "", "") > ${th}`,
      for: '10m',
      levels: [{ severity: 'warning', incidentClass: 'Sev3', threshold: t.diskLatencySeconds }],
      summary: () => 'Slow {{ $labels.op }}s on disk {{ $labels.device }} of {{ $labels.instance }}',
      description: (th) =>
        `One {{ $labels.op }} on disk {{ $labels.device }} of {{ $labels.instance }} took {{ $value | humanizeDuration }} on average over the last 5 minutes (threshold ${th * 1000}ms).`,
      impact: 'Queries that touch the disk wait: the database, and so payments and postings, slow down.',
    },
    {
      name: 'DiskQueueHigh',
      category: 'infrastructure',
      team: 'platform',
      expr: (th) => `${SERVER_RULES.diskQueue} > ${th}`,
      for: '10m',
      levels: [{ severity: 'warning', incidentClass: 'Sev3', threshold: t.diskQueueLength }],
      summary: () => 'Requests queue on disk {{ $labels.device }} of {{ $labels.instance }}',
      description: (th) =>
        `On average {{ $value | printf "%.1f" }} requests were in flight on disk {{ $labels.device }} of {{ $labels.instance }} over the last 5 minutes (threshold ${th}).`,
      impact: 'The disk cannot keep up: reads and writes wait in line, and the database slows down with them.',
    },
    {
      name: 'DatabaseLockWaits',
      category: 'database',
      team: 'platform',
      expr: (th) => `${pgQuerySeries('lockWaits', 'longest_seconds')} > ${th}`,
      for: '1m',
      levels: [{ severity: 'warning', incidentClass: 'Sev3', threshold: t.lockWaitSeconds }],
      summary: () => 'Sessions are blocked on locks in the payments database',
      description: (th) =>
        `A session of the payments database has waited {{ $value | humanizeDuration }} for a lock another session holds (threshold ${duration(th)})` +
        `{{ with query "${pgQuerySeries('lockWaits', 'sessions')}" }}; {{ . | first | value | printf "%.0f" }} sessions are waiting{{ end }}.`,
      impact: 'The blocked requests (payments, postings) hang until the lock is released or they time out.',
      dependsOn: ['database'],
    },
    {
      name: 'DatabaseLongTransaction',
      category: 'database',
      team: 'platform',
      expr: (th) => `${pgQuerySeries('oldestTransaction', 'seconds')} > ${th}`,
      for: '1m',
      levels: [
        { severity: 'warning', incidentClass: 'Sev3', threshold: t.longTransactionSeconds.warning },
        { severity: 'critical', incidentClass: 'Sev2', threshold: t.longTransactionSeconds.critical },
      ],
      summary: (th) => `A transaction has been open more than ${duration(th)} in the payments database`,
      description: (th) =>
        `The oldest open transaction of the payments database started {{ $value | humanizeDuration }} ago (threshold ${duration(th)}).`,
      impact: 'It holds its locks (other sessions queue behind it) and keeps vacuum from cleaning up, so tables and indexes bloat.',
      dependsOn: ['database'],
    },
    {
      name: 'DatabaseDeadlocks',
      category: 'database',
      team: 'platform',
      expr: () => `${SERVER_RULES.deadlocks} > 0`,
      for: '0s',
      levels: [{ severity: 'warning', incidentClass: 'Sev3' }],
      summary: () => 'Deadlocks in database {{ $labels.datname }}',
      description: () =>
        '{{ $value | printf "%.0f" }} transactions of database {{ $labels.datname }} were aborted as deadlocked in the last 5 minutes.',
      impact:
        'The aborted transactions fail (a payment or posting errors out and must be retried); it recurs until the code takes locks in one order.',
      dependsOn: ['database'],
    },
    {
      name: 'DatabaseReplicationLag',
      category: 'database',
      team: 'platform',
      expr: (th) => `${pgQuerySeries('replicationLag', 'seconds')} > ${th}`,
      for: '5m',
      levels: [
        { severity: 'warning', incidentClass: 'Sev3', threshold: t.replicationLagSeconds.warning },
        { severity: 'critical', incidentClass: 'Sev2', threshold: t.replicationLagSeconds.critical },
      ],
      summary: (th) => `Standby {{ $labels.application_name }} is more than ${duration(th)} behind`,
      description: (th) =>
        `Standby {{ $labels.application_name }} replays the primary's changes {{ $value | humanizeDuration }} late (threshold ${duration(th)}).`,
      impact: 'Reads from the standby are stale, and a failover to it now would lose the changes it has not replayed.',
      dependsOn: ['database'],
    },
    {
      name: 'DatabaseWraparoundRisk',
      category: 'database',
      team: 'platform',
      expr: (th) => `${pgQuerySeries('xidWraparound', 'ratio')} > ${th}`,
      for: '15m',
      levels: [
        { severity: 'warning', incidentClass: 'Sev3', threshold: t.wraparoundRatio.warning },
        { severity: 'critical', incidentClass: 'Sev2', threshold: t.wraparoundRatio.critical },
      ],
      summary: (th) => `Database {{ $labels.datname }} has used ${pct(th)} of its transaction IDs`,
      description: (th) =>
        `Database {{ $labels.datname }} has used {{ $value | humanizePercentage }} of the transaction IDs before wraparound since its oldest unfrozen row (threshold ${pct(th)}).`,
      impact: 'Near wraparound PostgreSQL refuses every write to protect the data: payments stop until a long VACUUM completes.',
      dependsOn: ['database'],
    },
  ];
}
