// What one domain's collector is: the contract views it reads, the families it owns, and one poll.
import type { AnyFamily } from './exposition.ts';

/** Anything that runs a query: the poll's transaction client. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * What one poll reads. Counters count the rows `counted(view, time)` selects: on the first poll
 * after a start (the baseline) every row the database has; afterwards the rows made countable
 * since the previous poll. Views that carry `recorded_xid` (docs/schema.md, "Reading in commit
 * order") are read in commit order: rows whose transaction was not visible in the previous poll's
 * snapshot, however old their business timestamp. Views without it are read by time: rows whose
 * `time` column is in (from, to], where `from` is the previous poll's `to` (the watermark) and
 * `to` is the business clock (`paywatch.clock`) minus the safety lag.
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
  /** The IST business day that contains the clock minus the safety lag (YYYY-MM-DD). */
  today: string;
  /** Start of that business day as a timestamptz text. */
  todayStart: string;
  /** The business day changed since the previous poll: per-day gauges start again from 0. */
  newDay: boolean;
  /**
   * SQL condition (no parameters) selecting the rows of `view` this poll counts; `time` is the
   * view's business timestamp column (the watermark's column when the view is read by time).
   * The view must be one the collector lists in `counts`.
   */
  counted(view: string, time: string): string;
  /** Rows of `view` refused (not counted), by reason: metered and logged once per poll by the core. */
  refuse(view: string, reason: string, rows: number): void;
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
  /**
   * The views whose rows this collector counts, each with its business timestamp column: read in
   * commit order when the view has `recorded_xid`, else by that column; their lateness is metered.
   */
  counts?: Array<{ view: string; time: string }>;
  /** The families this collector owns, in exposition order. */
  families: AnyFamily[];
  /**
   * Reads the database for one poll, inside the poll's read-only transaction, and returns a
   * function that applies the results. Nothing is applied unless the whole poll succeeded, so a
   * poll that fails half-way counts nothing (the next poll reads the same window again). The
   * returned function must not throw: whatever could be wrong with a row is checked before.
   */
  poll(db: Queryable, window: PollWindow): Promise<() => void>;
  /** Called once a poll fails (the database went away), e.g. to drop what is unknown while the database is away. */
  sourceDown?(): void;
  /** Called once at start, before the first poll, to check what the database offers (optional). */
  inspect?(db: Queryable, log: (line: string) => void): Promise<void>;
}

/** Rows fetched at a time when the totals are loaded through a cursor. */
const TOTALS_BATCH_ROWS = 2000;
let cursors = 0;

/**
 * Runs a poll's query and hands its rows to `take`. On the first poll (the totals: a row per
 * series, ~100k rows on a production database) the rows come through a cursor, a batch at a
 * time, and each batch is dropped once taken: the process never holds every row object at once
 * (that peak is what grew the payments exporter's heap for good). `take` keeps what it needs in a
 * compact form; it must not apply anything (a poll applies all or nothing, after every query).
 */
export async function eachRow<R extends Record<string, unknown> = Record<string, unknown>>(
  db: Queryable,
  window: Pick<PollWindow, 'baseline'>,
  text: string,
  values: unknown[],
  take: (row: R) => void,
): Promise<void> {
  if (!window.baseline) {
    for (const row of (await db.query<R>(text, values)).rows) take(row);
    return;
  }
  const cursor = `paywatch_totals_${++cursors}`;
  // The whole result is wanted: plan for it, not for the first rows (a cursor's default).
  await db.query('SET LOCAL cursor_tuple_fraction = 1');
  await db.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${text}`, values);
  for (;;) {
    const { rows } = await db.query<R>(`FETCH ${TOTALS_BATCH_ROWS} FROM ${cursor}`);
    for (const row of rows) take(row);
    if (rows.length < TOTALS_BATCH_ROWS) break;
  }
  await db.query(`CLOSE ${cursor}`);
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
