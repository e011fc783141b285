// Recording rules: everything a dashboard or an alert reads often, pre-computed once per
// evaluation instead of once per panel refresh. Names follow Prometheus's level:metric:operations.
// The names in docs/metrics.md ("Recording rules") are a contract with the dashboards and the
// scope proxy's policy: they may be added to, never renamed. Rules whose level is `paywatch`
// aggregate away `branch` and `officer`: they are the only series the viewer role may read.
//
// Rules inside a group are evaluated in order at the same timestamp, so later rules build on
// earlier ones (branch_channel -> branch -> channel -> paywatch) instead of re-reading raw series.

export interface RecordingRule {
  record: string;
  expr: string;
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
export const API_SELECTOR = 'service="payments-api"';
/** Health-check traffic is excluded from latency and error ratios: it is not customer traffic. */
export const API_TRAFFIC_SELECTOR = `${API_SELECTOR}, route!="/health"`;

const regex = (values: readonly string[]) => values.join('|');

/**
 * A ratio `part / whole` by the given labels that is 0 (not absent) when `part` has no series,
 * e.g. a branch whose payments all failed has no success series yet.
 */
function ratio(part: string, whole: string, by: string): string {
  const sumBy = by ? `sum by (${by}) ` : 'sum ';
  return `(${sumBy}(${part}) or ${sumBy}(${whole}) * 0) / ${sumBy}(${whole})`;
}

export const RECORDING_GROUPS: RecordingGroup[] = [
  {
    name: 'paywatch.payments.rate5m',
    rules: [
      { record: 'branch_channel:payments:rate5m', expr: 'sum by (branch, channel, status) (rate(payments_total[5m]))' },
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
        expr: ratio(`channel:payments:rate5m{status="success", channel=~"${regex(REALTIME_CHANNELS)}"}`, `channel:payments:rate5m{channel=~"${regex(REALTIME_CHANNELS)}"}`, ''),
        note: 'What PaymentSuccessRateLow watches: payments decided while the customer waits. Cash succeeds only when the branch confirms (hours after its OTP failures) and NACH/AutoPay bounce on the customer\'s balance, so they would skew a 5-minute ratio.',
      },
      { record: 'branch_channel:payment_amount_inr:rate5m', expr: 'sum by (branch, channel) (rate(payment_amount_total[5m]))' },
      { record: 'branch:payment_amount_inr:rate5m', expr: 'sum by (branch) (branch_channel:payment_amount_inr:rate5m)' },
      { record: 'channel:payment_amount_inr:rate5m', expr: 'sum by (channel) (branch_channel:payment_amount_inr:rate5m)' },
      { record: 'paywatch:payment_amount_inr:rate5m', expr: 'sum(channel:payment_amount_inr:rate5m)' },
      {
        record: 'paywatch:payment_failures:increase5m',
        expr: 'sum(increase(payment_failures_total[5m]))',
      },
      {
        record: 'paywatch:payment_system_errors:increase5m',
        expr: `sum(increase(payment_failures_total{reason=~"${regex(SYSTEM_FAILURE_REASONS)}"}[5m])) or vector(0)`,
        note: 'Failures that are the system\'s fault (gateway timeouts, technical errors); 0 when there were none.',
      },
    ],
  },
  {
    name: 'paywatch.payments.processing',
    rules: [
      {
        record: 'channel:payment_processing_seconds:avg5m',
        expr: 'sum by (channel) (rate(payment_processing_seconds_sum[5m])) / sum by (channel) (rate(payment_processing_seconds_count[5m]))',
      },
      {
        record: 'paywatch:payment_processing_seconds:avg5m',
        expr: `sum(rate(payment_processing_seconds_sum{channel=~"${regex(REALTIME_CHANNELS)}"}[5m])) / sum(rate(payment_processing_seconds_count{channel=~"${regex(REALTIME_CHANNELS)}"}[5m]))`,
        note: 'Real-time channels only: cash is confirmed hours later and NACH/AutoPay are scheduled debits.',
      },
      {
        record: 'channel:payment_processing_seconds:p95_5m',
        expr: 'histogram_quantile(0.95, sum by (channel, le) (rate(payment_processing_seconds_bucket[5m])))',
      },
      {
        record: 'paywatch:payment_processing_seconds:p95_5m',
        expr: `histogram_quantile(0.95, sum by (le) (rate(payment_processing_seconds_bucket{channel=~"${regex(REALTIME_CHANNELS)}"}[5m])))`,
      },
    ],
  },
  {
    name: 'paywatch.payments.hourly',
    interval: '1m',
    rules: [
      { record: 'branch:payment_failures:increase1h', expr: 'sum by (branch) (increase(payment_failures_total[1h]))' },
      {
        record: 'branch:payment_actionable_failures:increase1h',
        expr: `sum by (branch) (increase(payment_failures_total{reason!~"${regex(CUSTOMER_ONLY_FAILURE_REASONS)}"}[1h])) or sum by (branch) (increase(payments_total[1h])) * 0`,
        note: 'Failures the lender can act on: everything except insufficient funds and customer cancellation. 0 (not absent) for a branch that took payments without any.',
      },
      {
        record: 'paywatch:payment_actionable_failures_worst_branch:increase1h',
        expr: 'max(branch:payment_actionable_failures:increase1h)',
        note: 'The KPI tile of failures per hour: above a threshold exactly when PaymentFailuresHigh fires for some branch.',
      },
      { record: 'reason:payment_failures:increase1h', expr: 'sum by (reason) (increase(payment_failures_total[1h]))' },
      { record: 'channel:payment_failures:increase1h', expr: 'sum by (channel) (increase(payment_failures_total[1h]))' },
      { record: 'paywatch:payment_failures:increase1h', expr: 'sum(reason:payment_failures:increase1h)' },
    ],
  },
  {
    name: 'paywatch.collections',
    interval: '1m',
    rules: [
      {
        record: 'branch:collections_vs_target:ratio',
        expr: 'sum by (branch) (branch_collected_today_inr) / sum by (branch) (branch_daily_target_inr > 0)',
        note: 'Branches without a target today have no ratio (not +Inf).',
      },
      { record: 'paywatch:collected_today_inr:sum', expr: 'sum(branch_collected_today_inr)' },
      { record: 'paywatch:daily_target_inr:sum', expr: 'sum(branch_daily_target_inr)' },
      {
        record: 'paywatch:collections_vs_target:ratio',
        expr: 'paywatch:collected_today_inr:sum / (paywatch:daily_target_inr:sum > 0)',
      },
      {
        record: 'paywatch:payment_amount_inr:increase1d',
        expr: 'sum(increase(payment_amount_total[1d]))',
        note: 'Revenue of the last 24 h; the 30-day revenue trend reads it at a 1-day step.',
      },
      {
        record: 'branch:payment_amount_inr:increase1d',
        expr: 'sum by (branch) (increase(payment_amount_total[1d]))',
      },
      {
        record: 'officer:field_collections:increase1d',
        expr: 'sum by (branch, officer, otp) (increase(field_collections_total[1d]))',
      },
      {
        record: 'officer:field_collection_amount_inr:increase1d',
        expr: 'sum by (branch, officer) (increase(field_collection_amount_total[1d]))',
      },
      {
        record: 'officer:field_otp_success_ratio:ratio1d',
        expr: ratio('officer:field_collections:increase1d{otp="verified"}', 'officer:field_collections:increase1d', 'branch, officer'),
      },
      { record: 'branch:reconciliation_overdue:sum', expr: 'sum by (branch) (reconciliation_overdue)' },
      { record: 'paywatch:reconciliation_overdue:sum', expr: 'sum(reconciliation_overdue)' },
      { record: 'paywatch:reconciliation_exceptions_open:sum', expr: 'sum(reconciliation_exceptions_open)' },
    ],
  },
  {
    name: 'paywatch.api',
    rules: [
      {
        record: 'route:api_requests:rate5m',
        expr: `sum by (route, status) (rate(http_request_duration_seconds_count{${API_SELECTOR}}[5m]))`,
      },
      { record: 'paywatch:api_requests:rate5m', expr: `sum(rate(http_request_duration_seconds_count{${API_TRAFFIC_SELECTOR}}[5m]))` },
      {
        record: 'paywatch:api_error_ratio:rate5m',
        expr: ratio(
          `rate(http_request_duration_seconds_count{${API_TRAFFIC_SELECTOR}, status=~"5.."}[5m])`,
          `rate(http_request_duration_seconds_count{${API_TRAFFIC_SELECTOR}}[5m])`,
          '',
        ),
        note: 'Server errors (HTTP 5xx) among customer requests; 4xx are the caller\'s and do not count. 0 (not absent) when there were requests and none failed.',
      },
      {
        record: 'kind:api_errors:rate5m',
        expr: `sum by (kind) (rate(http_request_errors_total{${API_SELECTOR}}[5m]))`,
      },
      ...(['0.5', '0.95', '0.99'] as const).map((q) => ({
        record: `paywatch:api_request_duration_seconds:p${Number(q) * 100}_5m`,
        expr: `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket{${API_TRAFFIC_SELECTOR}}[5m])))`,
      })),
      {
        record: 'route:api_request_duration_seconds:p95_5m',
        expr: `histogram_quantile(0.95, sum by (route, le) (rate(http_request_duration_seconds_bucket{${API_SELECTOR}}[5m])))`,
      },
      {
        record: 'gateway:payment_gateway_requests:rate5m',
        expr: 'sum by (gateway, outcome) (rate(payment_gateway_request_duration_seconds_count[5m]))',
      },
      {
        record: 'gateway:payment_gateway_error_ratio:rate5m',
        expr: ratio(
          'gateway:payment_gateway_requests:rate5m{outcome=~"timeout|error"}',
          'gateway:payment_gateway_requests:rate5m',
          'gateway',
        ),
        note: 'Timeouts and errors are the gateway\'s fault; declines are the bank\'s answer.',
      },
      {
        record: 'gateway:payment_gateway_request_duration_seconds:p95_5m',
        expr: 'histogram_quantile(0.95, sum by (gateway, le) (rate(payment_gateway_request_duration_seconds_bucket[5m])))',
      },
    ],
  },
  {
    name: 'paywatch.availability',
    rules: [
      {
        record: 'service:probe_success:avg5m',
        expr: 'avg by (service) (avg_over_time(probe_success{job="blackbox"}[5m]))',
      },
      {
        record: 'paywatch:availability:ratio_avg5m',
        expr: 'avg(avg_over_time(probe_success{job="blackbox"}[5m]))',
        note: 'Every probe counts the same: the payments API, the LMS and each gateway.',
      },
      {
        record: 'paywatch:availability:ratio_avg1h',
        expr: 'avg(avg_over_time(probe_success{job="blackbox"}[1h]))',
      },
    ],
  },
  {
    name: 'paywatch.lms',
    rules: [
      {
        record: 'paywatch:lms_posting_queue_depth:max5m',
        expr: 'max(max_over_time(lms_posting_queue_depth[5m]))',
      },
      {
        record: 'paywatch:lms_posting_queue_depth:deriv5m',
        expr: 'max(deriv(lms_posting_queue_depth[5m]))',
        note: 'Postings per second the queue grows by (negative while it drains).',
      },
      { record: 'paywatch:lms_postings:rate5m', expr: 'sum by (outcome) (rate(lms_postings_total[5m]))' },
      {
        record: 'paywatch:lms_posting_failure_ratio:rate15m',
        expr: ratio('rate(lms_postings_total{outcome="failed"}[15m])', 'rate(lms_postings_total[15m])', ''),
      },
      { record: 'branch:lms_posting_failures:increase1h', expr: 'sum by (branch) (increase(lms_postings_total{outcome="failed"}[1h]))' },
    ],
  },
  {
    name: 'paywatch.rfid',
    rules: [
      { record: 'branch:rfid_verifications:rate5m', expr: 'sum by (branch, result) (rate(rfid_verifications_total[5m]))' },
      {
        record: 'branch:rfid_success_ratio:rate5m',
        expr: ratio('branch:rfid_verifications:rate5m{result="success"}', 'branch:rfid_verifications:rate5m', 'branch'),
      },
      {
        record: 'paywatch:rfid_success_ratio:rate5m',
        expr: ratio('branch:rfid_verifications:rate5m{result="success"}', 'branch:rfid_verifications:rate5m', ''),
      },
      { record: 'branch:rfid_readers_up:sum', expr: 'sum by (branch) (rfid_reader_up)' },
      { record: 'paywatch:rfid_readers_up:ratio', expr: 'sum(rfid_reader_up) / sum(rfid_readers)' },
    ],
  },
  {
    name: 'paywatch.database',
    rules: [
      {
        record: 'paywatch:db_connections_used:ratio',
        expr: 'sum(db_connections) / max(db_max_connections)',
        note: 'Every server connection counts against max_connections, idle ones included.',
      },
      { record: 'state:db_connections:sum', expr: 'sum by (state) (db_connections)' },
    ],
  },
];

export function allRecordingRules(): RecordingRule[] {
  return RECORDING_GROUPS.flatMap((group) => group.rules);
}
