// Service level objectives: the KPIs with a target turned into error budgets (the SRE workbook's
// "alerting on SLOs"). Each objective is read from the KPI spec (kpis.ts), so an SLO cannot
// promise another number than the KPI tile shows. kpi/ generates the recording rules, the
// multi-window multi-burn-rate alerts and their promtool tests from this file; the dashboards
// show each SLO's error budget remaining over BUDGET_PERIOD.
//
// No imports: the Grafana app (plugin/) reads this file by path.

export type SloId = 'payment_success' | 'availability' | 'api_latency' | 'lms_posting';

export interface Slo {
  id: SloId;
  title: string;
  /** The KPI (kpis.ts) whose target this SLO keeps. */
  kpi: string;
  /**
   * Share of events that must be good over BUDGET_PERIOD (0-1); the error budget is 1 - objective.
   * Absent: the KPI's target, which is then a ratio of good events.
   */
  objective?: number;
  /** What one event is, for people (dashboards, runbooks). */
  events: string;
  /**
   * Fewest events per hour, on average over an alert's long window, before the window may fire:
   * below it the ratio is a handful of events (1 failure in 3 payments at night is 67 %), so a
   * quiet hour neither pages nor opens a ticket. Per branch too: a branch under the floor is
   * judged only as part of the fleet.
   */
  volumeFloorPerHour: number;
  /** Whether its events carry `branch`: then a busy branch burning its budget alerts on its own. */
  perBranch: boolean;
}

export const SLOS: readonly Slo[] = [
  {
    id: 'payment_success',
    title: 'Payment success (real-time channels)',
    kpi: 'payment_success_rate',
    events: 'real-time payments (UPI, QR, BBPS, card, net banking) that reached a final status',
    volumeFloorPerHour: 100,
    perBranch: true,
  },
  {
    id: 'availability',
    title: 'System availability',
    kpi: 'availability',
    events: 'health probes of the payments API, the LMS and the gateways',
    // Probes never go quiet (several targets every 15 s): the floor only guards the first minutes.
    volumeFloorPerHour: 100,
    perBranch: false,
  },
  {
    id: 'api_latency',
    title: 'API latency (p95 under 500 ms)',
    kpi: 'api_latency_p95',
    // "p95 under 500 ms" is "at least 95 % of requests answered within 500 ms".
    objective: 0.95,
    events: 'payments API requests (health checks excluded)',
    volumeFloorPerHour: 100,
    perBranch: false,
  },
  {
    id: 'lms_posting',
    title: 'LMS posting success',
    kpi: 'lms_posting_success_rate',
    events: 'receipt postings to the LMS that reached a terminal state',
    volumeFloorPerHour: 100,
    perBranch: true,
  },
];

/** The period an error budget is spent over. */
export const BUDGET_PERIOD = '30d';

/** Budget left under this share is a warning (dashboards orange; the runbooks' escalation); under 0, overspent (red). */
export const BUDGET_LOW = 0.25;

/** The recorded series of the budget left, by `slo` (kpi/src/slo.ts records it). */
export const BUDGET_REMAINING_SERIES = `paywatch:slo_error_budget_remaining:ratio${BUDGET_PERIOD}`;

export interface BurnWindow {
  /** The long window: how much budget was spent. */
  long: string;
  /** The short window (1/12 of the long one): is it still being spent now (so the alert resets fast). */
  short: string;
  /** Burn rate: how many times faster than "exactly the budget over BUDGET_PERIOD". */
  burnRate: number;
  /** Share of the 30-day budget spent when the long window burns at that rate. */
  budgetSpent: number;
  /** page: the on-call now; ticket: the on-call's queue (email, then chat). */
  action: 'page' | 'ticket';
}

/** The SRE workbook's multi-window, multi-burn-rate table for a 30-day budget. */
export const BURN_WINDOWS: readonly BurnWindow[] = [
  { long: '1h', short: '5m', burnRate: 14.4, budgetSpent: 0.02, action: 'page' },
  { long: '6h', short: '30m', burnRate: 6, budgetSpent: 0.05, action: 'page' },
  { long: '1d', short: '2h', burnRate: 3, budgetSpent: 0.1, action: 'ticket' },
  { long: '3d', short: '6h', burnRate: 1, budgetSpent: 0.1, action: 'ticket' },
];

export function slo(id: SloId): Slo {
  const found = SLOS.find((s) => s.id === id);
  if (!found) throw new Error(`unknown SLO ${id}`);
  return found;
}
