// The operations dashboard, for operations (devops): the systems behind payments, every KPI with
// its thresholds, the exporters.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { KPIS, type KpiId } from '../../../../contract/src/kpis';
import { SELECTORS } from '../../../../contract/src/jobs';
import {
  APP_DB_POOL_CLIENTS,
  APP_DB_POOL_MAX,
  APP_POOL_CONNECTIONS,
  APP_POOL_SIZE,
} from '../../../../contract/src/families';
import { pgQuerySeries, POSTGRES_SERIES as PG, SERVER_RULES } from '../../../../contract/src/servers';
import { kpiStat, row, series, sloBudgetStats, tablePanel, upDownStat } from '../panels';
import { PLUGIN_ID, UIDS, linkTo, base } from './common';

const KPI_ORDER: KpiId[] = KPIS.map((k) => k.id);

export function operations(): dashboard.Dashboard {
  const d = base(
    UIDS.operations,
    'Paywatch · Operations',
    'Service health, queues, application pools, alerts, latency, throughput, errors and host resources.',
    '30s',
    'now-6h',
    ['devops']
  )
    .link(linkTo('System status', UIDS.status, 'Aggregate status'))
    .link(
      new dashboard.DashboardLinkBuilder('Metrics catalogue')
        .type(dashboard.DashboardLinkType.Link)
        .url(`/a/${PLUGIN_ID}/metrics`)
        .tooltip('Every Paywatch metric, with a link to Explore')
        .icon('info')
        .tags([])
        .asDropdown(false)
        .includeVars(false)
        .keepTime(false)
        .targetBlank(false)
    )
    .withRow(row('KPIs'));
  for (const id of KPI_ORDER)
    d.withPanel(kpiStat(id, { span: id === 'payment_failures_per_hour' ? 24 : 6, height: 4 }));
  d.withRow(row('Error budgets (30 days)'));
  for (const panel of sloBudgetStats(6)) d.withPanel(panel);
  return d
    .withRow(row('Service health'))
    .withPanel(
      upDownStat({
        title: 'Scrape targets',
        description: 'Whether Prometheus reaches each exporter and service (up).',
        unit: 'short',
        queries: [{ expr: 'up', legend: '{{job}} {{instance}}', instant: true }],
        span: 12,
        height: 6,
      })
    )
    .withPanel(
      upDownStat({
        title: 'Health probes',
        description: 'Blackbox health checks of the payments API, LMS and gateways (probe_success).',
        unit: 'short',
        queries: [{ expr: 'probe_success{job="blackbox"}', legend: '{{instance}}', instant: true }],
        span: 12,
        height: 6,
      })
    )
    .withPanel(
      upDownStat({
        title: 'Dependencies',
        description:
          'The database server (postgres_exporter) and the LMS answering, and each exporter reading its source.',
        unit: 'short',
        queries: [
          { expr: `${PG.up}{${SELECTORS.postgres}}`, legend: 'Database server (postgres_exporter)', instant: true },
          { expr: 'lms_up', legend: 'LMS', instant: true },
          { expr: 'paywatch_exporter_source_up', legend: 'exporter {{exporter}}', instant: true },
        ],
        span: 12,
        height: 6,
      })
    )
    .withPanel(
      tablePanel({
        title: 'Active alerts',
        description: 'Alerts firing now, with severity. Runbooks are linked from each alert in Alertmanager.',
        queries: [{ expr: 'ALERTS{alertstate="firing"}', legend: '{{alertname}}' }],
        columns: { alertname: 'Alert', severity: 'Severity', 'Value #A': 'Firing' },
        span: 12,
        height: 6,
      })
    )
    .withRow(row('Queues and pools'))
    .withPanel(
      series({
        title: 'Queue depths',
        description: 'LMS posting outbox and payments not yet final.',
        unit: 'short',
        queries: [
          { expr: 'lms_posting_queue_depth', legend: 'LMS postings waiting' },
          { expr: 'sum(payments_pending)', legend: 'Payments pending' },
        ],
        kpi: 'lms_queue_depth',
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Oldest LMS posting waiting',
        description: 'Age of the oldest posting still waiting for the LMS (0 when none).',
        unit: 's',
        queries: [{ expr: 'lms_posting_oldest_pending_seconds', legend: 'Oldest waiting' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Exporter poll time',
        description:
          "p95 time of one exporter poll of the database, and seconds since each exporter's last successful poll.",
        unit: 's',
        queries: [
          {
            expr: 'histogram_quantile(0.95, sum by (le, exporter) (rate(paywatch_exporter_poll_duration_seconds_bucket[$__rate_interval])))',
            legend: 'p95 poll {{exporter}}',
          },
          { expr: 'time() - paywatch_exporter_last_success_timestamp_seconds', legend: 'since last poll {{exporter}}' },
        ],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Application pools: saturation',
        description:
          "Each Paywatch application's pool: connections in use (active or idle in a transaction) against its size, as the database server shows them (pool exporter); and the payments API's own count from inside its process. At 100 % the next caller waits for a connection.",
        unit: 'percentunit',
        queries: [
          {
            expr: `sum by (application) (${APP_POOL_CONNECTIONS.name}{state=~"active|idle_in_transaction"}) / on (application) max by (application) (${APP_POOL_SIZE.name})`,
            legend: '{{application}}',
          },
          {
            expr: `(sum by (service) (${APP_DB_POOL_CLIENTS.name}{state="total"}) - sum by (service) (${APP_DB_POOL_CLIENTS.name}{state="idle"})) / sum by (service) (${APP_DB_POOL_MAX.name})`,
            legend: '{{service}} (in its process)',
          },
        ],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Application pools: connections',
        description:
          "Server connections each Paywatch application's pool holds, by state (pool exporter, pg_stat_activity by application_name), against its size. Empty on the embedded PGlite, whose one backend serves every connection.",
        unit: 'short',
        queries: [
          { expr: `sum by (application, state) (${APP_POOL_CONNECTIONS.name})`, legend: '{{application}} {{state}}' },
          { expr: `max by (application) (${APP_POOL_SIZE.name})`, legend: '{{application}} size' },
        ],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Payments API pool (in its process)',
        description:
          "The payments API's own pool as it counts it: open, idle and waiting clients (callers queued for a free connection) against its size.",
        unit: 'short',
        queries: [
          { expr: `${APP_DB_POOL_CLIENTS.name}`, legend: '{{service}} {{state}}' },
          { expr: `${APP_DB_POOL_MAX.name}`, legend: '{{service}} size' },
        ],
        span: 8,
      })
    )
    .withRow(row('Database server'))
    .withPanel(
      series({
        title: 'Database connections',
        description: "The database server's sessions by state (postgres_exporter), against max_connections.",
        unit: 'short',
        queries: [
          { expr: `sum by (state) (${PG.activity}{${SELECTORS.postgres}})`, legend: '{{state}}' },
          { expr: `max(${PG.maxConnections}{${SELECTORS.postgres}})`, legend: 'max_connections' },
        ],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Sessions waiting for a lock',
        description: 'Sessions of the payments database waiting for a lock another session holds.',
        unit: 'short',
        queries: [{ expr: pgQuerySeries('lockWaits', 'sessions'), legend: 'waiting' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Oldest transaction and longest lock wait',
        description:
          'Age of the oldest open transaction of the payments database, and how long the longest lock wait has lasted: the alerts DatabaseLongTransaction and DatabaseLockWaits read them.',
        unit: 's',
        queries: [
          { expr: pgQuerySeries('oldestTransaction', 'seconds'), legend: 'oldest transaction' },
          { expr: pgQuerySeries('lockWaits', 'longest_seconds'), legend: 'longest lock wait' },
        ],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Database transactions',
        description: 'Commits and rollbacks per second, every database of the server.',
        unit: 'short',
        queries: [
          { expr: `sum(rate(${PG.commits}{${SELECTORS.postgres}}[$__rate_interval]))`, legend: 'commits' },
          { expr: `sum(rate(${PG.rollbacks}{${SELECTORS.postgres}}[$__rate_interval]))`, legend: 'rollbacks' },
        ],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Deadlocks',
        description: 'Transactions aborted as deadlocked in the last 5 minutes, by database.',
        unit: 'short',
        queries: [{ expr: SERVER_RULES.deadlocks, legend: '{{datname}}' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Cache hit ratio',
        description: 'Share of block reads served from shared buffers rather than the disk.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [{ expr: SERVER_RULES.cacheHit, legend: 'cache hits' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Database size',
        description: 'Size of each database on the server (growth is the slope).',
        unit: 'bytes',
        queries: [{ expr: `${PG.databaseSize}{${SELECTORS.postgres}, datname!~"template.*"}`, legend: '{{datname}}' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Transaction ID wraparound',
        description: 'Share of the transaction IDs before wraparound used since the oldest unfrozen row, by database.',
        unit: 'percentunit',
        min: 0,
        queries: [{ expr: pgQuerySeries('xidWraparound', 'ratio'), legend: '{{datname}}' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Replication lag',
        description: 'How far each standby is behind in replaying what the primary wrote (no series without standbys).',
        unit: 's',
        queries: [{ expr: pgQuerySeries('replicationLag', 'seconds'), legend: '{{application_name}}' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Checkpoints',
        description:
          'Checkpoints per minute: on schedule, and requested (WAL filled up first: max_wal_size too small or a write burst).',
        unit: 'short',
        queries: [
          { expr: `sum(rate(${PG.checkpointsTimed}{${SELECTORS.postgres}}[$__rate_interval])) * 60`, legend: 'timed' },
          {
            expr: `sum(rate(${PG.checkpointsRequested}{${SELECTORS.postgres}}[$__rate_interval])) * 60`,
            legend: 'requested',
          },
        ],
        span: 16,
      })
    )
    .withRow(row('Latency, throughput and errors'))
    .withPanel(
      series({
        title: 'API latency p95 by route',
        description: '95th percentile latency of the payments API per route; bands are the KPI thresholds.',
        unit: 's',
        kpi: 'api_latency_p95',
        queries: [
          {
            expr: 'histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{service="payments-api"}[$__rate_interval])))',
            legend: '{{route}}',
          },
        ],
      })
    )
    .withPanel(
      series({
        title: 'Gateway latency p95',
        description: '95th percentile of calls to the card / net-banking gateways, by gateway.',
        unit: 's',
        queries: [
          {
            expr: 'histogram_quantile(0.95, sum by (le, gateway) (rate(payment_gateway_request_duration_seconds_bucket[$__rate_interval])))',
            legend: '{{gateway}}',
          },
        ],
      })
    )
    .withPanel(
      series({
        title: 'API throughput',
        description: 'Payments API requests per second by route.',
        unit: 'reqps',
        stacked: true,
        queries: [
          {
            expr: 'sum by (route) (rate(http_request_duration_seconds_count{service="payments-api"}[$__rate_interval]))',
            legend: '{{route}}',
          },
        ],
      })
    )
    .withPanel(
      series({
        title: 'Payments throughput',
        description: 'Payments per second reaching a final status, by status.',
        unit: 'short',
        stacked: true,
        queries: [{ expr: 'sum by (status) (paywatch:payments:rate5m)', legend: '{{status}}' }],
      })
    )
    .withPanel(
      series({
        title: 'API error rate',
        description: 'Share of payments API requests answered with a server error; bands are the KPI thresholds.',
        unit: 'percentunit',
        kpi: 'error_rate',
        queries: [{ expr: 'paywatch:api_error_ratio:rate5m', legend: 'Error rate' }],
      })
    )
    .withPanel(
      series({
        title: 'Errors by kind',
        description:
          'API errors per second by route and kind (server error, timeout, dependency), rate limiting and failed logins.',
        unit: 'short',
        queries: [
          {
            expr: 'sum by (route, kind) (rate(http_request_errors_total[$__rate_interval]))',
            legend: '{{route}} {{kind}}',
          },
          { expr: 'sum(rate(http_rate_limited_total[$__rate_interval]))', legend: 'rate limited' },
          { expr: 'sum(rate(auth_login_failures_total[$__rate_interval]))', legend: 'login failures' },
        ],
      })
    )
    .withRow(row('Resources'))
    .withPanel(
      series({
        title: 'CPU used by host',
        description: 'Share of CPU time not idle over 5 minutes, per host (node_exporter); bands are the CPU KPI.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        kpi: 'host_cpu_used',
        queries: [{ expr: SERVER_RULES.cpu, legend: '{{instance}} {{role}}' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Memory used by host',
        description: 'Share of memory not available to new work, per host; bands are the memory KPI.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        kpi: 'host_memory_used',
        queries: [{ expr: SERVER_RULES.memory, legend: '{{instance}}' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Free storage by filesystem',
        description: 'Share of each filesystem still free, per host and mount point; bands are the storage KPI.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        kpi: 'storage_free',
        queries: [{ expr: SERVER_RULES.filesystemFree, legend: '{{instance}} {{mountpoint}}' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Disk latency',
        description:
          'Average time of one read and of one write over 5 minutes, per disk (no line while a disk is idle).',
        unit: 's',
        queries: [
          { expr: SERVER_RULES.diskReadLatency, legend: 'read {{instance}} {{device}}' },
          { expr: SERVER_RULES.diskWriteLatency, legend: 'write {{instance}} {{device}}' },
        ],
        span: 12,
      })
    )
    .withPanel(
      series({
        title: 'Disk queue length',
        description: 'Average requests in flight per disk over 5 minutes.',
        unit: 'short',
        queries: [{ expr: SERVER_RULES.diskQueue, legend: '{{instance}} {{device}}' }],
        span: 12,
      })
    )
    .build();
}
