// An activity: a kind of business event the simulator writes one row per event of, declared as
// data (activities.ts) instead of written as code. It names the counter family its rows are counted
// as (a family with a `source` view, contract/src/families.ts), says how often it happens (per
// branch, IST hour and weekday), which value of one label each event takes, how it ends (success,
// or a failure with a reason) and how long the answer takes. From that one declaration the live
// simulator writes the rows (engine.ts, store.ts) and the history backfill writes the family's
// series (stack/src/backfill/business.ts), so a new KPI over new data needs no code in either.
import { EXPORTER_FAMILIES, type MetricFamily } from '@paywatch/contract';
import { istParts } from './calendar.ts';
import type { Rng } from './random.ts';

/** How long the final answer takes after the event starts: log-normal, capped. */
export interface AnswerTime {
  medianSeconds: number;
  /** Spread in log space. */
  sigma: number;
  maxSeconds: number;
}

export interface Activity<V extends string = string> {
  /** The counter family its rows are counted as; every label is a column of the table. */
  family: MetricFamily;
  /** Names its random streams: a seed's rows depend on it, so it never changes once released. */
  stream: string;
  /** The table the simulator inserts the rows into (the base table of the family's view). */
  table: string;
  /** Events a day at a branch of size 1 on a weekday whose factor is 1. */
  perBranchPerDay: number;
  /** Relative rate per IST hour, 0-23 (any scale: normalised). */
  hours: readonly number[];
  /** Factor of the day's rate per IST weekday, Sunday first. */
  weekdays: readonly number[];
  /** The label each event takes one value of (besides `branch`), with each value's share of the events. */
  split: { label: string; shares: Readonly<Record<V, number>> };
  /**
   * How an event ends: the outcome label and its two values; the failures under normal conditions
   * per split value, as [reason, probability] (the rest succeed), the reason written to `reasonColumn`.
   */
  outcome: {
    label: string;
    success: string;
    failed: string;
    reasonColumn?: string;
    failures: Readonly<Record<V, ReadonlyArray<readonly [string, number]>>>;
  };
  /** How long the answer takes, per split value; the row is written (and counted) when answered. */
  answer: Readonly<Record<V, AnswerTime>>;
  /** Optional columns: when the event started, and the loan it is for. The answer's time is the family's `source.time`. */
  columns: { started?: string; loan?: string };
}

/** One event as the simulator writes it: a row of the activity's table. */
export interface ActivityRow {
  branch: string;
  /** The split label's value. */
  value: string;
  /** Failure reason; null: success. */
  reason: string | null;
  loanRef: string;
  createdAt: number;
  completedAt: number;
}

/** An activity as activities.ts writes it: its family by name (as a KPI's `ratio.family`). */
export type ActivityDeclaration<V extends string> = Omit<Activity<V>, 'family'> & { family: string };

/** Declares an activity, checking it against its family; the split values type the per-value tables. */
export function activity<const V extends string>(declared: ActivityDeclaration<V>): Activity<V> {
  const { split, outcome } = declared;
  const where = `activity ${declared.stream} (${declared.family})`;
  const family = Object.values<readonly MetricFamily[]>(EXPORTER_FAMILIES)
    .flat()
    .find((f) => f.name === declared.family);
  if (!family)
    throw new Error(
      `${where}: no exporter lists the family ${declared.family}: declare it in contract/src/families.ts and add it to its exporter's list (EXPORTER_FAMILIES)`,
    );
  if (family.type !== 'counter' || !family.source)
    throw new Error(
      `${where}: its family must be a counter with a \`source\` view in contract/src/families.ts (the exporters count it from there)`,
    );
  const labels = ['branch', split.label, outcome.label];
  if ([...family.labels].sort().join() !== [...labels].sort().join())
    throw new Error(
      `${where}: the family's labels (${family.labels.join(', ')}) must be exactly branch, the split label and the outcome label (${labels.join(', ')})`,
    );
  if (declared.hours.length !== 24 || declared.weekdays.length !== 7)
    throw new Error(`${where}: hours needs 24 values (IST hour 0-23) and weekdays 7 (Sunday first)`);
  const shares = Object.values<number>(split.shares);
  if (!shares.length || Math.abs(shares.reduce((sum, share) => sum + share, 0) - 1) > 1e-9)
    throw new Error(`${where}: split.shares must sum to 1 (each value's share of the events)`);
  const values = Object.keys(split.shares).sort().join();
  for (const [what, table] of [
    ['outcome.failures', outcome.failures],
    ['answer', declared.answer],
  ] as const)
    if (Object.keys(table).sort().join() !== values) throw new Error(`${where}: ${what} needs one entry per split value (${values})`);
  return { ...declared, family };
}

/** The split label's values, in declaration order. */
export function splitValues<V extends string>(activity: Activity<V>): V[] {
  return Object.keys(activity.split.shares) as V[];
}

const hourShares = new WeakMap<Activity<string>, number[]>();
/** Share of the day's events in each IST hour (sums to 1). */
function hourShare(activity: Activity<string>, hour: number): number {
  let shares = hourShares.get(activity);
  if (!shares) {
    const total = activity.hours.reduce((sum, w) => sum + w, 0);
    hourShares.set(activity, (shares = activity.hours.map((w) => w / total)));
  }
  return shares[hour] ?? 0;
}

/** Expected events per hour with the split value `value` at a branch of the given size, at `ms`. */
export function eventsPerHour<V extends string>(activity: Activity<V>, value: V, ms: number, size: number): number {
  const { hour, weekday } = istParts(ms);
  return activity.perBranchPerDay * size * activity.split.shares[value] * hourShare(activity, hour) * (activity.weekdays[weekday] ?? 0);
}

/** Probability that an event with the split value succeeds under normal conditions. */
export function eventSuccessProbability<V extends string>(activity: Activity<V>, value: V): number {
  return 1 - activity.outcome.failures[value].reduce((sum, [, p]) => sum + p, 0);
}

/** One event: its failure reason (null: success) and how long the answer takes, in seconds. */
export function sampleEvent<V extends string>(rng: Rng, activity: Activity<V>, value: V): { reason: string | null; answerSeconds: number } {
  const reason = rng.next() < eventSuccessProbability(activity, value) ? null : rng.pick(activity.outcome.failures[value]);
  const answer = activity.answer[value];
  return { reason, answerSeconds: Math.min(answer.maxSeconds, rng.lognormal(answer.medianSeconds, answer.sigma)) };
}

/** The family's labels of one event's series: branch, split value, outcome. */
export function eventLabels(activity: Activity<string>, branch: string, value: string, success: boolean): Record<string, string> {
  return {
    branch,
    [activity.split.label]: value,
    [activity.outcome.label]: success ? activity.outcome.success : activity.outcome.failed,
  };
}
