// Payments: terminal payments by branch, channel and status, money collected, failure reasons,
// processing time, what is still pending, and each branch's collections today against its target.
import {
  BRANCH_COLLECTED_TODAY_INR,
  BRANCH_DAILY_TARGET_INR,
  PAYMENT_CHANNELS,
  PAYMENT_TERMINAL_STATUSES,
  PAYMENTS_PENDING,
  PAYMENTS_TOTAL,
  PAYMENT_AMOUNT_TOTAL,
  PAYMENT_FAILURES_TOTAL,
  PAYMENT_PROCESSING_SECONDS,
} from '@paywatch/contract';
import { bucketColumns, bucketValues, counterFor, gaugeFor, histogramFor } from './core/exposition.ts';
import { eachRow, label, num, type Collector } from './core/collector.ts';

export const PROCESSING_BUCKETS = PAYMENT_PROCESSING_SECONDS.buckets;

const PAYMENTS_VIEW = 'paywatch.payments';

/** The largest amount the contract allows (numeric(14,2)); beyond it a row is refused, not summed. */
const MAX_AMOUNT_INR = 1e12;

const sqlList = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/**
 * Why a payment row is not counted, or NULL: refused rows are metered and logged by the core, and
 * never make a poll fail (a poll that failed would read them again, for ever).
 */
const REFUSAL = `CASE
  WHEN branch IS NULL THEN 'branch_missing'
  WHEN channel IS NULL OR channel NOT IN (${sqlList(PAYMENT_CHANNELS)}) THEN 'channel_unknown'
  WHEN status IS NULL OR status NOT IN (${sqlList(PAYMENT_TERMINAL_STATUSES)}) THEN 'status_unknown'
  WHEN completed_at IS NULL THEN 'completed_at_missing'
  WHEN amount_inr IS NULL OR amount_inr <= 0 OR amount_inr >= ${MAX_AMOUNT_INR} THEN 'amount_invalid'
END`;

export function paymentsCollector(): Collector {
  const payments = counterFor(PAYMENTS_TOTAL);
  const amount = counterFor(PAYMENT_AMOUNT_TOTAL, { scale: 100 });
  const failures = counterFor(PAYMENT_FAILURES_TOTAL);
  const processing = histogramFor(PAYMENT_PROCESSING_SECONDS);
  const pending = gaugeFor(PAYMENTS_PENDING);
  const collectedToday = gaugeFor(BRANCH_COLLECTED_TODAY_INR);
  const target = gaugeFor(BRANCH_DAILY_TARGET_INR);
  // Today's collections are kept incrementally (in paise, exact) from the same delta rows as the
  // counters, so this gauge costs nothing more per poll than the counters do.
  let todayPaise = new Map<string, number>();
  // Branches whose every channel x status series exists (at 0 until a payment comes).
  const started = new Set<string>();
  const startBranch = (branch: string) => {
    if (started.has(branch)) return;
    started.add(branch);
    for (const channel of PAYMENT_CHANNELS) {
      for (const status of PAYMENT_TERMINAL_STATUSES) payments.add([branch, channel, status], 0);
      amount.add([branch, channel], 0);
    }
  };

  return {
    name: 'payments',
    requires: [
      { view: PAYMENTS_VIEW, columns: ['branch', 'channel', 'status', 'failure_reason', 'amount_inr', 'created_at', 'completed_at'] },
      { view: 'paywatch.branches', columns: ['branch'] },
      { view: 'paywatch.branch_daily_targets', columns: ['branch', 'day', 'target_inr'] },
    ],
    counts: [{ view: PAYMENTS_VIEW, time: 'completed_at' }],
    families: [payments, amount, failures, processing, pending, collectedToday, target],

    async poll(db, window) {
      // Payments made terminal since the previous poll (in commit order, by the recorded_xid
      // index; or by the completed_at index), grouped in SQL. Money is summed in paise as exact
      // integers (numeric, checked below) so the counters stay exact however many polls add up.
      // Everything is checked as it is read, before anything is applied: the applier below cannot
      // fail half-way, so a poll counts all of its rows or none. Only what the applier needs is
      // kept of each row (on the first poll, the totals stream through a cursor).
      const counted: Array<{
        branch: string;
        channel: string;
        status: string;
        reason: string;
        n: number;
        paise: number;
        todayPaise: number;
        buckets: number[];
        seconds: number;
      }> = [];
      await eachRow(
        db,
        window,
        `SELECT branch, channel, status, failure_reason, refusal,
                count(*) AS n,
                coalesce(sum(round(amount_inr * 100)) FILTER (WHERE status = 'success'), 0)::text AS paise,
                coalesce(sum(round(amount_inr * 100)) FILTER (WHERE status = 'success' AND completed_at >= $1::timestamptz
                                                                AND completed_at < $1::timestamptz + interval '1 day'), 0)::text AS today_paise,
                coalesce(sum(seconds), 0)::float8 AS seconds,
                ${bucketColumns('seconds', PROCESSING_BUCKETS)}
         FROM (SELECT branch, channel, status, failure_reason, amount_inr, completed_at,
                      extract(epoch FROM completed_at - created_at)::float8 AS seconds,
                      ${REFUSAL} AS refusal
               FROM ${PAYMENTS_VIEW}
               WHERE ${window.counted(PAYMENTS_VIEW, 'completed_at')}
                 AND (completed_at IS NOT NULL OR status IS DISTINCT FROM 'pending')) p
         GROUP BY branch, channel, status, failure_reason, refusal`,
        [window.todayStart],
        (row) => {
          const n = num(row.n);
          if (row.refusal) {
            window.refuse(PAYMENTS_VIEW, label(row.refusal), n);
            return;
          }
          const paise = Number(row.paise);
          const todayPaise = Number(row.today_paise);
          if (!Number.isSafeInteger(paise) || !Number.isSafeInteger(todayPaise) || paise < 0 || todayPaise < 0) {
            window.refuse(PAYMENTS_VIEW, 'amount_overflow', n);
            return;
          }
          counted.push({
            branch: label(row.branch),
            channel: label(row.channel),
            status: label(row.status),
            reason: label(row.failure_reason) || 'unknown',
            n,
            paise,
            todayPaise,
            buckets: bucketValues(row, PROCESSING_BUCKETS),
            seconds: num(row.seconds),
          });
        },
      );
      // In-flight payments, by the partial index on pending payments.
      const inFlight = await db.query(
        `SELECT branch, channel, count(*) AS n FROM ${PAYMENTS_VIEW} WHERE status = 'pending' GROUP BY branch, channel`,
      );
      // Today's targets: one primary-key lookup per branch.
      const targets = await db.query(
        `SELECT t.branch, t.target_inr::float8 AS target
         FROM paywatch.branches b JOIN paywatch.branch_daily_targets t ON t.branch = b.branch AND t.day = $1::date`,
        [window.today],
      );
      // The contract's branches start at 0 on every channel and status (read on the first poll only).
      const branches = window.baseline ? (await db.query<{ branch: unknown }>('SELECT branch FROM paywatch.branches')).rows : [];

      return () => {
        if (window.newDay) todayPaise = new Map();
        for (const row of branches) startBranch(label(row.branch));
        for (const { branch, channel, status, reason, n, paise, todayPaise: today, buckets, seconds } of counted) {
          startBranch(branch);
          payments.add([branch, channel, status], n);
          if (status === 'success') {
            amount.add([branch, channel], paise);
            todayPaise.set(branch, (todayPaise.get(branch) ?? 0) + today);
          } else {
            failures.add([branch, channel, reason], n);
          }
          processing.add([channel], buckets, n, seconds);
        }
        pending.replace(
          inFlight.rows.map((row) => ({ labels: [label(row.branch), label(row.channel)], value: num(row.n) })),
          { keepAtZero: true },
        );
        collectedToday.replace(
          [...todayPaise].map(([branch, paise]) => ({ labels: [branch], value: paise / 100 })),
          { keepAtZero: true },
        );
        target.replace(
          targets.rows.map((row) => ({ labels: [label(row.branch)], value: num(row.target) })),
          { keepAtZero: false },
        );
      };
    },
  };
}
