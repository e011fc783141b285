// The alerts, next to the KPI spec they read their thresholds from. One definition per alert
// name; an alert with several thresholds (warning / critical / page) has one level per threshold
// and becomes one Prometheus rule per level, all with the same name and runbook, told apart by
// `severity` and `incident_class`. Alertmanager's routing (alertmanager.ts) keys on those labels,
// and its inhibition rules come from `rootCause` / `dependsOn` here.
import {
  AUTH_LOGIN_FAILURES_TOTAL,
  EXPORTER_SOURCE_UP,
  JOBS,
  HTTP_RATE_LIMITED_TOTAL,
  HTTP_SUSPICIOUS_REQUESTS_TOTAL,
  EXPORTER_LATE_ROWS_TOTAL,
  EXPORTER_ROW_LATENESS_SECONDS,
  kpi,
  POSTGRES_SERIES,
  LMS_POSTING_QUEUE_DEPTH,
  LMS_POSTINGS_TOTAL,
  LMS_UP,
  RECONCILIATION_EXCEPTIONS_OPEN,
  RECONCILIATION_OVERDUE,
  RFID_READER_UP,
  SELECTORS,
} from '@paywatch/contract';
import { REALTIME_CHANNELS, RFID_READER_SEEN } from './recording.ts';
import { durationSeconds } from './rules.ts';
import { serverAlerts } from './alerts-servers.ts';
import { pct, type Category, type RootCause, type Team } from './alert-labels.ts';
import { ratioAlerts } from './kpi-ratios.ts';

export { pct };
import { paceAlerts } from './pace.ts';
import { sloAlerts } from './slo.ts';

export type Severity = 'critical' | 'warning' | 'info';
/**
 * Incident classes. Sev1: the business cannot take payments (page at once). Sev2: a critical
 * degradation (the ladder reaches PagerDuty after 15 min). Sev3: a warning (email, then Slack).
 * Sev4: business information (email only).
 */
export type IncidentClass = 'Sev1' | 'Sev2' | 'Sev3' | 'Sev4';
export type { Category, RootCause, Team };

export interface AlertLevel {
  severity: Severity;
  incidentClass: IncidentClass;
  /** The threshold the expression compares with; absent for conditions that are not numbers. */
  threshold?: number;
  /** Labels that tell this level's rule apart when levels share an incident class (burn-rate windows). */
  labels?: Record<string, string>;
}

export interface AlertDefinition {
  name: string;
  category: Category;
  team: Team;
  /** The PromQL condition for one level's threshold. */
  expr: (threshold: number, level: AlertLevel) => string;
  /** How long the condition must hold before the alert fires. */
  for: string;
  /**
   * How far back the data the expression reads reaches (its longest rate or average window): an
   * outage keeps showing in it that long after it ends. Used to keep the planned maintenance's
   * aftermath quiet (maintenance.ts); absent: the alert reads the present only.
   */
  dataWindow?: string;
  /**
   * The expression reads rates of counters (or a gauge's derivative) over `dataWindow`. Right after
   * Prometheus starts that window straddles the edge of the backfilled history, whose counters count
   * from another base than the live exporters' totals (a jump or a reset, and a few live samples):
   * the alert waits until Prometheus has scraped a whole window of live data.
   */
  startupGuard?: boolean;
  levels: AlertLevel[];
  /** Whether the alert is about one branch (its series carry `branch`). */
  perBranch?: boolean;
  summary: (threshold: number, level: AlertLevel) => string;
  /** Prometheus template; should show the live value (`$value`). */
  description: (threshold: number, level: AlertLevel) => string;
  impact: string;
  /** This alert is the root cause named here: it inhibits every alert that depends on it. */
  rootCause?: RootCause;
  /** Root causes that explain this alert; while one of them fires this alert does not notify. */
  dependsOn?: RootCause[];
}

/** Thresholds the requirements do not put numbers on; chosen here, read by dashboards too. */
export const OPERATIONAL_THRESHOLDS = {
  /** Share of LMS postings that may fail (the same tolerance as the API's error rate). */
  lmsPostingFailureRatio: kpi('error_rate').critical!,
  /** The queue must hold at least this many postings before "growing" means anything. */
  lmsQueueGrowingMinDepth: 50,
  /** Open reconciliation exceptions at one branch that call for attention. */
  reconciliationExceptionsOpen: 5,
  /** Failed portal logins in one minute, from the requirements ("5 in 1 minute" to the security team). */
  failedLoginsPerMinute: 5,
  /** Requests the payments API's rate limiter refused in 5 minutes on one route: more than a customer retrying. */
  rateLimitedPer5m: 20,
  /**
   * Share of the rows counted in the last hour that arrived later than the exporters' safety lag
   * after their business timestamp (late webhooks, return files, long transactions, a lagging
   * replica): counted exactly once all the same, but the business sees them late.
   */
  lateRowsRatio: 0.05,
  /** Late rows in the hour below which the share means nothing (a quiet hour, one late webhook). */
  lateRowsMinPerHour: 10,
  /** Blackbox probe interval; "three failed checks in a row" = failing for two more intervals. */
  probeIntervalSeconds: 15,
  /**
   * Bad events (failed payments, server errors, failed postings) a ratio's window must be able to
   * hold before crossing a level means anything: with a handful of events a few unlucky customers
   * are the whole ratio (1 failure in 3 payments at night is 67 %). A level t is judged only over
   * MIN/(share of bad events at t) events (payment success warning 98 %: 200 payments in 5 min,
   * critical 95 %: 80, page 90 %: 40; API errors 1 %: 400 requests); a quieter window is left to the
   * SLOs' burn-rate alerts, which judge hours under their own volume floor (slo.ts).
   */
  ratioMinBadEvents: 4,
} as const;

/** Events a ratio's window must hold before a level whose share of bad events is `badShare` is judged. */
export function ratioVolumeFloor(badShare: number): number {
  return Math.round(OPERATIONAL_THRESHOLDS.ratioMinBadEvents / badShare);
}

const PROBE_FOR = `${OPERATIONAL_THRESHOLDS.probeIntervalSeconds * 2}s`;

export const secs = (seconds: number) => (seconds < 1 ? `${seconds * 1000}ms` : `${seconds}s`);

const success = kpi('payment_success_rate');
const processing = kpi('payment_processing_time');
const latency = kpi('api_latency_p95');
const availability = kpi('availability');
const errors = kpi('error_rate');
const rfid = kpi('rfid_success_rate');
const queue = kpi('lms_queue_depth');
const dbConnections = kpi('db_connections_used');
const failures = kpi('payment_failures_per_hour');

export const ALERTS: AlertDefinition[] = [
  {
    name: 'PaymentSuccessRateLow',
    category: 'payments',
    team: 'payments',
    // `for: 5m` on a 5-minute rate: the ratio was under the threshold in two consecutive
    // 5-minute periods ([t-10m, t-5m] and [t-5m, t]) and at every evaluation between.
    // The KPI's series: the real-time channels' ratio (see recording.ts for why not all channels).
    expr: (t) =>
      `${success.series} < ${t} and on () sum(channel:payments:rate5m{channel=~"${REALTIME_CHANNELS.join('|')}"}) * 300 >= ${ratioVolumeFloor(1 - t)}`,
    for: '5m',
    dataWindow: '5m',
    startupGuard: true,
    levels: [
      { severity: 'warning', incidentClass: 'Sev3', threshold: success.warning },
      { severity: 'critical', incidentClass: 'Sev2', threshold: success.critical },
      { severity: 'critical', incidentClass: 'Sev1', threshold: success.page },
    ],
    summary: (t) => `Payment success rate below ${pct(t)}`,
    description: (t) =>
      `Only {{ $value | humanizePercentage }} of real-time payments (UPI, QR, BBPS, card, net banking) succeeded in the last 5 minutes; below ${pct(t)} for two 5-minute periods in a row (target ${pct(success.target)}), over at least ${ratioVolumeFloor(1 - t)} payments per 5 minutes.`,
    impact: 'Customers cannot repay: collections and revenue are lost and customers may be marked overdue.',
    dependsOn: ['database', 'payments-api', 'gateway'],
  },
  {
    name: 'PaymentFailuresHigh',
    category: 'payments',
    team: 'payments',
    perBranch: true,
    expr: (t) => `branch:payment_actionable_failures:increase1h > ${t}`,
    for: '5m',
    dataWindow: '1h',
    startupGuard: true,
    levels: [
      { severity: 'warning', incidentClass: 'Sev3', threshold: failures.warning },
      { severity: 'critical', incidentClass: 'Sev2', threshold: failures.critical },
    ],
    summary: (t) => `More than ${t} failed payments per hour at {{ $labels.branch }}`,
    description: (t) =>
      `{{ $labels.branch }} had {{ $value | printf "%.0f" }} failed payments in the last hour (not counting insufficient funds or cancellations); the threshold is ${t}.`,
    impact: "The branch's customers are being turned away or must pay again; the branch misses its collection target.",
    dependsOn: ['database', 'payments-api', 'gateway'],
  },
  {
    name: 'PaymentErrorBurst',
    category: 'payments',
    team: 'payments',
    expr: (t) => `paywatch:payment_system_errors:increase5m > ${t}`,
    for: '0s',
    dataWindow: '5m',
    startupGuard: true,
    levels: [{ severity: 'critical', incidentClass: 'Sev2', threshold: failures.critical }],
    summary: (t) => `More than ${t} payment errors in 5 minutes`,
    description: (t) =>
      `{{ $value | printf "%.0f" }} payments failed with a gateway timeout or technical error in the last 5 minutes (threshold ${t}).`,
    impact: "Payments are failing through our own or a gateway's fault, across branches; customers retry or give up.",
    dependsOn: ['database', 'payments-api', 'gateway'],
  },
  {
    name: 'PaymentProcessingSlow',
    category: 'payments',
    team: 'payments',
    expr: (t) => `${processing.series} > ${t}`,
    for: '10m',
    dataWindow: '5m',
    startupGuard: true,
    levels: [
      { severity: 'warning', incidentClass: 'Sev3', threshold: processing.warning },
      { severity: 'critical', incidentClass: 'Sev2', threshold: processing.critical! },
    ],
    summary: (t) => `Payments take more than ${secs(t)} on average`,
    description: (t) =>
      `Real-time payments took {{ $value | humanizeDuration }} on average over the last 5 minutes (threshold ${secs(t)}, target under ${secs(processing.target)}).`,
    impact: 'Customers and field officers wait at the counter; slow payments time out and are retried or abandoned.',
    dependsOn: ['database', 'gateway'],
  },
  {
    name: 'ApiErrorRateHigh',
    category: 'api',
    team: 'platform',
    expr: (t) => `${errors.series} > ${t} and on () paywatch:api_requests:rate5m * 300 >= ${ratioVolumeFloor(t)}`,
    for: '5m',
    dataWindow: '5m',
    startupGuard: true,
    levels: [
      { severity: 'warning', incidentClass: 'Sev3', threshold: errors.warning },
      { severity: 'critical', incidentClass: 'Sev2', threshold: errors.critical! },
    ],
    summary: (t) => `Payments API error rate above ${pct(t)}`,
    description: (t) =>
      `{{ $value | humanizePercentage }} of payments API requests were answered with a server error in the last 5 minutes (threshold ${pct(t)}, judged over at least ${ratioVolumeFloor(t)} requests in 5 minutes).`,
    impact: 'Apps, branches and field officers get errors when taking or looking up payments.',
    dependsOn: ['database', 'payments-api'],
  },
  {
    name: 'ApiLatencyHigh',
    category: 'api',
    team: 'platform',
    expr: (t) => `${latency.series} > ${t}`,
    for: '5m',
    dataWindow: '5m',
    startupGuard: true,
    levels: [
      { severity: 'warning', incidentClass: 'Sev3', threshold: latency.warning },
      { severity: 'critical', incidentClass: 'Sev2', threshold: latency.critical! },
    ],
    summary: (t) => `Payments API p95 latency above ${secs(t)}`,
    description: (t) =>
      `95% of payments API requests took up to {{ $value | humanizeDuration }} in the last 5 minutes (threshold ${secs(t)}, target ${secs(latency.target)}).`,
    impact: 'Screens are slow for branches, field officers and customers; clients time out and retry.',
    dependsOn: ['database', 'payments-api'],
  },
  {
    name: 'SystemDown',
    category: 'availability',
    team: 'platform',
    expr: () => `probe_success{${SELECTORS.probesOf('payments-api')}} == 0`,
    // Probes run every 15 s and rules evaluate every 15 s: failing at three consecutive
    // evaluations (the first, +15 s, +30 s) is three failed health checks in a row.
    for: PROBE_FOR,
    levels: [{ severity: 'critical', incidentClass: 'Sev1' }],
    summary: () => 'Payments API is down',
    description: () => 'The health check of {{ $labels.target }} has failed 3 times in a row.',
    impact: 'No payment can be taken or looked up: branches, field officers, apps and gateways callbacks all fail.',
    rootCause: 'payments-api',
    dependsOn: ['database'],
  },
  {
    name: 'AvailabilityLow',
    category: 'availability',
    team: 'platform',
    expr: (t) => `paywatch:availability:ratio_avg1h < ${t}`,
    for: '5m',
    dataWindow: '1h',
    levels: [
      { severity: 'warning', incidentClass: 'Sev3', threshold: availability.warning },
      { severity: 'critical', incidentClass: 'Sev2', threshold: availability.critical! },
    ],
    summary: (t) => `System availability below ${pct(t)}`,
    description: (t) =>
      `{{ $value | humanizePercentage }} of health checks (payments API, LMS, gateways) succeeded in the last hour (threshold ${pct(t)}, target ${pct(availability.target)}).`,
    impact: 'The availability objective is being missed: repeated short outages are hurting customers.',
    dependsOn: ['database', 'payments-api', 'lms', 'gateway'],
  },
  {
    name: 'PaymentGatewayDown',
    category: 'payments',
    team: 'payments',
    expr: () => `probe_success{${SELECTORS.probesOf('gateway')}} == 0`,
    for: PROBE_FOR,
    levels: [{ severity: 'critical', incidentClass: 'Sev2' }],
    summary: () => 'Payment gateway {{ $labels.gateway }} is down',
    description: () => 'The health check of gateway {{ $labels.gateway }} ({{ $labels.target }}) has failed 3 times in a row.',
    impact: 'Card and net-banking payments through this gateway fail until traffic is switched to the other gateway.',
    rootCause: 'gateway',
  },
  {
    name: 'DatabaseDown',
    category: 'database',
    team: 'platform',
    // postgres_exporter answers its scrape but cannot connect to the server. postgres_exporter
    // itself not answering (up{job="postgres"} == 0) is ExporterDown's: the server may be fine.
    expr: () => `${POSTGRES_SERIES.up}{${SELECTORS.postgres}} == 0`,
    for: '1m',
    levels: [{ severity: 'critical', incidentClass: 'Sev1' }],
    summary: () => 'The payments database is unavailable',
    description: () => 'The database server has not answered postgres_exporter for 1 minute (pg_up = {{ $value }}).',
    impact: 'Every payment, posting and verification stops: the whole business is down.',
    rootCause: 'database',
  },
  {
    name: 'DatabaseConnectionFailures',
    category: 'database',
    team: 'platform',
    // Paywatch's exporters, and postgres_exporter (named `postgres` here) failing to connect.
    expr: () =>
      `${EXPORTER_SOURCE_UP.name} == 0 or label_replace(${POSTGRES_SERIES.up}{${SELECTORS.postgres}}, "exporter", "${JOBS.postgres.name}", "", "") == 0`,
    for: '2m',
    levels: [{ severity: 'warning', incidentClass: 'Sev3' }],
    summary: () => 'The {{ $labels.exporter }} exporter cannot read the database',
    description: () => 'The last polls of the {{ $labels.exporter }} exporter failed for 2 minutes; its metrics are stale.',
    impact: 'Dashboards and alerts that read this exporter show old numbers; the application may have the same connection problem.',
    dependsOn: ['database'],
  },
  {
    name: 'DatabaseConnectionsHigh',
    category: 'database',
    team: 'platform',
    expr: (t) => `${dbConnections.series} > ${t}`,
    for: '5m',
    levels: [
      { severity: 'warning', incidentClass: 'Sev3', threshold: dbConnections.warning },
      { severity: 'critical', incidentClass: 'Sev2', threshold: dbConnections.critical! },
    ],
    summary: (t) => `Database connections above ${pct(t)} of max`,
    description: (t) =>
      `{{ $value | humanizePercentage }} of the database's max_connections are in use (threshold ${pct(t)}, target under ${pct(dbConnections.target)}).`,
    impact: 'When the server runs out of connections new requests fail: payments, postings and logins error out.',
    dependsOn: ['database'],
  },
  {
    name: 'LmsDown',
    category: 'lms',
    team: 'lms-integration',
    expr: () => `min(${LMS_UP.name}) == 0 or min(probe_success{${SELECTORS.probesOf('lms')}}) == 0`,
    for: PROBE_FOR,
    levels: [{ severity: 'critical', incidentClass: 'Sev2' }],
    summary: () => 'The Loan Management System is down',
    description: () =>
      'The LMS health check has failed 3 times in a row; receipts queue up instead of being posted' +
      '{{ with query "max(lms_posting_queue_depth)" }} ({{ . | first | value | printf "%.0f" }} waiting now){{ end }}.',
    impact: 'Receipts are not posted to loans: customers see stale balances and may be charged late fees until the queue drains.',
    rootCause: 'lms',
  },
  {
    name: 'LmsPostingFailures',
    category: 'lms',
    team: 'lms-integration',
    expr: (t) =>
      `paywatch:lms_posting_failure_ratio:rate15m > ${t} and on () sum(rate(${LMS_POSTINGS_TOTAL.name}[15m])) * 900 >= ${ratioVolumeFloor(t)}`,
    for: '5m',
    dataWindow: '15m',
    startupGuard: true,
    levels: [{ severity: 'warning', incidentClass: 'Sev3', threshold: OPERATIONAL_THRESHOLDS.lmsPostingFailureRatio }],
    summary: (t) => `More than ${pct(t)} of LMS receipt postings fail`,
    description: (t) =>
      `{{ $value | humanizePercentage }} of receipt postings to the LMS failed in the last 15 minutes (threshold ${pct(t)}, judged over at least ${ratioVolumeFloor(t)} postings in 15 minutes).`,
    impact: 'Failed receipts are not on the loan: the customer paid but the loan shows it unpaid until someone posts it by hand.',
    dependsOn: ['lms', 'database'],
  },
  {
    name: 'LmsPostingQueueDepthHigh',
    category: 'lms',
    team: 'lms-integration',
    expr: (t) => `max(${LMS_POSTING_QUEUE_DEPTH.name}) > ${t}`,
    for: '5m',
    levels: [{ severity: 'warning', incidentClass: 'Sev3', threshold: queue.warning }],
    summary: (t) => `More than ${t} receipts waiting for the LMS`,
    description: (t) => `{{ $value | printf "%.0f" }} receipt postings are waiting in the LMS queue (threshold ${t}).`,
    impact: 'Receipts reach loans late: balances are stale and the queue takes long to drain.',
    dependsOn: ['lms', 'database'],
  },
  {
    name: 'LmsPostingQueueGrowing',
    category: 'lms',
    team: 'lms-integration',
    expr: () =>
      `paywatch:lms_posting_queue_depth:deriv5m > 0 and on () max(lms_posting_queue_depth) > ${OPERATIONAL_THRESHOLDS.lmsQueueGrowingMinDepth}`,
    for: '15m',
    dataWindow: '5m',
    startupGuard: true,
    levels: [{ severity: 'critical', incidentClass: 'Sev2' }],
    summary: () => 'The LMS posting queue has been growing for 15 minutes',
    description: () =>
      `The LMS queue has grown for 15 minutes without draining (now growing by {{ $value | printf "%.2f" }} postings per second).`,
    impact: 'The queue worker is not keeping up or is stuck: receipts pile up and reach loans later and later.',
    dependsOn: ['lms', 'database'],
  },
  {
    name: 'RfidSystemOffline',
    category: 'rfid',
    team: 'branch-operations',
    // Only readers seen alive count: before the first heartbeats (a fresh start) nothing is offline.
    expr: () => `sum(${RFID_READER_UP.name}) == 0 and on () count(${RFID_READER_SEEN}) > 0`,
    for: '5m',
    levels: [{ severity: 'critical', incidentClass: 'Sev2' }],
    summary: () => 'The RFID system is offline',
    description: () =>
      'No RFID reader at any branch has sent a heartbeat for 5 minutes' +
      '{{ with query "sum(rfid_readers)" }} ({{ . | first | value | printf "%.0f" }} readers installed){{ end }}.',
    impact: 'Branches cannot verify customers and staff by card; counters fall back to manual checks.',
    rootCause: 'rfid',
  },
  {
    name: 'RfidReaderOffline',
    category: 'rfid',
    team: 'branch-operations',
    perBranch: true,
    // A reader is offline once it has been seen alive: a fresh start or a new reader is not an outage.
    expr: () => `${RFID_READER_UP.name} == 0 and on (branch, reader) ${RFID_READER_SEEN}`,
    for: '10m',
    levels: [{ severity: 'warning', incidentClass: 'Sev3' }],
    summary: () => 'RFID reader {{ $labels.reader }} at {{ $labels.branch }} is offline',
    description: () => 'Reader {{ $labels.reader }} at branch {{ $labels.branch }} has not sent a heartbeat for 10 minutes.',
    impact: 'The counter with this reader cannot verify cards; queues grow at the branch.',
    dependsOn: ['rfid'],
  },
  {
    name: 'RfidVerificationRateLow',
    category: 'rfid',
    team: 'branch-operations',
    expr: (t) => `${rfid.series} < ${t}`,
    for: '10m',
    dataWindow: '5m',
    startupGuard: true,
    levels: [
      { severity: 'warning', incidentClass: 'Sev3', threshold: rfid.warning },
      { severity: 'critical', incidentClass: 'Sev2', threshold: rfid.critical! },
    ],
    summary: (t) => `RFID verification success below ${pct(t)}`,
    description: (t) =>
      `Only {{ $value | humanizePercentage }} of RFID verifications succeeded in the last 5 minutes (threshold ${pct(t)}, target above ${pct(rfid.target)}).`,
    impact: 'Customers and staff are refused at the counter or wait for manual checks.',
    dependsOn: ['rfid', 'database'],
  },
  {
    name: 'ReconciliationOverdue',
    category: 'reconciliation',
    team: 'finance',
    perBranch: true,
    expr: () => `${RECONCILIATION_OVERDUE.name} > 0`,
    for: '30m',
    levels: [{ severity: 'info', incidentClass: 'Sev4' }],
    summary: () => 'Overdue reconciliations at {{ $labels.branch }}',
    description: () => '{{ $labels.branch }} has {{ $value | printf "%.0f" }} reconciliations past their due time.',
    impact: 'Field collections are not confirmed: cash may be unaccounted for and customers see payments as unconfirmed.',
  },
  {
    name: 'ReconciliationExceptionsHigh',
    category: 'reconciliation',
    team: 'finance',
    perBranch: true,
    expr: (t) => `${RECONCILIATION_EXCEPTIONS_OPEN.name} > ${t}`,
    for: '30m',
    levels: [{ severity: 'info', incidentClass: 'Sev4', threshold: OPERATIONAL_THRESHOLDS.reconciliationExceptionsOpen }],
    summary: () => 'Many reconciliation exceptions at {{ $labels.branch }}',
    description: (t) => '{{ $labels.branch }} has {{ $value | printf "%.0f" }} open reconciliation exceptions' + ` (threshold ${t}).`,
    impact: 'Mismatches between collected and recorded amounts are piling up: possible cash loss or fraud, and delayed books.',
  },
  {
    name: 'LateRowsGrowing',
    category: 'payments',
    team: 'payments',
    expr: (t) =>
      `sum by (view) (increase(${EXPORTER_LATE_ROWS_TOTAL.name}[1h])) / sum by (view) (increase(${EXPORTER_ROW_LATENESS_SECONDS.name}_count[1h])) > ${t}` +
      ` and sum by (view) (increase(${EXPORTER_LATE_ROWS_TOTAL.name}[1h])) >= ${OPERATIONAL_THRESHOLDS.lateRowsMinPerHour}`,
    for: '15m',
    levels: [{ severity: 'warning', incidentClass: 'Sev3', threshold: OPERATIONAL_THRESHOLDS.lateRowsRatio }],
    summary: (t) => `More than ${pct(t)} of {{ $labels.view }} rows arrive late`,
    description: (t) =>
      `{{ $value | humanizePercentage }} of the {{ $labels.view }} rows counted in the last hour were committed later than the exporters' safety lag after their business timestamp (threshold ${pct(t)}, at least ${OPERATIONAL_THRESHOLDS.lateRowsMinPerHour} rows).`,
    impact:
      'Payments reach the dashboards and alerts late (counted exactly once, but after the fact): success rates and collections look low, then jump; webhooks, return files or a replica are lagging.',
    dependsOn: ['database'],
  },
  {
    name: 'FailedLoginsHigh',
    category: 'security',
    team: 'security',
    // increase() over a minute of 15-second scrapes: the failures between the first and last
    // sample, extrapolated to the minute.
    expr: (t) => `sum(increase(${AUTH_LOGIN_FAILURES_TOTAL.name}{${SELECTORS.paymentsApi}}[1m])) > ${t}`,
    for: '0s',
    dataWindow: '1m',
    startupGuard: true,
    levels: [{ severity: 'warning', incidentClass: 'Sev3', threshold: OPERATIONAL_THRESHOLDS.failedLoginsPerMinute }],
    summary: (t) => `More than ${t} failed logins in a minute`,
    description: (t) =>
      `{{ $value | printf "%.0f" }} logins to the payments portal failed in the last minute (threshold ${t}): someone may be guessing passwords.`,
    impact: 'Accounts of customers or staff may be taken over: payments redirected, data read.',
  },
  {
    name: 'RateLimitingHigh',
    category: 'security',
    team: 'security',
    expr: (t) => `sum by (route) (increase(${HTTP_RATE_LIMITED_TOTAL.name}{${SELECTORS.paymentsApi}}[5m])) > ${t}`,
    for: '5m',
    dataWindow: '5m',
    startupGuard: true,
    levels: [{ severity: 'warning', incidentClass: 'Sev3', threshold: OPERATIONAL_THRESHOLDS.rateLimitedPer5m }],
    summary: (t) => `The rate limiter refuses more than ${t} requests in 5 minutes on {{ $labels.route }}`,
    description: (t) =>
      `The payments API refused {{ $value | printf "%.0f" }} requests to {{ $labels.route }} in the last 5 minutes for coming too fast (threshold ${t}), for 5 minutes.`,
    impact: 'A client is hammering the API (a script, an attack, or a broken app retrying): real customers may be refused too.',
  },
  {
    name: 'SuspiciousRequests',
    category: 'security',
    team: 'security',
    expr: () => `sum by (pattern) (increase(${HTTP_SUSPICIOUS_REQUESTS_TOTAL.name}{${SELECTORS.paymentsApi}}[5m])) > 0`,
    for: '0s',
    dataWindow: '5m',
    startupGuard: true,
    levels: [{ severity: 'warning', incidentClass: 'Sev3' }],
    summary: () => 'Suspicious requests to the payments API: {{ $labels.pattern }}',
    description: () =>
      '{{ $value | printf "%.0f" }} requests in the last 5 minutes matched the {{ $labels.pattern }} pattern (one client trying many users or many unknown loans in a minute).',
    impact: "Someone is probing the portal: stolen credentials being tried, or loan numbers being enumerated to read customers' data.",
  },
  {
    name: 'ExporterDown',
    category: 'monitoring',
    team: 'platform',
    // Paywatch's exporters, and postgres_exporter (DatabaseDown needs it to tell the server is down).
    expr: () => `up{${SELECTORS.exporters}} == 0 or up{${SELECTORS.postgres}} == 0`,
    for: '2m',
    levels: [{ severity: 'warning', incidentClass: 'Sev3' }],
    summary: () => 'The {{ $labels.job }} exporter cannot be scraped',
    description: () => 'Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for 2 minutes.',
    impact: 'Alerts that read this exporter cannot fire and dashboards show gaps: we are blind on this part of the business.',
  },
  {
    name: 'ReportNotSent',
    category: 'monitoring',
    team: 'platform',
    // reports_overdue counts today's scheduled reports past their send time and not accepted by
    // SMTP; the scheduler retries on its own, so 30 minutes means the retries are not working.
    // After a start (the stack was not running at the send time) the scheduler catches up with
    // everything due earlier today: minutes of rendering, not a failure, so the count starts once
    // the stack has run REPORTS_CATCH_UP (Prometheus's start: the stack's); a report that still has
    // not gone out then fires 30 minutes later.
    expr: () =>
      `(max by (report) (reports_overdue) > 0) unless on () (time() - ${PROMETHEUS_STARTED} < ${durationSeconds(REPORTS_CATCH_UP)})`,
    for: '30m',
    levels: [{ severity: 'warning', incidentClass: 'Sev3' }],
    summary: () => 'Scheduled {{ $labels.report }} reports have not gone out',
    description: () =>
      "{{ $value }} of today's scheduled {{ $labels.report }} reports are past their send time and still not sent after 30 minutes of retries.",
    impact: "People who rely on the daily e-mail (executives, finance, branch managers) do not get today's figures.",
  },
];

/** How long after a start the report scheduler may take to send what fell due while the stack was down. */
const REPORTS_CATCH_UP = '30m';

/** Prometheus's own start, from its self-scrape (absent: no guard, the alert works as without it). */
const PROMETHEUS_STARTED = `max(process_start_time_seconds{job="${JOBS.prometheus.name}"})`;

/** The rule's expression for one threshold: the alert's condition, with its start-up guard. */
export function alertExpr(alert: AlertDefinition, threshold: number, level: AlertLevel): string {
  const condition = alert.expr(threshold, level);
  if (!alert.startupGuard) return condition;
  if (!alert.dataWindow)
    throw new Error(`${alert.name} has a startup guard but no dataWindow: say how long a window of live data it needs`);
  return `(${condition}) unless on () (time() - ${PROMETHEUS_STARTED} < ${durationSeconds(alert.dataWindow)})`;
}
// The KPIs that declare an alert in the contract (kpi-ratios.ts), with their thresholds.
ALERTS.push(...ratioAlerts(ratioVolumeFloor));
// The machines and the database server (alerts-servers.ts).
ALERTS.push(...serverAlerts());
// The SLOs' burn-rate alerts (slo.ts), generated from the contract's SLOs like the rules they read.
ALERTS.push(...sloAlerts(), ...paceAlerts());

export function alertByName(name: string): AlertDefinition {
  const found = ALERTS.find((a) => a.name === name);
  if (!found) throw new Error(`unknown alert ${name}`);
  return found;
}
