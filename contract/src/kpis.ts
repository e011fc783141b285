// The KPIs of the payments business with their target, warning and critical thresholds, from the
// requirements. Prometheus alerts (prometheus/rules, generated), the runbooks' threshold tables
// and dashboard colours (plugin, generated) all read this file, so a threshold cannot disagree
// between an alert, a runbook and a panel. Values are in the unit of the series named by
// `series`: ratios are 0-1, times are seconds.
//
// No imports: the Grafana app (plugin/, its own npm project and bundler) reads this file by path.

export type Direction = 'higher-is-better' | 'lower-is-better';

/** Grafana unit ids, so dashboards format values the way the KPI is stated. */
export type Unit = 'percentunit' | 's' | 'short' | 'currencyINR';

export interface Kpi {
  id: string;
  title: string;
  description: string;
  unit: Unit;
  direction: Direction;
  /** The recording rule (aggregate, no branch label) whose value is the KPI. */
  series: string;
  target: number;
  warning: number;
  /** Absent where the critical state is not a number (e.g. LMS down, queue growing). */
  critical?: number;
  /** Below/above this the on-call is paged at once. */
  page?: number;
  /**
   * A success ratio over one counter family, declared here instead of written as rules: kpi/
   * generates its recording rules (the KPI's series and one ratio per `by` label), their promtool
   * cases and the rules' entries in the contract (KPI_RECORDING_RULES). Absent: the KPI's rules are
   * written by hand in kpi/src/recording.ts.
   */
  ratio?: KpiRatio;
  /** An alert on the KPI's own thresholds, generated with its promtool cases (kpi/src/kpi-alerts.ts). */
  alert?: KpiAlert;
  /** A dashboard row generated for the KPI: its tile, a chart per breakdown and the ten worst branches. */
  dashboard?: KpiDashboard;
}

/**
 * `series` = `paywatch:<name>:<rate|increase><window>`, e.g. `paywatch:mandate_registration_success_ratio:rate1h`:
 * the window and function come from the name, so they are written once.
 */
export interface KpiRatio {
  /** The counter family counted (contract/src/families.ts), e.g. `mandate_registrations_total`. */
  family: string;
  /** What is counted, in words ("UPI AutoPay and NACH mandate registrations"): alert and panel texts. */
  counted: string;
  /** The label telling a success from a failure, and its two values. */
  outcome: { label: string; success: string; failure: string };
  /** Counts only these values of one label (e.g. channel nach and upi_autopay); absent: all. */
  among?: { label: string; values: readonly string[] };
  /** Labels the KPI is broken down by, each a rule `<label>:<name>:<op>`; `branch` gives the worst-branches table. */
  by: readonly string[];
  /** The per-label counts' metric name in `branch_<label>:<count>:<op>` (default: the family's name without `_total`). */
  count?: string;
  /** Evaluation interval of the rules' group when it differs from the global one. */
  interval?: string;
  /** Why the rule reads the way it does (a comment in the generated rules), e.g. when it is NaN. */
  note?: string;
}

export interface KpiAlert {
  /** The alert's name (and its runbook's, docs/runbooks/<name>.md, written by hand). */
  name: string;
  /** How long the KPI must stay past a threshold. */
  for: string;
  /** kpi/src/alerts.ts's Team and Category (checked there). */
  team: string;
  category: string;
  /** What it costs the business while it fires. */
  impact: string;
  /** Root causes (kpi/src/alerts.ts) that explain it: it is inhibited while they fire. */
  dependsOn?: readonly string[];
}

export interface KpiDashboard {
  /** The dashboard (plugin/scripts/lib/audiences) whose generated KPI rows include it. */
  audience: 'business' | 'executive' | 'operations';
  /** The row's title. */
  row: string;
}

/** The window functions a generated ratio KPI's series may name. */
const RATIO_SERIES = /^paywatch:([a-z_]+):(rate|increase)(\d+[smhd])$/;

export interface RatioParts {
  name: string;
  fn: 'rate' | 'increase';
  window: string;
  /** `rate1h`, `increase1d`: the operations part of every generated rule's name. */
  op: string;
}

/** The name, function and window a ratio KPI's series states. */
export function ratioParts(k: Kpi): RatioParts {
  const m = RATIO_SERIES.exec(k.series);
  if (!m) throw new Error(`KPI ${k.id}: a generated ratio's series must read paywatch:<name>:<rate|increase><window>, not ${k.series}`);
  return { name: m[1]!, fn: m[2] as 'rate' | 'increase', window: m[3]!, op: `${m[2]}${m[3]}` };
}

/** The window in words, for descriptions: `1h` → "the last hour". */
export function windowWords(window: string): string {
  const words: Record<string, string> = {
    '5m': 'the last 5 minutes',
    '15m': 'the last 15 minutes',
    '1h': 'the last hour',
    '1d': 'the last 24 hours',
  };
  return words[window] ?? `the last ${window}`;
}

/** The rule a generated ratio KPI is broken down by `label` into. */
export function breakdownSeries(k: Kpi, label: string): string {
  const { name, op } = ratioParts(k);
  return `${label}:${name}:${op}`;
}

export interface KpiRecordingRule {
  name: string;
  labels: readonly string[];
  doc: string;
}

export const KPIS = [
  {
    id: 'payment_success_rate',
    title: 'Payment success rate',
    description:
      'Share of real-time payments (UPI, QR, BBPS, card, net banking) that succeeded among those that reached a final status (last 5 min): ' +
      'the payments decided while the customer waits. NACH/AutoPay bounces and cash awaiting branch confirmation are on the Business dashboard. ' +
      'As first reported (payments_total: the status each payment completed with); the settled rate, net of reversals by T+1 ' +
      '(paywatch:payment_settled_success_ratio:increase1d), is beside it on the Business dashboard.',
    unit: 'percentunit',
    direction: 'higher-is-better',
    series: 'paywatch:payment_realtime_success_ratio:rate5m',
    target: 0.99,
    warning: 0.98,
    critical: 0.95,
    page: 0.9,
  },
  {
    id: 'payment_processing_time',
    title: 'Average payment processing time',
    description: 'Average time from a payment being created to its final status, real-time channels (last 5 min).',
    unit: 's',
    direction: 'lower-is-better',
    series: 'paywatch:payment_processing_seconds:avg5m',
    target: 3,
    warning: 5,
    critical: 10,
  },
  {
    id: 'api_latency_p95',
    title: 'API response time p95',
    description: '95th percentile latency of the payments API (last 5 min).',
    unit: 's',
    direction: 'lower-is-better',
    series: 'paywatch:api_request_duration_seconds:p95_5m',
    target: 0.5,
    warning: 1,
    critical: 2,
  },
  {
    id: 'availability',
    title: 'System availability',
    description: 'Share of health probes of the payments API, LMS and gateways that succeeded.',
    unit: 'percentunit',
    direction: 'higher-is-better',
    series: 'paywatch:availability:ratio_avg5m',
    target: 0.999,
    warning: 0.995,
    critical: 0.99,
  },
  {
    id: 'error_rate',
    title: 'API error rate',
    description: 'Share of payments API requests answered with a server error (last 5 min).',
    unit: 'percentunit',
    direction: 'lower-is-better',
    series: 'paywatch:api_error_ratio:rate5m',
    target: 0.01,
    warning: 0.01,
    critical: 0.05,
  },
  {
    id: 'rfid_success_rate',
    title: 'RFID verification success',
    description: 'Share of RFID card verifications that succeeded (last 5 min).',
    unit: 'percentunit',
    direction: 'higher-is-better',
    series: 'paywatch:rfid_success_ratio:rate5m',
    target: 0.99,
    warning: 0.99,
    critical: 0.95,
  },
  {
    id: 'lms_queue_depth',
    title: 'LMS posting queue depth',
    description: 'Receipts waiting to be posted to the LMS. Critical is the LMS being down or the queue growing for 15 minutes.',
    unit: 'short',
    direction: 'lower-is-better',
    series: 'paywatch:lms_posting_queue_depth:max5m',
    target: 0,
    warning: 1000,
  },
  {
    id: 'lms_posting_success_rate',
    title: 'LMS posting success',
    description:
      'Share of receipt postings to the LMS that were posted among those that reached a terminal state (last 15 min): ' +
      'a failed posting leaves a paid loan looking unpaid until someone posts it by hand.',
    unit: 'percentunit',
    direction: 'higher-is-better',
    series: 'paywatch:lms_posting_success_ratio:rate15m',
    // The requirements' error-rate tolerance (target under 1 %, critical above 5 %) applied to postings.
    target: 0.99,
    warning: 0.95,
  },
  {
    id: 'collections_on_track',
    title: "On track for today's target",
    description:
      "Today's collections projected to the end of the day with the usual intraday curve of the same weekday (last 4 weeks), " +
      "as a share of today's target: 100 % or more is on track. Empty early in the day, before a usual day's first 5 % is in.",
    unit: 'percentunit',
    direction: 'higher-is-better',
    series: 'paywatch:collections_projected_vs_target:ratio',
    target: 1,
    warning: 0.9,
    critical: 0.8,
  },
  {
    id: 'db_connections_used',
    title: 'DB connections vs max',
    description: 'Database server connections in use as a share of max_connections.',
    unit: 'percentunit',
    direction: 'lower-is-better',
    series: 'paywatch:db_connections_used:ratio',
    target: 0.6,
    warning: 0.8,
    critical: 0.95,
  },
  // The machines and the database server (node_exporter; issue 16). The worst host is the KPI; the
  // alerts apply the same thresholds to each host (kpi/src/alerts-servers.ts).
  {
    id: 'host_cpu_used',
    title: 'CPU used (busiest host)',
    description: 'Share of CPU time not idle over the last 5 minutes, on the busiest monitored host.',
    unit: 'percentunit',
    direction: 'lower-is-better',
    series: 'paywatch:host_cpu_used:max_ratio5m',
    target: 0.7,
    warning: 0.8,
    critical: 0.9,
  },
  {
    id: 'database_cpu_used',
    title: 'Database server CPU used',
    description:
      "Share of CPU time not idle over the last 5 minutes on the database server's host (node_exporter's target labelled role=database).",
    unit: 'percentunit',
    direction: 'lower-is-better',
    series: 'paywatch:database_host_cpu_used:max_ratio5m',
    target: 0.7,
    warning: 0.8,
    critical: 0.9,
  },
  {
    id: 'host_memory_used',
    title: 'Memory used (fullest host)',
    description: 'Share of memory not available to new work (1 - MemAvailable / MemTotal), on the fullest monitored host.',
    unit: 'percentunit',
    direction: 'lower-is-better',
    series: 'paywatch:host_memory_used:max_ratio',
    target: 0.75,
    warning: 0.85,
    critical: 0.95,
  },
  {
    id: 'storage_free',
    title: 'Free storage (fullest filesystem)',
    description: 'Share of the fullest filesystem still free for ordinary users, across the monitored hosts.',
    unit: 'percentunit',
    direction: 'higher-is-better',
    series: 'paywatch:host_filesystem_free:min_ratio',
    target: 0.3,
    warning: 0.2,
    critical: 0.1,
  },
  {
    id: 'payment_failures_per_hour',
    title: 'Payment failures per hour (worst branch)',
    description:
      'Failed payments the lender can act on (all but insufficient funds and cancellations) in the last hour, at the branch with the most: ' +
      'the thresholds are per branch, as the alert is.',
    unit: 'short',
    direction: 'lower-is-better',
    series: 'paywatch:payment_actionable_failures_worst_branch:increase1h',
    target: 0,
    warning: 5,
    critical: 10,
  },
  {
    id: 'mandate_registration_success_rate',
    title: 'Mandate registration success',
    description:
      'Share of UPI AutoPay and NACH mandate registrations that succeeded among those the banks answered in the last hour: ' +
      'a loan without a registered mandate cannot be collected by auto-debit.',
    unit: 'percentunit',
    direction: 'higher-is-better',
    series: 'paywatch:mandate_registration_success_ratio:rate1h',
    target: 0.95,
    warning: 0.9,
    critical: 0.8,
    ratio: {
      family: 'mandate_registrations_total',
      counted: 'UPI AutoPay and NACH mandate registrations',
      outcome: { label: 'status', success: 'success', failure: 'failed' },
      by: ['branch', 'channel'],
      // Tens per branch per day: a 1-hour window, evaluated every minute.
      interval: '1m',
      note: 'The mandate-registration KPI: UPI AutoPay and NACH together. NaN (no alert, grey panel) in an hour without registrations.',
    },
    alert: {
      name: 'MandateRegistrationSuccessLow',
      for: '15m',
      team: 'payments',
      category: 'payments',
      impact:
        'New loans cannot be collected by auto-debit: their EMIs fall back to branches and field officers, and more of them go overdue.',
      dependsOn: ['database'],
    },
    dashboard: { audience: 'business', row: 'Mandate registrations' },
  },
  {
    id: 'auto_debit_success_rate',
    title: 'Auto-debit success',
    description:
      'Share of the NACH and UPI AutoPay debits the lender presented (the early-morning batch) that succeeded among those answered in the last 24 hours, as first reported: ' +
      'a bounced debit is an EMI the branch must now chase. Returns that arrive the next day are in the settled rate beside it. Empty on Sundays, when no batch is presented.',
    unit: 'percentunit',
    direction: 'higher-is-better',
    series: 'paywatch:auto_debit_success_ratio:increase1d',
    // The requirements name auto-debit execution success without numbers: chosen here. A normal
    // batch bounces about 5 % (insufficient funds, mandate errors); a quarter more is a bank or
    // mandate problem, not customers' balances.
    target: 0.95,
    warning: 0.9,
    critical: 0.85,
    ratio: {
      family: 'payments_total',
      counted: 'NACH and UPI AutoPay debits',
      outcome: { label: 'status', success: 'success', failure: 'failed' },
      among: { label: 'channel', values: ['nach', 'upi_autopay'] },
      by: ['branch', 'channel'],
      count: 'auto_debits',
      // A day's window changes slowly: every 5 minutes is enough, and cheaper over a day of samples.
      interval: '5m',
      note: 'The auto-debit KPI: the last batch, as first reported. NaN (no alert, grey panel) from Sunday morning to Monday morning, when no batch is presented.',
    },
    alert: {
      name: 'AutoDebitSuccessLow',
      for: '30m',
      team: 'payments',
      category: 'collections',
      impact:
        "EMIs the lender expected by auto-debit were not collected: branches and field officers must chase them by cash and UPI, and the day's collections fall short.",
      dependsOn: ['database'],
    },
    dashboard: { audience: 'business', row: 'Auto-debits (NACH and UPI AutoPay)' },
  },
] as const satisfies readonly Kpi[];

export type KpiId = (typeof KPIS)[number]['id'];

/** The recording rules the KPIs with a declared ratio get (kpi/ generates them): the KPI's series and its breakdowns. */
export const KPI_RECORDING_RULES: readonly KpiRecordingRule[] = (KPIS as readonly Kpi[]).flatMap((k) => {
  if (!k.ratio) return [];
  const { window } = ratioParts(k);
  const over = windowWords(window).replace(/^the /, '');
  return [
    { name: k.series, labels: [], doc: `${k.ratio.counted} that succeeded, ${over}: the KPI and its alert` },
    ...k.ratio.by.map((label) => ({
      name: breakdownSeries(k, label),
      labels: [label],
      doc: `${k.title.toLowerCase()} by ${label}, ${over}`,
    })),
  ];
});

export function kpi(id: KpiId): Kpi {
  const found = KPIS.find((k) => k.id === id);
  if (!found) throw new Error(`unknown KPI ${id}`);
  return found;
}

export interface ThresholdStep {
  color: 'green' | 'orange' | 'red';
  /** null is Grafana's "base" step (from minus infinity). */
  value: number | null;
}

/**
 * Grafana threshold steps for a KPI: green when on target, orange from the warning threshold,
 * red from the critical one. Grafana steps are "from this value up", so for higher-is-better KPIs
 * the colours run red → orange → green as the value rises.
 */
export function thresholdSteps(k: Kpi): ThresholdStep[] {
  if (k.direction === 'lower-is-better') {
    const steps: ThresholdStep[] = [{ color: 'green', value: null }];
    // A warning equal to the target means "anything above target is a warning".
    steps.push({ color: 'orange', value: k.warning });
    if (k.critical !== undefined) steps.push({ color: 'red', value: k.critical });
    return steps;
  }
  const steps: ThresholdStep[] = [{ color: 'red', value: null }];
  if (k.critical !== undefined) steps.push({ color: 'orange', value: k.critical });
  else steps[0] = { color: 'orange', value: null };
  steps.push({ color: 'green', value: k.warning });
  return steps;
}
