// Error budgets and burn-rate alerts, generated from the contract's SLOs (@paywatch/contract,
// slos.ts), whose objectives are the KPI spec's targets. The chain, evaluated every minute:
//
//   events      paywatch:slo_events:rate5m / paywatch:slo_bad_events:rate5m {slo}    (and branch: for per-branch SLOs)
//               — nothing is recorded while the planned maintenance window is on (or was, 5 minutes
//               ago: the 5-minute rates still hold it), so maintenance spends no budget;
//   windows     paywatch:slo_error_ratio:ratio_rate<W> = avg bad rate / avg rate over W, for every
//               window of the burn-rate table, and paywatch:slo_events:increase<W> for the floors;
//   budget      paywatch:slo_error_budget_remaining:ratio30d = 1 - error ratio over 30 days / budget.
//
// Windows are read from the 5-minute rates recorded once a minute, never from raw per-branch
// counters: a 3-day rate over thousands of raw series would be read anew at every evaluation.
import {
  BUDGET_PERIOD,
  BUDGET_REMAINING_SERIES,
  BURN_WINDOWS,
  HTTP_REQUEST_DURATION_SECONDS,
  kpi,
  LMS_POSTINGS_TOTAL,
  JOBS,
  MAINTENANCE,
  maintenancePromql,
  SELECTORS,
  SLOS,
  type BurnWindow,
  type Slo,
  type SloId,
} from '@paywatch/contract';
import { pct } from './alert-labels.ts';
import type { AlertDefinition, AlertLevel, Category, RootCause, Team } from './alerts.ts';
import { API_TRAFFIC_SELECTOR, REALTIME_CHANNELS, type RecordingGroup, type RecordingRule } from './recording.ts';
import { durationSeconds } from './rules.ts';

/** Rounds away binary noise (1 - 0.99 = 0.010000000000000009). */
const clean = (x: number) => Number(x.toFixed(10));

export function objective(s: Slo): number {
  return s.objective ?? kpi(s.kpi as Parameters<typeof kpi>[0]).target;
}

/** The error budget: the share of events allowed to be bad. */
export const errorBudget = (s: Slo) => clean(1 - objective(s));

/** Events of one SLO as 5-minute rates (per second), `by (branch)` when the SLO is per branch. */
interface SloEvents {
  all: string;
  bad: string;
}

const realtime = REALTIME_CHANNELS.join('|');
const latencyBound = kpi('api_latency_p95').target;
if (!HTTP_REQUEST_DURATION_SECONDS.buckets?.includes(latencyBound))
  throw new Error(
    `the API latency SLO counts requests within ${latencyBound} s, which must be a bucket of ${HTTP_REQUEST_DURATION_SECONDS.name}`,
  );

/** 0 (not absent) when there were events and none was bad. */
const orZero = (bad: string, all: string) => `(${bad}) or (${all}) * 0`;

const EVENTS: Record<SloId, SloEvents> = {
  payment_success: {
    all: `sum by (branch) (branch_channel:payments:rate5m{channel=~"${realtime}"})`,
    bad: orZero(
      `sum by (branch) (branch_channel:payments:rate5m{channel=~"${realtime}", status!="success"})`,
      `sum by (branch) (branch_channel:payments:rate5m{channel=~"${realtime}"})`,
    ),
  },
  availability: {
    all: `sum(count_over_time(probe_success{${SELECTORS.probes}}[5m])) / 300`,
    bad: `(sum(count_over_time(probe_success{${SELECTORS.probes}}[5m])) - sum(sum_over_time(probe_success{${SELECTORS.probes}}[5m]))) / 300`,
  },
  api_latency: {
    all: `sum(rate(${HTTP_REQUEST_DURATION_SECONDS.name}_count{${API_TRAFFIC_SELECTOR}}[5m]))`,
    bad: `sum(rate(${HTTP_REQUEST_DURATION_SECONDS.name}_count{${API_TRAFFIC_SELECTOR}}[5m])) - sum(rate(${HTTP_REQUEST_DURATION_SECONDS.name}_bucket{${API_TRAFFIC_SELECTOR}, le="${latencyBound}"}[5m]))`,
  },
  lms_posting: {
    all: `sum by (branch) (rate(${LMS_POSTINGS_TOTAL.name}[5m]))`,
    bad: orZero(
      `sum by (branch) (rate(${LMS_POSTINGS_TOTAL.name}{outcome="failed"}[5m]))`,
      `sum by (branch) (rate(${LMS_POSTINGS_TOTAL.name}[5m]))`,
    ),
  },
};

/**
 * Nothing is recorded while the window is on, nor for 5 minutes after it (the 5-minute rates
 * still hold it): the contract's window from Prometheus's own clock, so no evaluation order matters.
 * Nor in the first 5 minutes after Prometheus starts: those rates straddle the edge of the
 * backfilled history, whose counters count from another base than the live ones (a reset that
 * rate() turns into a burst), and a burst kept in a window would burn budget for days.
 */
const counted = (expr: string) =>
  `(${expr}) unless on () (${maintenancePromql(MAINTENANCE, 5)})` +
  ` unless on () (time() - max(process_start_time_seconds{job="${JOBS.prometheus.name}"}) < 300)`;

/** Every window the burn-rate table and the budget read, shortest first. */
export function sloWindows(): string[] {
  const all = new Set<string>();
  for (const w of BURN_WINDOWS) all.add(w.short).add(w.long);
  all.add(BUDGET_PERIOD);
  return [...all].sort((a, b) => durationSeconds(a) - durationSeconds(b));
}

const LONG_WINDOWS = () => BURN_WINDOWS.map((w) => w.long);

/**
 * Windows up to this are re-evaluated every minute; longer ones every 2 minutes (they move slowly;
 * 2 minutes, not 5, so the alerts reading them never find them older than Prometheus's 5-minute lookback).
 */
const FAST_WINDOW_LIMIT_SECONDS = 6 * 3600;

function windowRules(level: 'paywatch' | 'branch', by: string, windows: string[], slos: readonly Slo[]): RecordingRule[] {
  if (slos.length === 0) return [];
  const rules: RecordingRule[] = [];
  for (const w of windows) {
    if (w === '5m') {
      rules.push({
        record: `${level}:slo_error_ratio:ratio_rate5m`,
        expr: `sum by (${by}) (${level}:slo_bad_events:rate5m) / sum by (${by}) (${level}:slo_events:rate5m)`,
      });
      continue;
    }
    rules.push({
      record: `${level}:slo_error_ratio:ratio_rate${w}`,
      expr: `sum by (${by}) (avg_over_time(${level}:slo_bad_events:rate5m[${w}])) / sum by (${by}) (avg_over_time(${level}:slo_events:rate5m[${w}]))`,
      note:
        w === BUDGET_PERIOD
          ? 'Averages of the 5-minute rates: the share of bad events over the period, weighted by volume; maintenance is not in it.'
          : undefined,
    });
    if (LONG_WINDOWS().includes(w))
      rules.push({
        record: `${level}:slo_events:increase${w}`,
        expr: `sum by (${by}) (avg_over_time(${level}:slo_events:rate5m[${w}])) * ${durationSeconds(w)}`,
        note: w === LONG_WINDOWS()[0] ? 'Events in the window, for the volume floor of the alerts that read it.' : undefined,
      });
  }
  return rules;
}

export function sloRecordingGroups(): RecordingGroup[] {
  const branchSlos = SLOS.filter((s) => s.perBranch);
  const events: RecordingRule[] = [];
  for (const s of SLOS) {
    const e = EVENTS[s.id];
    const labels = { slo: s.id };
    if (s.perBranch) {
      events.push({ record: 'branch:slo_events:rate5m', expr: counted(e.all), labels });
      events.push({ record: 'branch:slo_bad_events:rate5m', expr: counted(e.bad), labels });
    }
  }
  for (const s of SLOS) {
    const e = EVENTS[s.id];
    const labels = { slo: s.id };
    if (s.perBranch) {
      events.push({ record: 'paywatch:slo_events:rate5m', expr: `sum(branch:slo_events:rate5m{slo="${s.id}"})`, labels });
      events.push({ record: 'paywatch:slo_bad_events:rate5m', expr: `sum(branch:slo_bad_events:rate5m{slo="${s.id}"})`, labels });
    } else {
      events.push({ record: 'paywatch:slo_events:rate5m', expr: counted(e.all), labels });
      events.push({ record: 'paywatch:slo_bad_events:rate5m', expr: counted(e.bad), labels });
    }
    events.push({ record: 'paywatch:slo_objective:ratio', expr: `vector(${objective(s)})`, labels });
  }
  const windows = sloWindows();
  const fast = windows.filter((w) => durationSeconds(w) <= FAST_WINDOW_LIMIT_SECONDS);
  const slow = windows.filter((w) => durationSeconds(w) > FAST_WINDOW_LIMIT_SECONDS);
  return [
    { name: 'paywatch.slo.events', interval: '1m', rules: events },
    {
      name: 'paywatch.slo.windows',
      interval: '1m',
      rules: [...windowRules('paywatch', 'slo', fast, SLOS), ...windowRules('branch', 'slo, branch', fast, branchSlos)],
    },
    {
      name: 'paywatch.slo.budget',
      interval: '2m',
      rules: [
        ...windowRules('paywatch', 'slo', slow, SLOS),
        ...windowRules(
          'branch',
          'slo, branch',
          slow.filter((w) => w !== BUDGET_PERIOD),
          branchSlos,
        ),
        {
          record: BUDGET_REMAINING_SERIES,
          expr: `1 - paywatch:slo_error_ratio:ratio_rate${BUDGET_PERIOD} / on (slo) (1 - paywatch:slo_objective:ratio)`,
          note: 'Share of the error budget left: 1 untouched, 0 spent, below 0 overspent.',
        },
      ],
    },
  ];
}

// ---- alerts ---------------------------------------------------------------------------------

export const BURN_ALERT_FOR = '2m';

interface SloAlertText {
  name: string;
  category: Category;
  team: Team;
  /** "payments failed", said of the bad events. */
  bad: string;
  impact: string;
  dependsOn?: RootCause[];
}

const ALERT_TEXT: Record<SloId, SloAlertText> = {
  payment_success: {
    name: 'PaymentSuccessBudgetBurn',
    category: 'payments',
    team: 'payments',
    bad: 'real-time payments failing',
    impact: 'Customers cannot repay; if the burn goes on the month misses its 99% success objective.',
    dependsOn: ['database', 'payments-api', 'gateway'],
  },
  availability: {
    name: 'AvailabilityBudgetBurn',
    category: 'availability',
    team: 'platform',
    bad: 'health checks failing',
    impact: "The payments API, the LMS or a gateway is down often enough to miss the month's 99.9% availability objective.",
    // As AvailabilityLow: while the outage itself is alerting, its own alert is the one notified.
    dependsOn: ['database', 'payments-api', 'lms', 'gateway'],
  },
  api_latency: {
    name: 'ApiLatencyBudgetBurn',
    category: 'api',
    team: 'platform',
    bad: 'payments API requests slower than 500ms',
    impact: "Screens are slow for branches, field officers and customers often enough to miss the month's latency objective.",
    dependsOn: ['database', 'payments-api'],
  },
  lms_posting: {
    name: 'LmsPostingBudgetBurn',
    category: 'lms',
    team: 'lms-integration',
    bad: 'receipt postings to the LMS failing',
    impact: "Paid loans stay unposted until someone posts them by hand; the month's posting objective is at risk.",
    dependsOn: ['lms', 'database'],
  },
};

export const burnLevelLabels = (w: BurnWindow) => ({ long_window: w.long });

function burnLevel(w: BurnWindow): AlertLevel {
  return w.action === 'page'
    ? { severity: 'critical', incidentClass: 'Sev2', threshold: w.burnRate, labels: burnLevelLabels(w) }
    : { severity: 'warning', incidentClass: 'Sev3', threshold: w.burnRate, labels: burnLevelLabels(w) };
}

export function burnWindow(level: AlertLevel): BurnWindow {
  const w = BURN_WINDOWS.find((b) => b.long === level.labels?.long_window);
  if (!w) throw new Error(`burn-rate level without a long_window label: ${JSON.stringify(level)}`);
  return w;
}

/** The volume floor over a long window: the SLO's events per hour times the window's hours. */
export const floor = (s: Slo, w: BurnWindow) => clean((s.volumeFloorPerHour * durationSeconds(w.long)) / 3600);

/** Fleet: both windows burn faster than the level's rate, on at least the volume floor of events. */
function fleetBurning(s: Slo, w: BurnWindow): string {
  const budget = errorBudget(s);
  const sel = `{slo="${s.id}"}`;
  return (
    `paywatch:slo_error_ratio:ratio_rate${w.long}${sel} / ${budget} > ${w.burnRate}` +
    ` and paywatch:slo_error_ratio:ratio_rate${w.short}${sel} / ${budget} > ${w.burnRate}` +
    ` and paywatch:slo_events:increase${w.long}${sel} >= ${floor(s, w)}`
  );
}

/**
 * One branch burning, with at least the floor of its own events, while the fleet is not (a
 * fleet-wide burn is one alert, not one per branch). A branch under the floor is only part of
 * the fleet's ratio.
 */
function branchBurning(s: Slo, w: BurnWindow): string {
  const budget = errorBudget(s);
  const sel = `{slo="${s.id}"}`;
  return (
    `(branch:slo_error_ratio:ratio_rate${w.long}${sel} / ${budget} > ${w.burnRate}` +
    ` and branch:slo_error_ratio:ratio_rate${w.short}${sel} / ${budget} > ${w.burnRate}` +
    ` and branch:slo_events:increase${w.long}${sel} >= ${floor(s, w)})` +
    ` unless on (slo) (${fleetBurning(s, w)})`
  );
}

export function sloAlerts(): AlertDefinition[] {
  return SLOS.map((s) => {
    const text = ALERT_TEXT[s.id];
    const budget = errorBudget(s);
    return {
      name: text.name,
      category: text.category,
      team: text.team,
      expr: (_t: number, level: AlertLevel) => {
        const w = burnWindow(level);
        return s.perBranch ? `(${fleetBurning(s, w)}) or (${branchBurning(s, w)})` : fleetBurning(s, w);
      },
      for: BURN_ALERT_FOR,
      levels: BURN_WINDOWS.map(burnLevel),
      summary: (_t: number, level: AlertLevel) => {
        const w = burnWindow(level);
        return `${s.title}: error budget burning ${w.burnRate}x over ${w.long}`;
      },
      description: (_t: number, level: AlertLevel) => {
        const w = burnWindow(level);
        const where = s.perBranch ? '{{ with $labels.branch }} at {{ . }}{{ else }} across the fleet{{ end }}' : '';
        return (
          `With ${text.bad}${where}, the ${pct(objective(s))} objective's error budget (${pct(budget)} of ${s.events}) burned ` +
          `{{ $value | printf "%.1f" }} times faster than it lasts ${BUDGET_PERIOD} over the last ${w.long}, and still over the last ${w.short}` +
          ` (threshold ${w.burnRate}x: ${pct(w.budgetSpent)} of the ${BUDGET_PERIOD} budget gone in ${w.long}).`
        );
      },
      impact: text.impact,
      dependsOn: text.dependsOn,
      perBranch: s.perBranch,
    };
  });
}
