// When the history has samples: the step of each kind of series over each stretch of time, chosen
// so the recording rules can be evaluated from the raw series (by Prometheus itself, see rules.ts)
// and the whole stays within a sample budget.
//
// What the rules need: rate()/increase() over a window needs two samples in it. Prometheus 3
// selects (t - window, t] (2.x [t - window, t]), and promtool evaluates a group at times offset
// from round minutes by a hash of its name, so a 5-minute window holds two samples wherever it
// falls only when samples are at most 150 s apart. That is the DENSE step: every raw series has it
// over the most recent stretch (`denseFrom` .. end), where the dashboards open. Before it,
// fleet-wide series (gauges, probes, the API histogram: few) keep a 5-minute step (one sample in
// any 5-minute window: enough for avg_over_time/max_over_time over 5 minutes), and per-branch
// counters a coarser step within the budget: 30 minutes over the last 2 days when it fits (two
// samples per hour: the hourly failure rules), and at most 12 hours anywhere (two per day: the
// daily revenue rules). Counters are cumulative, so a coarse step loses nothing for increase()
// over windows longer than it.
//
// Every time is a multiple of its step counted from the epoch, so a replay from the same start with
// a later end (fillHistoryGap) has the same samples up to where the first history ended.

export const STEP = 300;
export const DENSE_STEP = 150;
const HOUR = 3600;
const DAY = 86400;

export interface Timeline {
  startSeconds: number;
  endSeconds: number;
  /** Every raw series has a sample every DENSE_STEP from here to the end. */
  denseFrom: number;
  /** Per-branch step before denseFrom, and over the last 2 days (branchRecentFrom on). */
  branchStep: number;
  branchRecentStep: number;
  branchRecentFrom: number;
  /**
   * Stretches (epoch seconds) where the model also steps every FINE_STEP (benchmarks only: the
   * series of the stretch's kind keep those samples, as live scrapes would: a burst of failed
   * logins, whose alert counts a minute; an RFID outage, whose verification counters the alerts
   * read through 5-minute recorded rates). Absent in a normal history.
   */
  fine?: FineStretch[];
}

/** What a fine stretch is for: the series kept every FINE_STEP in it. */
export type FineKind = 'logins' | 'rfid';

export interface FineStretch {
  from: number;
  to: number;
  /** logins: the API's failed-login counter; rfid: every branch's RFID verification counters. */
  kind: FineKind;
}

/** The model's step inside a timeline's fine stretches: the live scrape interval. */
export const FINE_STEP = 15;

/** t is a fine time (inside a fine stretch of that kind, or of any kind, on the FINE_STEP grid). */
export function inFineStretch(timeline: Pick<Timeline, 'fine'>, t: number, kind?: FineKind): boolean {
  return !!timeline.fine?.some((f) => t >= f.from && t <= f.to && (!kind || f.kind === kind)) && t % FINE_STEP === 0;
}

/** The model's evaluation times: every STEP, every DENSE_STEP from denseFrom, always the end. */
export function tickTimes(timeline: Pick<Timeline, 'startSeconds' | 'endSeconds' | 'denseFrom' | 'fine'>): number[] {
  const times: number[] = [];
  for (let t = timeline.startSeconds; t <= timeline.endSeconds; t += t >= timeline.denseFrom ? DENSE_STEP : STEP) times.push(t);
  if (times[times.length - 1] !== timeline.endSeconds) times.push(timeline.endSeconds);
  if (!timeline.fine?.length) return times;
  const all = new Set(times);
  for (const { from, to } of timeline.fine)
    for (
      let t = Math.ceil(Math.max(from, timeline.startSeconds) / FINE_STEP) * FINE_STEP;
      t <= Math.min(to, timeline.endSeconds);
      t += FINE_STEP
    )
      all.add(t);
  return [...all].sort((a, b) => a - b);
}

/** Per-branch series keep a sample at t. */
export function keepsBranch(timeline: Timeline, t: number): boolean {
  if (t === timeline.endSeconds) return true;
  if (t >= timeline.denseFrom) return t % DENSE_STEP === 0; // not the fine stretches' extra times
  return t % (t >= timeline.branchRecentFrom ? timeline.branchRecentStep : timeline.branchStep) === 0;
}

/** Fleet-wide series keep a sample at t. */
export function keepsFleet(timeline: Timeline, t: number): boolean {
  return t === timeline.endSeconds || t % (t >= timeline.denseFrom ? DENSE_STEP : STEP) === 0;
}

function count(from: number, to: number, step: number): number {
  if (to <= from) return 0;
  return Math.floor((to - 1) / step) - Math.floor((from - 1) / step);
}

/** Samples the timeline keeps for `branchSeries` per-branch and `fleetSeries` fleet-wide series. */
export function samplesOf(timeline: Timeline, branchSeries: number, fleetSeries: number): number {
  const { startSeconds: start, endSeconds: end, denseFrom } = timeline;
  const dense = count(denseFrom - 1, end, DENSE_STEP);
  const recentFrom = Math.min(Math.max(timeline.branchRecentFrom, start), denseFrom);
  const branch = dense + count(start - 1, recentFrom, timeline.branchStep) + count(recentFrom, denseFrom, timeline.branchRecentStep);
  const fleet = dense + count(start - 1, denseFrom, STEP);
  return branch * branchSeries + fleet * fleetSeries;
}

/** Per-branch steps before the dense stretch, finest first: 30 min, 1, 2, 3, 6, 12 hours. */
const BRANCH_STEPS = [HOUR / 2, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR];
/** Dense stretches, longest first. */
const DENSE_SPANS = [7 * DAY, 2 * DAY, DAY, 12 * HOUR, 6 * HOUR, 3 * HOUR, HOUR];

/**
 * The timeline for `days` up to `endSeconds` within `budget` samples: the longest dense stretch
 * that fits with 12-hour steps before it, then the finest per-branch step that still fits (30
 * minutes over the last 2 days when the older step allows it).
 */
export function chooseTimeline(options: {
  endSeconds: number;
  days: number;
  budget: number;
  branchSeries: number;
  fleetSeries: number;
}): Timeline {
  const { endSeconds, budget, branchSeries, fleetSeries } = options;
  const startSeconds = Math.floor((endSeconds - Math.round(options.days * DAY)) / STEP) * STEP;
  const make = (span: number, step: number, recentStep: number): Timeline => ({
    startSeconds,
    endSeconds,
    denseFrom: Math.max(startSeconds, Math.ceil((endSeconds - span) / STEP) * STEP),
    branchStep: step,
    branchRecentStep: recentStep,
    branchRecentFrom: Math.max(startSeconds, endSeconds - 2 * DAY),
  });
  const fits = (timeline: Timeline) => samplesOf(timeline, branchSeries, fleetSeries) <= budget;
  const coarsest = BRANCH_STEPS[BRANCH_STEPS.length - 1]!;
  const span =
    DENSE_SPANS.find((s) => fits(make(Math.min(s, endSeconds - startSeconds), coarsest, coarsest))) ?? DENSE_SPANS[DENSE_SPANS.length - 1]!;
  const dense = Math.min(span, endSeconds - startSeconds);
  for (const step of BRANCH_STEPS) {
    for (const recent of [BRANCH_STEPS[0]!, step]) {
      const timeline = make(dense, step, Math.min(recent, step));
      if (fits(timeline)) return timeline;
    }
  }
  return make(dense, coarsest, coarsest);
}
