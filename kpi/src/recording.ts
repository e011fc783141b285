// Recording rules: everything a dashboard or an alert reads often, pre-computed once per
// evaluation instead of once per panel refresh. Names follow Prometheus's level:metric:operations.
// The names in the contract's RECORDING_RULES (@paywatch/contract, rendered in docs/metrics.md) are
// a contract with the dashboards and the scope proxy's policy: they may be added to, never renamed.
// Raw series are named by the contract's families and jobs, never typed here. Rules whose level is `paywatch`
// aggregate away `branch` and `officer`: they are the only series the viewer role may read.
//
// Rules inside a group are evaluated in order at the same timestamp, so later rules build on
// earlier ones (branch_channel -> branch -> channel -> paywatch) instead of re-reading raw series.

import {
  BRANCH_COLLECTED_TODAY_INR,
  BRANCH_DAILY_TARGET_INR,
  FIELD_COLLECTIONS_TOTAL,
  FIELD_COLLECTION_AMOUNT_TOTAL,
  HTTP_REQUEST_DURATION_SECONDS,
  HTTP_REQUEST_ERRORS_TOTAL,
  LMS_POSTINGS_TOTAL,
  LMS_POSTING_QUEUE_DEPTH,
  maintenancePromql,
  PAYMENTS_TOTAL,
  PAYMENT_AMOUNT_TOTAL,
  PAYMENT_FAILURES_TOTAL,
  PAYMENT_GATEWAY_REQUEST_DURATION_SECONDS,
  PAYMENT_PROCESSING_SECONDS,
  PAYMENT_REVERSALS_TOTAL,
  RECONCILIATION_EXCEPTIONS_OPEN,
  RECONCILIATION_OVERDUE,
  RFID_READERS,
  RFID_READER_UP,
  RFID_VERIFICATIONS_TOTAL,
  POSTGRES_SERIES,
  SELECTORS,
} from '@paywatch/contract';
import { ratio, ratioRecordingGroups } from './kpi-ratios.ts';
import { serverRecordingGroups } from './recording-servers.ts';

export interface RecordingRule {
  record: string;
  expr: string;
  /** Labels the rule adds to its series (e.g. which SLO). */
  labels?: Record<string, string>;
  /** Why the rule is written the way it is, when that is not obvious (emitted as a YAML comment). */
  note?: string;
}

export interface RecordingGroup {
  name: string;
  /** Evaluation interval when it differs from the global one (slow, long-window rules). */
  interval?: string;
  rules: RecordingRule[];
}

/** Channels whose payments complete while the customer waits; cash and scheduled debits do not. */
export const REALTIME_CHANNELS = ['upi', 'qr', 'bbps', 'card', 'netbanking'] as const;

/** Failure reasons that are the system's fault (not the customer's balance, mandate or choice). */
export const SYSTEM_FAILURE_REASONS = ['gateway_timeout', 'technical_error'] as const;

/** Failure reasons the lender cannot act on: the customer had no money or cancelled. */
export const CUSTOMER_ONLY_FAILURE_REASONS = ['insufficient_funds', 'cancelled'] as const;

/** The payments engine's API as the simulator (or the real engine) labels it. */
export const API_SELECTOR = SELECTORS.paymentsApi;
/** Health-check traffic is excluded from latency and error ratios: it is not customer traffic. */
export const API_TRAFFIC_SELECTOR = `${API_SELECTOR}, route!="/health"`;

const regex = (values: readonly string[]) => values.join('|');

/** 1 for each reader that has sent a heartbeat since monitoring began (RfidReaderOffline reads it). */
export const RFID_READER_SEEN = 'reader:rfid_reader_seen:bool';

/** 1 while the planned maintenance window is on (kpi/src/maintenance.ts). */
export const MAINTENANCE_RECORD = 'paywatch:maintenance_window:active';

export const RECORDING_GROUPS: RecordingGroup[] = [
  {
    name: 'paywatch.payments.rate5m',
    rules: [
      { record: 'branch_channel:payments:rate5m', expr: `sum by (branch, channel, status) (rate(${PAYMENTS_TOTAL.name}[5m]))` },
      { record: 'branch:payments:rate5m', expr: 'sum by (branch, status) (branch_channel:payments:rate5m)' },
      { record: 'channel:payments:rate5m', expr: 'sum by (channel, status) (branch_channel:payments:rate5m)' },
      { record: 'paywatch:payments:rate5m', expr: 'sum by (status) (channel:payments:rate5m)' },
      {
        record: 'branch:payment_success_ratio:rate5m',
        expr: ratio('branch:payments:rate5m{status="success"}', 'branch:payments:rate5m', 'branch'),
      },
      {
        record: 'channel:payment_success_ratio:rate5m',
        expr: ratio('channel:payments:rate5m{status="success"}', 'channel:payments:rate5m', 'channel'),
      },
      {
        record: 'paywatch:payment_success_ratio:rate5m',
        expr: ratio('paywatch:payments:rate5m{status="success"}', 'paywatch:payments:rate5m', ''),
        note: 'NaN (no alert, grey panel) when no payment reached a final status in 5 minutes.',
      },
      {
        record: 'paywatch:payment_realtime_success_ratio:rate5m',
        expr: ratio(
          `channel:payments:rate5m{status="success", channel=~"${regex(REALTIME_CHANNELS)}"}`,
          `channel:payments:rate5m{channel=~"${regex(REALTIME_CHANNELS)}"}`,
          '',
        ),
        note: "What PaymentSuccessRateLow watches: payments decided while the customer waits. Cash succeeds only when the branch confirms (hours after its OTP failures) and NACH/AutoPay bounce on the customer's balance, so they would skew a 5-minute ratio.",
      },
      { record: 'branch_channel:payment_amount_inr:rate5m', expr: `sum by (branch, channel) (rate(${PAYMENT_AMOUNT_TOTAL.name}[5m]))` },
      { record: 'branch:payment_amount_inr:rate5m', expr: 'sum by (branch) (branch_channel:payment_amount_inr:rate5m)' },
      { record: 'channel:payment_amount_inr:rate5m', expr: 'sum by (channel) (branch_channel:payment_amount_inr:rate5m)' },
      { record: 'paywatch:payment_amount_inr:rate5m', expr: 'sum(channel:payment_amount_inr:rate5m)' },
      {
        record: 'paywatch:payment_failures:increase5m',
        expr: `sum(increase(${PAYMENT_FAILURES_TOTAL.name}[5m]))`,
      },
      {
        record: 'paywatch:payment_system_errors:increase5m',
        expr: `sum(increase(${PAYMENT_FAILURES_TOTAL.name}{reason=~"${regex(SYSTEM_FAILURE_REASONS)}"}[5m])) or vector(0)`,
        note: "Failures that are the system's fault (gateway timeouts, technical errors); 0 when there were none.",
      },
    ],
  },
  {
    name: 'paywatch.payments.processing',
    rules: [
      {
        record: 'channel:payment_processing_seconds:avg5m',
        expr: `sum by (channel) (rate(${PAYMENT_PROCESSING_SECONDS.name}_sum[5m])) / sum by (channel) (rate(${PAYMENT_PROCESSING_SECONDS.name}_count[5m]))`,
      },
      {
        record: 'paywatch:payment_processing_seconds:avg5m',
        expr: `sum(rate(${PAYMENT_PROCESSING_SECONDS.name}_sum{channel=~"${regex(REALTIME_CHANNELS)}"}[5m])) / sum(rate(${PAYMENT_PROCESSING_SECONDS.name}_count{channel=~"${regex(REALTIME_CHANNELS)}"}[5m]))`,
        note: 'Real-time channels only: cash is confirmed hours later and NACH/AutoPay are scheduled debits.',
      },
      {
        record: 'channel:payment_processing_seconds:p95_5m',
        expr: `histogram_quantile(0.95, sum by (channel, le) (rate(${PAYMENT_PROCESSING_SECONDS.name}_bucket[5m])))`,
      },
      {
        record: 'paywatch:payment_processing_seconds:p95_5m',
        expr: `histogram_quantile(0.95, sum by (le) (rate(${PAYMENT_PROCESSING_SECONDS.name}_bucket{channel=~"${regex(REALTIME_CHANNELS)}"}[5m])))`,
      },
    ],
  },
  {
    name: 'paywatch.payments.hourly',
    interval: '1m',
    rules: [
      { record: 'branch:payment_failures:increase1h', expr: `sum by (branch) (increase(${PAYMENT_FAILURES_TOTAL.name}[1h]))` },
      {
        record: 'branch:payment_actionable_failures:increase1h',
        expr: `sum by (branch) (increase(${PAYMENT_FAILURES_TOTAL.name}{reason!~"${regex(CUSTOMER_ONLY_FAILURE_REASONS)}"}[1h])) or sum by (branch) (increase(${PAYMENTS_TOTAL.name}[1h])) * 0`,
        note: 'Failures the lender can act on: everything except insufficient funds and customer cancellation. 0 (not absent) for a branch that took payments without any.',
      },
      {
        record: 'paywatch:payment_actionable_failures_worst_branch:increase1h',
        expr: 'max(branch:payment_actionable_failures:increase1h)',
        note: 'The KPI tile of failures per hour: above a threshold exactly when PaymentFailuresHigh fires for some branch.',
      },
      { record: 'reason:payment_failures:increase1h', expr: `sum by (reason) (increase(${PAYMENT_FAILURES_TOTAL.name}[1h]))` },
      { record: 'channel:payment_failures:increase1h', expr: `sum by (channel) (increase(${PAYMENT_FAILURES_TOTAL.name}[1h]))` },
      { record: 'paywatch:payment_failures:increase1h', expr: 'sum(reason:payment_failures:increase1h)' },
    ],
  },
  {
    name: 'paywatch.collections',
    interval: '1m',
    rules: [
      {
        record: 'branch:collections_vs_target:ratio',
        expr: `sum by (branch) (${BRANCH_COLLECTED_TODAY_INR.name}) / sum by (branch) (${BRANCH_DAILY_TARGET_INR.name} > 0)`,
        note: 'Branches without a target today have no ratio (not +Inf).',
      },
      { record: 'paywatch:collected_today_inr:sum', expr: `sum(${BRANCH_COLLECTED_TODAY_INR.name})` },
      { record: 'paywatch:daily_target_inr:sum', expr: `sum(${BRANCH_DAILY_TARGET_INR.name})` },
      {
        record: 'paywatch:collections_vs_target:ratio',
        expr: 'paywatch:collected_today_inr:sum / (paywatch:daily_target_inr:sum > 0)',
      },
      {
        record: 'paywatch:payment_amount_inr:increase1d',
        expr: `sum(increase(${PAYMENT_AMOUNT_TOTAL.name}[1d]))`,
        note: 'Revenue of the last 24 h; the 30-day revenue trend reads it at a 1-day step.',
      },
      {
        record: 'paywatch:payment_first_reported_success_ratio:increase1d',
        expr: ratio(
          `sum(increase(${PAYMENTS_TOTAL.name}{status="success"}[1d] offset 1d))`,
          `sum(increase(${PAYMENTS_TOTAL.name}[1d] offset 1d))`,
          '',
        ),
        note: 'Success rate of the payments of the day before the last 24 h, as first reported (the status each payment completed with).',
      },
      {
        record: 'paywatch:payment_settled_success_ratio:increase1d',
        expr: ratio(
          `(sum(increase(${PAYMENTS_TOTAL.name}{status="success"}[1d] offset 1d)) - (sum(increase(${PAYMENT_REVERSALS_TOTAL.name}[1d])) or vector(0)))`,
          `sum(increase(${PAYMENTS_TOTAL.name}[1d] offset 1d))`,
          '',
        ),
        note: 'The same payments settled by T+1: net of the reversals of the last 24 h (NACH and AutoPay returns arrive the next day).',
      },
      {
        record: 'reason:payment_reversals:increase1d',
        expr: `sum by (reason) (increase(${PAYMENT_REVERSALS_TOTAL.name}[1d]))`,
      },
      {
        record: 'branch:payment_amount_inr:increase1d',
        expr: `sum by (branch) (increase(${PAYMENT_AMOUNT_TOTAL.name}[1d]))`,
      },
      {
        record: 'officer:field_collections:increase1d',
        expr: `sum by (branch, officer, otp) (increase(${FIELD_COLLECTIONS_TOTAL.name}[1d]))`,
      },
      {
        record: 'officer:field_collection_amount_inr:increase1d',
        expr: `sum by (branch, officer) (increase(${FIELD_COLLECTION_AMOUNT_TOTAL.name}[1d]))`,
      },
      {
        record: 'officer:field_otp_success_ratio:ratio1d',
        expr: ratio('officer:field_collections:increase1d{otp="verified"}', 'officer:field_collections:increase1d', 'branch, officer'),
      },
      { record: 'branch:reconciliation_overdue:sum', expr: `sum by (branch) (${RECONCILIATION_OVERDUE.name})` },
      { record: 'paywatch:reconciliation_overdue:sum', expr: `sum(${RECONCILIATION_OVERDUE.name})` },
      { record: 'paywatch:reconciliation_exceptions_open:sum', expr: `sum(${RECONCILIATION_EXCEPTIONS_OPEN.name})` },
    ],
  },
  {
    name: 'paywatch.api',
    rules: [
      {
        record: 'route:api_requests:rate5m',
        expr: `sum by (route, status) (rate(${HTTP_REQUEST_DURATION_SECONDS.name}_count{${API_SELECTOR}}[5m]))`,
      },
      {
        record: 'paywatch:api_requests:rate5m',
        expr: `sum(rate(${HTTP_REQUEST_DURATION_SECONDS.name}_count{${API_TRAFFIC_SELECTOR}}[5m]))`,
      },
      {
        record: 'paywatch:api_error_ratio:rate5m',
        expr: ratio(
          `rate(${HTTP_REQUEST_DURATION_SECONDS.name}_count{${API_TRAFFIC_SELECTOR}, status=~"5.."}[5m])`,
          `rate(${HTTP_REQUEST_DURATION_SECONDS.name}_count{${API_TRAFFIC_SELECTOR}}[5m])`,
          '',
        ),
        note: "Server errors (HTTP 5xx) among customer requests; 4xx are the caller's and do not count. 0 (not absent) when there were requests and none failed.",
      },
      {
        record: 'kind:api_errors:rate5m',
        expr: `sum by (kind) (rate(${HTTP_REQUEST_ERRORS_TOTAL.name}{${API_SELECTOR}}[5m]))`,
      },
      ...(['0.5', '0.95', '0.99'] as const).map((q) => ({
        record: `paywatch:api_request_duration_seconds:p${Number(q) * 100}_5m`,
        expr: `histogram_quantile(${q}, sum by (le) (rate(${HTTP_REQUEST_DURATION_SECONDS.name}_bucket{${API_TRAFFIC_SELECTOR}}[5m])))`,
      })),
      {
        record: 'route:api_request_duration_seconds:p95_5m',
        expr: `histogram_quantile(0.95, sum by (route, le) (rate(${HTTP_REQUEST_DURATION_SECONDS.name}_bucket{${API_SELECTOR}}[5m])))`,
      },
      {
        record: 'gateway:payment_gateway_requests:rate5m',
        expr: `sum by (gateway, outcome) (rate(${PAYMENT_GATEWAY_REQUEST_DURATION_SECONDS.name}_count[5m]))`,
      },
      {
        record: 'gateway:payment_gateway_error_ratio:rate5m',
        expr: ratio(
          'gateway:payment_gateway_requests:rate5m{outcome=~"timeout|error"}',
          'gateway:payment_gateway_requests:rate5m',
          'gateway',
        ),
        note: "Timeouts and errors are the gateway's fault; declines are the bank's answer.",
      },
      {
        record: 'gateway:payment_gateway_request_duration_seconds:p95_5m',
        expr: `histogram_quantile(0.95, sum by (gateway, le) (rate(${PAYMENT_GATEWAY_REQUEST_DURATION_SECONDS.name}_bucket[5m])))`,
      },
    ],
  },
  {
    name: 'paywatch.availability',
    rules: [
      {
        record: 'service:probe_success:avg5m',
        expr: `avg by (service) (avg_over_time(probe_success{${SELECTORS.probes}}[5m]))`,
      },
      {
        record: 'paywatch:availability:ratio_avg5m',
        expr: `avg(avg_over_time(probe_success{${SELECTORS.probes}}[5m]))`,
        note: 'Every probe counts the same: the payments API, the LMS and each gateway.',
      },
      {
        record: 'paywatch:availability:ratio_avg1h',
        expr: `avg(avg_over_time(probe_success{${SELECTORS.probes}}[1h]))`,
      },
    ],
  },
  {
    name: 'paywatch.lms',
    rules: [
      {
        record: 'paywatch:lms_posting_queue_depth:max5m',
        expr: `max(max_over_time(${LMS_POSTING_QUEUE_DEPTH.name}[5m]))`,
      },
      {
        record: 'paywatch:lms_posting_queue_depth:deriv5m',
        expr: `max(deriv(${LMS_POSTING_QUEUE_DEPTH.name}[5m]))`,
        note: 'Postings per second the queue grows by (negative while it drains).',
      },
      { record: 'paywatch:lms_postings:rate5m', expr: `sum by (outcome) (rate(${LMS_POSTINGS_TOTAL.name}[5m]))` },
      {
        record: 'paywatch:lms_posting_failure_ratio:rate15m',
        expr: ratio(`rate(${LMS_POSTINGS_TOTAL.name}{outcome="failed"}[15m])`, `rate(${LMS_POSTINGS_TOTAL.name}[15m])`, ''),
      },
      {
        record: 'paywatch:lms_posting_success_ratio:rate15m',
        expr: ratio(`rate(${LMS_POSTINGS_TOTAL.name}{outcome="posted"}[15m])`, `rate(${LMS_POSTINGS_TOTAL.name}[15m])`, ''),
        note: 'The LMS posting success KPI; NaN (grey tile) in 15 minutes without a posting.',
      },
      {
        record: 'branch:lms_posting_failures:increase1h',
        expr: `sum by (branch) (increase(${LMS_POSTINGS_TOTAL.name}{outcome="failed"}[1h]))`,
      },
    ],
  },
  {
    name: 'paywatch.rfid',
    rules: [
      { record: 'branch:rfid_verifications:rate5m', expr: `sum by (branch, result) (rate(${RFID_VERIFICATIONS_TOTAL.name}[5m]))` },
      {
        record: 'branch:rfid_success_ratio:rate5m',
        expr: ratio('branch:rfid_verifications:rate5m{result="success"}', 'branch:rfid_verifications:rate5m', 'branch'),
      },
      {
        record: 'paywatch:rfid_success_ratio:rate5m',
        expr: ratio('branch:rfid_verifications:rate5m{result="success"}', 'branch:rfid_verifications:rate5m', ''),
      },
      {
        record: RFID_READER_SEEN,
        expr:
          `max by (branch, reader) (${RFID_READER_UP.name} == 1)` +
          ` or (max by (branch, reader) (last_over_time(${RFID_READER_SEEN}[1d])) and on (branch, reader) ${RFID_READER_UP.name})`,
        note:
          'A latch: 1 once the reader has sent a heartbeat while watched, kept while the exporter still reports the reader (a day of history bridges a restart). ' +
          'A reader never seen is not offline, it has not started: a fresh start reads every reader as silent until the first heartbeats.',
      },
      { record: 'branch:rfid_readers_up:sum', expr: `sum by (branch) (${RFID_READER_UP.name})` },
      { record: 'paywatch:rfid_readers_up:ratio', expr: `sum(${RFID_READER_UP.name}) / sum(${RFID_READERS.name})` },
    ],
  },
  {
    name: 'paywatch.database',
    rules: [
      {
        record: 'paywatch:db_connections_used:ratio',
        expr: `sum(${POSTGRES_SERIES.activity}{${SELECTORS.postgres}}) / max(${POSTGRES_SERIES.maxConnections}{${SELECTORS.postgres}})`,
        note:
          "Every server connection counts against max_connections, idle ones included: postgres_exporter's count, live and in the " +
          'simulated history alike (stack/src/backfill/platform.ts writes the same series).',
      },
    ],
  },
  {
    name: 'paywatch.maintenance',
    rules: [
      {
        record: MAINTENANCE_RECORD,
        expr: maintenancePromql(),
        note: "1 during the contract's planned maintenance window, from Prometheus's own clock (history and live agree); absent otherwise. Read by PlannedMaintenance (maintenance.ts).",
      },
    ],
  },
];

// The KPIs that declare their ratio in the contract (kpi-ratios.ts).
RECORDING_GROUPS.push(...ratioRecordingGroups());
// The machines and the database server (recording-servers.ts).
RECORDING_GROUPS.push(...serverRecordingGroups());

export function allRecordingRules(): RecordingRule[] {
  return RECORDING_GROUPS.flatMap((group) => group.rules);
}
