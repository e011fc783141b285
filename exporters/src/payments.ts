// Payments: terminal payments by branch, channel and status, money collected, failure reasons,
// processing time, what is still pending, and each branch's collections today against its target.
import {
  BRANCH_COLLECTED_TODAY_INR,
  BRANCH_DAILY_TARGET_INR,
  PAYMENTS_PENDING,
  PAYMENTS_TOTAL,
  PAYMENT_AMOUNT_TOTAL,
  PAYMENT_FAILURES_TOTAL,
  PAYMENT_PROCESSING_SECONDS,
} from '@paywatch/contract';
import { bucketColumns, bucketValues, counterFor, gaugeFor, histogramFor } from './core/exposition.ts';
import { label, num, type Collector } from './core/collector.ts';

export const PROCESSING_BUCKETS = PAYMENT_PROCESSING_SECONDS.buckets;

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

  return {
    name: 'payments',
    requires: [
      { view: 'paywatch.payments', columns: ['branch', 'channel', 'status', 'failure_reason', 'amount_inr', 'created_at', 'completed_at'] },
      { view: 'paywatch.branches', columns: ['branch'] },
      { view: 'paywatch.branch_daily_targets', columns: ['branch', 'day', 'target_inr'] },
    ],
    families: [payments, amount, failures, processing, pending, collectedToday, target],

    async poll(db, window) {
      // Terminal payments in the window, by the completed_at index. Money is summed in paise as
      // integers so the counters stay exact however many polls add up.
      const terminal = await db.query(
        `SELECT branch, channel, status, failure_reason,
                count(*) AS n,
                coalesce(sum(amount_inr * 100) FILTER (WHERE status = 'success'), 0)::int8 AS paise,
                coalesce(sum(amount_inr * 100) FILTER (WHERE status = 'success' AND completed_at >= $3::timestamptz), 0)::int8 AS today_paise,
                coalesce(sum(seconds), 0)::float8 AS seconds,
                ${bucketColumns('seconds', PROCESSING_BUCKETS)}
         FROM (SELECT branch, channel, status, failure_reason, amount_inr, completed_at,
                      extract(epoch FROM completed_at - created_at)::float8 AS seconds
               FROM paywatch.payments
               WHERE completed_at > $1::timestamptz AND completed_at <= $2::timestamptz
                 AND status IN ('success', 'failed')) p
         GROUP BY branch, channel, status, failure_reason`,
        [window.from, window.to, window.todayStart],
      );
      // In-flight payments, by the partial index on pending payments.
      const inFlight = await db.query(
        `SELECT branch, channel, count(*) AS n FROM paywatch.payments WHERE status = 'pending' GROUP BY branch, channel`,
      );
      // Today's targets: one primary-key lookup per branch.
      const targets = await db.query(
        `SELECT t.branch, t.target_inr::float8 AS target
         FROM paywatch.branches b JOIN paywatch.branch_daily_targets t ON t.branch = b.branch AND t.day = $1::date`,
        [window.today],
      );

      return () => {
        if (window.newDay) todayPaise = new Map();
        for (const row of terminal.rows) {
          const branch = label(row.branch);
          const channel = label(row.channel);
          const status = label(row.status);
          const n = num(row.n);
          payments.add([branch, channel, status], n);
          if (status === 'success') {
            amount.add([branch, channel], num(row.paise));
            todayPaise.set(branch, (todayPaise.get(branch) ?? 0) + num(row.today_paise));
          } else {
            failures.add([branch, channel, label(row.failure_reason) || 'unknown'], n);
          }
          processing.add([channel], bucketValues(row, PROCESSING_BUCKETS), n, num(row.seconds));
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
