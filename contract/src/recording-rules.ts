// The recording rules other parts depend on by name: dashboards, the scope proxy's policy (the
// aggregate series the viewer role may read) and the plugin's catalogue. They may be added to,
// never renamed. kpi/ generates the rules themselves; its test checks each one below exists with
// exactly these labels (promtool). Names follow Prometheus's `level:metric:operations`; the
// `paywatch` level carries no `branch` or `officer` label.
//
// The rules of the KPIs that declare a ratio (contract/src/kpis.ts: KPI_RECORDING_RULES) are not
// listed here: they follow from the KPI's declaration, and the index adds them to RECORDING_RULES.
//
// No imports: the Grafana app (plugin/) may read this file by path.

export interface RecordingRuleContract {
  name: string;
  /** The labels its series carry (besides none): exactly these. */
  labels: readonly string[];
  /** What it means (markdown). */
  doc: string;
}

/** Their section in docs/metrics.md and the plugin's catalogue. */
export const RECORDING_RULES_HEADING = 'Recording rules (generated from `kpi/`, in `prometheus/rules/`)';

export const RECORDING_RULES: readonly RecordingRuleContract[] = [
  { name: 'paywatch:payment_success_ratio:rate5m', labels: [], doc: 'fleet success ratio, 0–1, all channels' },
  {
    name: 'paywatch:payment_realtime_success_ratio:rate5m',
    labels: [],
    doc: 'success ratio of the real-time channels (UPI, QR, BBPS, card, net banking): the KPI and its alert',
  },
  {
    name: 'paywatch:payment_actionable_failures_worst_branch:increase1h',
    labels: [],
    doc: 'actionable failures in the last hour at the worst branch: the failures KPI, per branch like its alert',
  },
  {
    name: 'paywatch:payment_first_reported_success_ratio:increase1d',
    labels: [],
    doc: 'success ratio of the day before the last 24 h, **as first reported** (`payments_total`: the status each payment completed with)',
  },
  {
    name: 'paywatch:payment_settled_success_ratio:increase1d',
    labels: [],
    doc: 'the same day **settled by T+1**: its successes net of the reversals of the last 24 h (`payment_reversals_total`: NACH/AutoPay returns, chargebacks)',
  },
  { name: 'reason:payment_reversals:increase1d', labels: ['reason'], doc: 'reversals of the last 24 h by reason' },
  { name: 'paywatch:payments:rate5m', labels: ['status'], doc: 'fleet payments per second' },
  { name: 'paywatch:payment_amount_inr:rate5m', labels: [], doc: 'fleet INR per second (successful)' },
  { name: 'paywatch:payment_failures:increase1h', labels: [], doc: 'failed payments in the last hour' },
  { name: 'paywatch:payment_processing_seconds:avg5m', labels: [], doc: 'average processing time' },
  { name: 'paywatch:api_request_duration_seconds:p95_5m', labels: [], doc: 'payments API p95 latency' },
  { name: 'paywatch:api_error_ratio:rate5m', labels: [], doc: 'share of API requests answered 5xx' },
  { name: 'paywatch:availability:ratio_avg5m', labels: [], doc: 'share of health probes (payments API, LMS, gateways) succeeding' },
  { name: 'paywatch:lms_posting_queue_depth:max5m', labels: [], doc: 'LMS queue depth' },
  { name: 'paywatch:rfid_success_ratio:rate5m', labels: [], doc: 'RFID verification success ratio' },
  { name: 'paywatch:db_connections_used:ratio', labels: [], doc: 'DB connections in use / max' },
  { name: 'channel:payments:rate5m', labels: ['channel', 'status'], doc: 'payments per second by channel' },
  { name: 'channel:payment_success_ratio:rate5m', labels: ['channel'], doc: 'success ratio by channel' },
  { name: 'channel:payment_amount_inr:rate5m', labels: ['channel'], doc: 'INR per second by channel' },
  { name: 'reason:payment_failures:increase1h', labels: ['reason'], doc: 'failures in the last hour by reason' },
  { name: 'branch:payments:rate5m', labels: ['branch', 'status'], doc: 'payments per second by branch' },
  { name: 'branch:payment_success_ratio:rate5m', labels: ['branch'], doc: 'success ratio by branch' },
  { name: 'branch:payment_amount_inr:rate5m', labels: ['branch'], doc: 'INR per second by branch' },
  { name: 'branch:collections_vs_target:ratio', labels: ['branch'], doc: "collected today / today's target" },
  { name: 'branch:payment_failures:increase1h', labels: ['branch'], doc: 'failures in the last hour by branch' },
  { name: 'branch_channel:payments:rate5m', labels: ['branch', 'channel', 'status'], doc: 'payments per second by branch and channel' },
  { name: 'officer:field_collections:increase1d', labels: ['branch', 'officer', 'otp'], doc: 'field collections in the last day' },
  { name: 'officer:field_collection_amount_inr:increase1d', labels: ['branch', 'officer'], doc: 'INR collected in the last day' },
  {
    name: 'paywatch:lms_posting_success_ratio:rate15m',
    labels: [],
    doc: 'LMS receipt postings posted among those that reached a terminal state, last 15 minutes: the KPI',
  },
  {
    name: 'paywatch:slo_error_budget_remaining:ratio30d',
    labels: ['slo'],
    doc: "share of each SLO's 30-day error budget left (1 untouched, 0 spent, below 0 overspent): `slo` = `payment_success` \\| `availability` \\| `api_latency` \\| `lms_posting`",
  },
  {
    name: 'paywatch:collections_projected_vs_target:ratio',
    labels: [],
    doc: "today's collections projected to the end of the day (the same weekday's usual curve, last 4 weeks) over today's target: the on-track KPI",
  },
];
