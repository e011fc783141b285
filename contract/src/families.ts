// Every metric family Paywatch exports, declared once: name, type, labels, help, unit, buckets.
// The exporters build their families from these (exporters/src/*.ts), the payments API and the
// exporters' health metrics register them with prom-client, the rules and the history read the
// names, and docs/metrics.md plus the plugin's metrics catalogue are generated from them.
//
// No imports: the Grafana app (plugin/, its own npm project and bundler) reads this file by path.

import type { PortName, PortSpec } from './ports.ts';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** What a value is measured in; `count` for plain numbers of things. */
export type MetricUnit = 'count' | 'seconds' | 'inr' | 'ratio' | 'bool' | 'timestamp';

export interface MetricFamily {
  name: string;
  type: MetricType;
  labels: readonly string[];
  /** The `# HELP` line the process serves. */
  help: string;
  unit: MetricUnit;
  /** Histogram bucket upper bounds (seconds), ascending. */
  buckets?: readonly number[];
  /** The meaning column of docs/metrics.md (markdown) when it says more than `help`. */
  doc?: string;
  /**
   * A counter of rows of one contract view (docs/schema.md): the exporter that lists the family
   * counts them with its generic collector (exporters/src/core/view-counter.ts), no collector
   * written by hand. Every label is a column of the view of the same name.
   */
  source?: CountedView;
}

export interface CountedView {
  /** e.g. `paywatch.mandate_registrations`. */
  view: string;
  /** The business timestamp a row is counted at (NULL: not countable yet). */
  time: string;
  /** SQL condition over the view's columns selecting the rows that count, e.g. final statuses only. */
  where?: string;
}

/** Declares a family; a histogram's `buckets` stay typed as present for its readers. */
export function family<
  const L extends readonly string[],
  const E extends { buckets?: readonly number[]; doc?: string; source?: CountedView } = {},
>(name: string, type: MetricType, labels: L, help: string, unit: MetricUnit, extra: E = {} as E): MetricFamily & { labels: L } & E {
  if (type === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
  if (type === 'histogram' && !extra.buckets?.length) throw new Error(`histogram ${name} needs buckets`);
  if (extra.source && type !== 'counter') throw new Error(`${name}: only a counter counts the rows of a view (source)`);
  return { name, type, labels, help, unit, ...extra };
}

// ---- payments exporter ---------------------------------------------------------------------

export const PAYMENTS_TOTAL = family(
  'payments_total',
  'counter',
  ['branch', 'channel', 'status'],
  'Payments that reached a terminal status (success or failed)',
  'count',
  {
    doc: "payments that reached a terminal status; `status` = `success` \\| `failed`. Name and labels are fixed: the customer's dashboards query them.",
  },
);
export const PAYMENT_AMOUNT_TOTAL = family('payment_amount_total', 'counter', ['branch', 'channel'], 'INR of successful payments', 'inr', {
  doc: 'INR of successful payments. Name fixed as above.',
});
export const PAYMENT_FAILURES_TOTAL = family(
  'payment_failures_total',
  'counter',
  ['branch', 'channel', 'reason'],
  'Failed payments by reason',
  'count',
  {
    doc: 'failed payments by reason: `insufficient_funds`, `mandate_error`, `gateway_timeout`, `declined`, `otp_failed`, `technical_error`, `cancelled`',
  },
);
export const PAYMENT_REVERSALS_TOTAL = family(
  'payment_reversals_total',
  'counter',
  ['branch', 'channel', 'reason'],
  'Payments reported successful and reversed afterwards (returns, chargebacks, refunds)',
  'count',
  {
    doc: 'payments first reported `success` and reversed afterwards, as events of their own (`paywatch.payment_reversals`), by `reason`: `nach_return`, `autopay_return`, `chargeback`, `gateway_reversal`, `refund`. `payments_total` stays as first reported; the settled success rate subtracts these',
  },
);
export const PAYMENT_REVERSED_AMOUNT_TOTAL = family(
  'payment_reversed_amount_total',
  'counter',
  ['branch', 'channel'],
  'INR of payments reversed after they were reported successful',
  'inr',
  { doc: 'INR of reversed payments: `payment_amount_total` minus this is what was collected and kept' },
);
export const PAYMENT_PROCESSING_SECONDS = family(
  'payment_processing_seconds',
  'histogram',
  ['channel'],
  'Seconds from creation to terminal status of a payment',
  'seconds',
  {
    buckets: [0.5, 1, 2, 3, 5, 10, 30, 60, 300, 3600, 86400],
    doc: 'completed_at − created_at of terminal payments',
  },
);
export const PAYMENTS_PENDING = family('payments_pending', 'gauge', ['branch', 'channel'], 'Payments not yet terminal', 'count');
export const FIELD_COLLECTIONS_TOTAL = family(
  'field_collections_total',
  'counter',
  ['branch', 'officer', 'otp'],
  'Cash collections by field officer and OTP outcome (verified, failed, expired)',
  'count',
  {
    doc: 'cash collections by OTP outcome: `verified`, `failed`, `expired`',
  },
);
export const FIELD_COLLECTION_AMOUNT_TOTAL = family(
  'field_collection_amount_total',
  'counter',
  ['branch', 'officer'],
  'INR collected in the field with OTP verified',
  'inr',
);
export const FIELD_COLLECTIONS_UNCONFIRMED = family(
  'field_collections_unconfirmed',
  'gauge',
  ['branch', 'officer'],
  'OTP-verified collections the branch has not confirmed yet',
  'count',
  {
    doc: 'OTP-verified collections the branch has not confirmed yet (customer payment status "awaiting branch confirmation")',
  },
);
export const RECONCILIATION_PENDING = family('reconciliation_pending', 'gauge', ['branch'], 'Reconciliations still pending', 'count');
export const RECONCILIATION_OVERDUE = family(
  'reconciliation_overdue',
  'gauge',
  ['branch'],
  'Pending reconciliations past their due time',
  'count',
  {
    doc: 'pending reconciliations past their `due_at`',
  },
);
export const RECONCILIATION_EXCEPTIONS_OPEN = family(
  'reconciliation_exceptions_open',
  'gauge',
  ['branch'],
  'Reconciliations in exception not yet resolved',
  'count',
  {
    doc: 'reconciliations in `exception` not yet resolved',
  },
);
export const MANDATE_REGISTRATIONS_TOTAL = family(
  'mandate_registrations_total',
  'counter',
  ['branch', 'channel', 'status'],
  'Mandate registrations that reached a final status (success or failed), by channel (upi_autopay, nach)',
  'count',
  {
    doc: 'mandate registrations (customers authorising auto-debit) that reached a final status; `channel` = `upi_autopay` \\| `nach`, `status` = `success` \\| `failed`',
    // Counted once, when the bank or NPCI answers (in commit order, or by completed_at).
    source: { view: 'paywatch.mandate_registrations', time: 'completed_at', where: "status IN ('success', 'failed')" },
  },
);
export const BRANCH_COLLECTED_TODAY_INR = family(
  'branch_collected_today_inr',
  'gauge',
  ['branch'],
  'INR of successful payments completed today (IST business day)',
  'inr',
);
export const BRANCH_DAILY_TARGET_INR = family(
  'branch_daily_target_inr',
  'gauge',
  ['branch'],
  "Today's collection target (IST business day)",
  'inr',
);

// ---- LMS exporter --------------------------------------------------------------------------

export const LMS_POSTING_QUEUE_DEPTH = family('lms_posting_queue_depth', 'gauge', [], 'Postings waiting in the outbox (pending)', 'count', {
  doc: 'postings waiting in the outbox (`pending`)',
});
export const LMS_POSTING_QUEUE_DEPTH_BY_BRANCH = family(
  'lms_posting_queue_depth_by_branch',
  'gauge',
  ['branch'],
  'Postings waiting in the outbox (pending), per branch',
  'count',
  {
    doc: 'the same per branch',
  },
);
export const LMS_POSTINGS_TOTAL = family(
  'lms_postings_total',
  'counter',
  ['branch', 'outcome'],
  'Postings that reached a terminal state (posted or failed)',
  'count',
  {
    doc: 'postings that reached a terminal state: `posted` \\| `failed`',
  },
);
export const LMS_POSTING_OLDEST_PENDING_SECONDS = family(
  'lms_posting_oldest_pending_seconds',
  'gauge',
  [],
  'Age of the oldest pending posting (0 when none)',
  'seconds',
);
export const LMS_UP = family('lms_up', 'gauge', [], '1 when the LMS answers its health check (LMS_HEALTH_URL), else 0', 'bool', {
  doc: '1 when the LMS answers its health check (`LMS_HEALTH_URL`), else 0',
});

// ---- RFID exporter -------------------------------------------------------------------------

export const RFID_VERIFICATIONS_TOTAL = family(
  'rfid_verifications_total',
  'counter',
  ['branch', 'result'],
  'RFID verifications by result (success, denied, error)',
  'count',
  {
    doc: 'verifications: `success`, `denied` (card refused), `error` (reader/system error)',
  },
);
export const RFID_VERIFICATION_DURATION_SECONDS = family(
  'rfid_verification_duration_seconds',
  'histogram',
  ['branch'],
  'RFID verification latency',
  'seconds',
  {
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5],
    doc: 'verification latency',
  },
);
/** Its help names the configured timeout: use rfidReaderUpHelp(). */
export const RFID_READER_UP = family(
  'rfid_reader_up',
  'gauge',
  ['branch', 'reader'],
  "1 when the reader's heartbeat is newer than the timeout",
  'bool',
  {
    doc: "1 when the reader's heartbeat is newer than `RFID_READER_TIMEOUT_SECONDS` (default 120)",
  },
);
export const rfidReaderUpHelp = (timeoutSeconds: number) => `1 when the reader's heartbeat is newer than ${timeoutSeconds} s`;
export const RFID_READERS = family('rfid_readers', 'gauge', ['branch'], 'Readers installed at the branch', 'count', {
  doc: 'readers installed at the branch',
});

// ---- pool exporter: the applications' connection pools ------------------------------------
// "Pool" means one thing in Paywatch: an application's pg connection pool (APPLICATION_POOLS).
// The database server's own facts (up, connections against max_connections, locks) are
// postgres_exporter's (POSTGRES_SERIES, contract/src/servers.ts).

export const APP_POOL_CONNECTIONS = family(
  'paywatch_app_pool_connections',
  'gauge',
  ['application', 'state'],
  "Server connections each Paywatch application's pool holds, by state (pg_stat_activity by application_name)",
  'count',
  {
    doc: "server connections each Paywatch application's pool holds (`application` = its `application_name`, APPLICATION_POOLS), by `state`: `active` and `idle_in_transaction` (checked out of the pool: in use), `idle` (waiting in the pool)",
  },
);
export const APP_POOL_SIZE = family(
  'paywatch_app_pool_size',
  'gauge',
  ['application'],
  "Each Paywatch application's configured pool size (APPLICATION_POOLS)",
  'count',
  {
    doc: "each Paywatch application's pool size as APPLICATION_POOLS declares it (the size the application opens its pool with by default); saturation = in-use connections / size",
  },
);
export const APP_POOL_STATS_AVAILABLE = family(
  'paywatch_app_pool_stats_available',
  'gauge',
  [],
  "1 when the server shows each application's connections in pg_stat_activity (0 on an embedded PGlite)",
  'bool',
  {
    doc: "1 when the server shows each application's connections (`pg_stat_activity`); 0 on the embedded PGlite, whose one backend serves every connection, so no per-application numbers are exported",
  },
);

// ---- every exporter's health ---------------------------------------------------------------

export const EXPORTER_SOURCE_UP = family(
  'paywatch_exporter_source_up',
  'gauge',
  ['exporter'],
  '1 when the last poll of the database succeeded',
  'bool',
);
export const EXPORTER_POLL_DURATION_SECONDS = family(
  'paywatch_exporter_poll_duration_seconds',
  'histogram',
  ['exporter'],
  'Time of one poll of the database',
  'seconds',
  {
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    doc: 'time of one poll of the database',
  },
);
export const EXPORTER_POLL_ERRORS_TOTAL = family(
  'paywatch_exporter_poll_errors_total',
  'counter',
  ['exporter'],
  'Failed polls of the database',
  'count',
  { doc: 'failed polls' },
);
export const EXPORTER_LAST_SUCCESS_TIMESTAMP_SECONDS = family(
  'paywatch_exporter_last_success_timestamp_seconds',
  'gauge',
  ['exporter'],
  'Unix time of the last successful poll',
  'timestamp',
);
export const EXPORTER_POOL_CLIENTS = family(
  'paywatch_exporter_pool_clients',
  'gauge',
  ['exporter', 'state'],
  "The exporter's own pg pool: total, idle and waiting clients",
  'count',
  {
    doc: "the exporter's own `pg` pool: `total`, `idle`, `waiting`",
  },
);

// ---- the payments engine's API (the simulator plays it) ------------------------------------

export const EXPORTER_ROWS_REFUSED_TOTAL = family(
  'paywatch_exporter_rows_refused_total',
  'counter',
  ['exporter', 'view', 'reason'],
  'Rows of a contract view the exporter refused to count (each also logged)',
  'count',
  {
    doc: 'rows the exporter refused to count, by view and `reason`: `branch_missing`, `channel_unknown`, `status_unknown`, `amount_invalid` (NULL, zero or negative, or at least 10^12 INR), `amount_overflow` (a group whose sum in paise is not an exact number); each poll that refuses rows logs one line. Counters are never half-updated: the other rows of the poll are counted',
  },
);
export const EXPORTER_LATE_ROWS_TOTAL = family(
  'paywatch_exporter_late_rows_total',
  'counter',
  ['exporter', 'view'],
  'Rows counted later than the safety lag after their business timestamp (late commits)',
  'count',
  {
    doc: 'rows counted more than the safety lag (`--safety-lag`, default 30 s) after their business timestamp (`completed_at`, `collected_at`, `finished_at`, `verified_at`): late gateway webhooks, NACH return files, a long transaction, a lagging replica. Counted exactly once all the same (commit order, docs/schema.md); `view` = the contract view without its schema',
  },
);
export const EXPORTER_ROW_LATENESS_SECONDS = family(
  'paywatch_exporter_row_lateness_seconds',
  'histogram',
  ['exporter', 'view'],
  "Seconds from a row's business timestamp to the poll that counted it",
  'seconds',
  {
    buckets: [5, 30, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400],
    doc: "business clock at the poll that read a row − the row's business timestamp (0 for a timestamp in the future), for every row read in commit order (refused ones too)",
  },
);
export const EXPORTER_SOURCE_BEHIND = family(
  'paywatch_exporter_source_behind',
  'gauge',
  ['exporter'],
  '1 while the database is behind what was already counted (a lagging replica after a failover): counting waits',
  'bool',
  {
    doc: '1 while the database shows fewer committed transactions than the exporter already counted (failover to a replica that lags): counters wait for it to catch up rather than count anything twice',
  },
);

export const HTTP_REQUEST_DURATION_SECONDS = family(
  'http_request_duration_seconds',
  'histogram',
  ['service', 'route', 'method', 'status'],
  'Payments API request latency by route template, method and status.',
  'seconds',
  {
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    doc: 'API request latency; `route` is the route template (`/api/payments`, `/api/loans/:ref`, `/api/login`, `/health`)',
  },
);
export const HTTP_REQUEST_ERRORS_TOTAL = family(
  'http_request_errors_total',
  'counter',
  ['service', 'route', 'kind'],
  'Payments API requests that ended in an error, by kind: server_error, timeout, dependency.',
  'count',
  {
    doc: 'requests that ended in an error: `kind` = `server_error` \\| `timeout` \\| `dependency`',
  },
);
export const AUTH_LOGIN_FAILURES_TOTAL = family('auth_login_failures_total', 'counter', ['service'], 'Failed portal logins.', 'count', {
  doc: 'failed logins',
});
export const HTTP_RATE_LIMITED_TOTAL = family(
  'http_rate_limited_total',
  'counter',
  ['service', 'route'],
  'Requests refused by the rate limiter (HTTP 429).',
  'count',
  {
    doc: 'requests refused by the rate limiter (HTTP 429)',
  },
);
export const HTTP_SUSPICIOUS_REQUESTS_TOTAL = family(
  'http_suspicious_requests_total',
  'counter',
  ['service', 'pattern'],
  'Requests that match a suspicious pattern, by pattern: credential_stuffing, loan_enumeration.',
  'count',
  {
    doc: 'requests matching a suspicious pattern: `credential_stuffing` (one client failing logins for 5 or more users in a minute) \\| `loan_enumeration` (one client asking for 10 or more unknown loans in a minute)',
  },
);
export const PAYMENT_GATEWAY_REQUEST_DURATION_SECONDS = family(
  'payment_gateway_request_duration_seconds',
  'histogram',
  ['gateway', 'outcome'],
  'Calls to the card and net-banking payment gateways, by outcome: success, declined, timeout, error.',
  'seconds',
  {
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    doc: 'calls to the card/net-banking gateways; `outcome` = `success` \\| `declined` \\| `timeout` \\| `error`',
  },
);
export const APP_DB_POOL_CLIENTS = family(
  'app_db_pool_clients',
  'gauge',
  ['service', 'state'],
  "The payments API's own pg pool: total, idle and waiting clients.",
  'count',
  {
    doc: "the API's own `pg` pool: `total`, `idle`, `waiting`",
  },
);
export const APP_DB_POOL_MAX = family('app_db_pool_max', 'gauge', ['service'], "The payments API pool's size limit.", 'count', {
  doc: "the API pool's size limit",
});
export const SIMULATOR_SCENARIO_ACTIVE = family(
  'simulator_scenario_active',
  'gauge',
  ['scenario'],
  '1 while a demo scenario runs.',
  'bool',
  {
    doc: '1 while a demo scenario runs: `lms_outage`, `gateway_outage`, `rfid_outage`, `slow_database`',
  },
);

// ---- the scope proxy -----------------------------------------------------------------------

export const SCOPE_PROXY_REQUESTS_TOTAL = family(
  'scope_proxy_requests_total',
  'counter',
  ['role', 'endpoint', 'decision'],
  'Requests to the scope proxy by caller role, endpoint and decision (allowed or denied).',
  'count',
  {
    doc: 'every request: `decision` = `allowed` \\| `denied`',
  },
);
export const SCOPE_PROXY_REQUEST_DURATION_SECONDS = family(
  'scope_proxy_request_duration_seconds',
  'histogram',
  ['endpoint'],
  'Time spent in the scope proxy per request, including the call to Prometheus.',
  'seconds',
  {
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    doc: 'time spent in the proxy including Prometheus',
  },
);
export const SCOPE_PROXY_POLICY_RELOADS_TOTAL = family(
  'scope_proxy_policy_reloads_total',
  'counter',
  ['result'],
  'Policy file reloads by result (success or failure; a failure keeps the last good policy).',
  'count',
  {
    doc: 'policy file reloads: `success` \\| `failure`',
  },
);
export const SCOPE_PROXY_POLICY_LAST_RELOAD_SUCCESS = family(
  'scope_proxy_policy_last_reload_success',
  'gauge',
  [],
  '1 when the last policy (re)load succeeded, 0 when the proxy is running on an older policy.',
  'bool',
  {
    doc: '1 when the last reload succeeded',
  },
);

// ---- the report scheduler (reports/) -----------------------------------------------------------

export const REPORTS_SENT_TOTAL = family(
  'reports_sent_total',
  'counter',
  ['report'],
  'Report e-mails accepted by the SMTP server',
  'count',
  {
    doc: 'scheduled report e-mails accepted by the SMTP server; `report` = `executive-daily` \\| `branch-daily` \\| `finance-reconciliation`',
  },
);
export const REPORT_RENDER_SECONDS = family(
  'report_render_seconds',
  'histogram',
  ['report'],
  "Time to read one e-mail's reports through the scope proxy and print them to PDF",
  'seconds',
  {
    buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60],
  },
);
export const REPORT_FAILURES_TOTAL = family(
  'report_failures_total',
  'counter',
  ['report', 'stage'],
  'Failed attempts to send a scheduled report, by stage: render, refused (the scope cannot see it) or send (SMTP)',
  'count',
);
export const REPORTS_OVERDUE = family(
  'reports_overdue',
  'gauge',
  ['report'],
  'Scheduled reports of today (IST) whose send time has passed and that have not gone out',
  'count',
  {
    doc: "today's (IST) scheduled reports past their send time and not sent yet: what `ReportNotSent` watches",
  },
);
export const REPORTS_SCHEDULER_LAST_CHECK_TIMESTAMP_SECONDS = family(
  'reports_scheduler_last_check_timestamp_seconds',
  'gauge',
  [],
  'When the report scheduler last checked what is due (its clock)',
  'timestamp',
);

export const REPORT_SCHEDULER_FAMILIES = [
  REPORTS_SENT_TOTAL,
  REPORT_RENDER_SECONDS,
  REPORT_FAILURES_TOTAL,
  REPORTS_OVERDUE,
  REPORTS_SCHEDULER_LAST_CHECK_TIMESTAMP_SECONDS,
] as const;

/** Where a group of families is served: one section of docs/metrics.md and of the catalogue. */
export interface MetricSource {
  /** Section heading, e.g. "Payments exporter". */
  title: string;
  /** The process and its port, e.g. "`exporters/payments`, port 9401" (rendered in brackets). */
  where?: string;
  /** A paragraph before the table. */
  intro?: string;
  families: readonly MetricFamily[];
  /** Rows for families that are not Paywatch's to declare (prom-client's defaults). */
  notes?: ReadonlyArray<{ name: string; doc: string }>;
  /** A paragraph after the table. */
  outro?: string;
}

/** The exporters' families, by exporter: the collectors build exactly these. */
export const EXPORTER_FAMILIES = {
  payments: [
    PAYMENTS_TOTAL,
    PAYMENT_AMOUNT_TOTAL,
    PAYMENT_FAILURES_TOTAL,
    PAYMENT_PROCESSING_SECONDS,
    PAYMENT_REVERSALS_TOTAL,
    PAYMENT_REVERSED_AMOUNT_TOTAL,
    PAYMENTS_PENDING,
    FIELD_COLLECTIONS_TOTAL,
    FIELD_COLLECTION_AMOUNT_TOTAL,
    FIELD_COLLECTIONS_UNCONFIRMED,
    RECONCILIATION_PENDING,
    RECONCILIATION_OVERDUE,
    RECONCILIATION_EXCEPTIONS_OPEN,
    MANDATE_REGISTRATIONS_TOTAL,
    BRANCH_COLLECTED_TODAY_INR,
    BRANCH_DAILY_TARGET_INR,
  ],
  lms: [LMS_POSTING_QUEUE_DEPTH, LMS_POSTING_QUEUE_DEPTH_BY_BRANCH, LMS_POSTINGS_TOTAL, LMS_POSTING_OLDEST_PENDING_SECONDS, LMS_UP],
  rfid: [RFID_VERIFICATIONS_TOTAL, RFID_VERIFICATION_DURATION_SECONDS, RFID_READER_UP, RFID_READERS],
  pool: [APP_POOL_CONNECTIONS, APP_POOL_SIZE, APP_POOL_STATS_AVAILABLE],
} as const satisfies Record<string, readonly MetricFamily[]>;

export const EXPORTER_HEALTH_FAMILIES = [
  EXPORTER_SOURCE_UP,
  EXPORTER_POLL_DURATION_SECONDS,
  EXPORTER_POLL_ERRORS_TOTAL,
  EXPORTER_LAST_SUCCESS_TIMESTAMP_SECONDS,
  EXPORTER_POOL_CLIENTS,
  EXPORTER_ROWS_REFUSED_TOTAL,
  EXPORTER_LATE_ROWS_TOTAL,
  EXPORTER_ROW_LATENESS_SECONDS,
  EXPORTER_SOURCE_BEHIND,
] as const;

export const PAYMENTS_API_FAMILIES = [
  HTTP_REQUEST_DURATION_SECONDS,
  HTTP_REQUEST_ERRORS_TOTAL,
  AUTH_LOGIN_FAILURES_TOTAL,
  HTTP_RATE_LIMITED_TOTAL,
  HTTP_SUSPICIOUS_REQUESTS_TOTAL,
  PAYMENT_GATEWAY_REQUEST_DURATION_SECONDS,
  APP_DB_POOL_CLIENTS,
  APP_DB_POOL_MAX,
  SIMULATOR_SCENARIO_ACTIVE,
] as const;

export const SCOPE_PROXY_FAMILIES = [
  SCOPE_PROXY_REQUESTS_TOTAL,
  SCOPE_PROXY_REQUEST_DURATION_SECONDS,
  SCOPE_PROXY_POLICY_RELOADS_TOTAL,
  SCOPE_PROXY_POLICY_LAST_RELOAD_SUCCESS,
] as const;

/**
 * Every source of metrics in the order of docs/metrics.md. Ports are not written here (they are
 * the port table's): `where` names the port key and the renderer fills in the number.
 */
export const METRIC_SOURCES: ReadonlyArray<MetricSource & { port?: PortName }> = [
  { title: 'Payments exporter', where: '`exporters/payments`', port: 'payments', families: EXPORTER_FAMILIES.payments },
  { title: 'LMS exporter', where: '`exporters/lms`', port: 'lms', families: EXPORTER_FAMILIES.lms },
  { title: 'RFID exporter', where: '`exporters/rfid`', port: 'rfid', families: EXPORTER_FAMILIES.rfid },
  { title: 'Pool exporter', where: '`exporters/pool`', port: 'pool', families: EXPORTER_FAMILIES.pool },
  {
    title: 'Exporter health',
    where: 'every exporter',
    families: EXPORTER_HEALTH_FAMILIES,
    notes: [
      {
        name: '`process_*`, `nodejs_*`',
        doc: "prom-client's default process metrics (less `nodejs_active_{handles,requests,resources}_total`, gauges whose `_total` names `promtool check metrics` rejects; the same numbers stay in `nodejs_active_handles` etc.)",
      },
    ],
  },
  {
    title: 'Payments engine API',
    where: 'the simulator plays it; `simulator`',
    port: 'api',
    intro: "Instrumented directly, as Prometheus recommends for one's own code. `service` = `payments-api`.",
    families: PAYMENTS_API_FAMILIES,
    outro:
      'The API serves `/health` (HTTP 503 while a simulated outage of the engine or its database runs) and\n' +
      'the LMS and gateways have health endpoints too (`/lms/health`, `/gateways/<gateway>/health`), which\n' +
      'the blackbox prober checks (`probe_success{target=...}` with `job="blackbox"`).',
  },
  { title: 'Scope proxy', where: '`scope-proxy`', port: 'scopeProxy', families: SCOPE_PROXY_FAMILIES },
  { title: 'Report scheduler', where: '`reports/src/main.ts`', port: 'reports', families: REPORT_SCHEDULER_FAMILIES },
];

/**
 * The heading of a source in docs/metrics.md and the catalogue, e.g.
 * "Payments exporter (`exporters/payments`, port 9401)"; `ports` is the contract's PORTS.
 */
export function sourceHeading(source: MetricSource & { port?: PortName }, ports: Record<PortName, PortSpec>): string {
  const where = [source.where, source.port ? `port ${ports[source.port].port}` : ''].filter(Boolean).join(', ');
  return where ? `${source.title} (${where})` : source.title;
}

/** The meaning column of docs/metrics.md (markdown: a `|` is escaped) and the catalogue's help. */
export function familyMeaning(f: MetricFamily): string {
  // The help sentence starts lower-case in a table cell, unless it starts with an acronym (INR).
  const help = /^[A-Z][a-z]/.test(f.help) ? f.help.charAt(0).toLowerCase() + f.help.slice(1) : f.help;
  let text = f.doc ?? help;
  if (f.buckets) text += `; buckets ${f.buckets.join(', ')}`;
  return text;
}

/** Every family Paywatch declares. */
export const ALL_FAMILIES: readonly MetricFamily[] = METRIC_SOURCES.flatMap((s) => s.families);

/**
 * prom-client's default process metrics that every Paywatch process leaves out: gauges named
 * `_total`, which `promtool check metrics` rejects. The same numbers are in nodejs_active_handles,
 * nodejs_active_requests and nodejs_active_resources (by type).
 */
export const DEFAULT_METRICS_LEFT_OUT: readonly string[] = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** A family as prom-client's metric options (name, help, labelNames, buckets). */
export function promOptions<L extends string>(
  f: MetricFamily & { labels: readonly L[] },
): { name: string; help: string; labelNames: L[]; buckets?: number[] } {
  return { name: f.name, help: f.help, labelNames: [...f.labels], ...(f.buckets ? { buckets: [...f.buckets] } : {}) };
}
