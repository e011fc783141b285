// What one domain's collector is: the contract views it reads, the families it owns, and one poll.
import type { AnyFamily } from './exposition.ts';

/** Anything that runs a query: the poll's transaction client. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * The slice of time one poll reads. Counters count rows whose timestamp is in (from, to]:
 * `from` is the previous poll's `to` (the watermark), '-infinity' on the first poll after a start
 * (the baseline: the database's totals), and `to` is the business clock (`paywatch.clock`: now()
 * on a real payments database, the simulated clock in a simulation) minus the safety lag.
 * Timestamps are kept as PostgreSQL's own text so they round-trip with microsecond precision
 * (a JS Date would drop the microseconds and count a row twice or never).
 */
export interface PollWindow {
  from: string;
  to: string;
  /** The business clock (`paywatch.clock`) at this poll: what "now" means for ages, overdue and heartbeats. */
  now: string;
  /** true on the first poll after a start: counters are being loaded from the database's totals. */
  baseline: boolean;
  /** The IST business day that contains `to` (YYYY-MM-DD). */
  today: string;
  /** Start of that business day as a timestamptz text. */
  todayStart: string;
  /** The business day changed since the previous poll: per-day gauges start again from 0. */
  newDay: boolean;
}

export interface ViewRequirement {
  /** e.g. paywatch.payments */
  view: string;
  columns: string[];
}

export interface Collector {
  /** Short name for messages. */
  name: string;
  /** Contract views and the columns this collector reads; checked at start. */
  requires: ViewRequirement[];
  /** The families this collector owns, in exposition order. */
  families: AnyFamily[];
  /**
   * Reads the database for one poll, inside the poll's read-only transaction, and returns a
   * function that applies the results. Nothing is applied unless the whole poll succeeded, so a
   * poll that fails half-way counts nothing (the next poll reads the same window again).
   */
  poll(db: Queryable, window: PollWindow): Promise<() => void>;
  /** Called once a poll fails (the database went away), e.g. to set db_up to 0. */
  sourceDown?(): void;
  /** Called once at start, before the first poll, to check what the database offers (optional). */
  inspect?(db: Queryable, log: (line: string) => void): Promise<void>;
}

/** A pg int8/numeric/text column as a number. */
export function num(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

/** A label value from a column (NULL becomes ''). */
export function label(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

/** The contract's branches, as the label sets of per-branch gauges. */
export const BRANCHES_VIEW: ViewRequirement = { view: 'paywatch.branches', columns: ['branch'] };
/** The contract's active field officers, as the label sets (branch, officer) of per-officer gauges. */
export const OFFICERS_VIEW: ViewRequirement = { view: 'paywatch.field_officers', columns: ['branch', 'officer', 'active'] };

/**
 * The label sets a gauge starts from at 0 on the first poll after a start, so a branch (or
 * officer) with nothing open reads 0 rather than "no data" on its dashboard; `keepAtZero` then
 * keeps every series. Read only on that first poll: the fleet is a few hundred branches.
 */
export async function startingLabelSets(db: Queryable, window: PollWindow, of: 'branches' | 'officers'): Promise<string[][]> {
  if (!window.baseline) return [];
  if (of === 'branches')
    return (await db.query<{ branch: unknown }>('SELECT branch FROM paywatch.branches')).rows.map((row) => [label(row.branch)]);
  return (
    await db.query<{ branch: unknown; officer: unknown }>('SELECT branch, officer FROM paywatch.field_officers WHERE active')
  ).rows.map((row) => [label(row.branch), label(row.officer)]);
}
