// Reversals: payments first reported successful and reversed afterwards (a NACH or AutoPay debit
// returned by the bank, a chargeback, a gateway's reversal, a refund), counted as events of their
// own. payments_total stays "as first reported"; the settled success rate subtracts these.
import { PAYMENT_CHANNELS, PAYMENT_REVERSAL_REASONS, PAYMENT_REVERSALS_TOTAL, PAYMENT_REVERSED_AMOUNT_TOTAL } from '@paywatch/contract';
import { counterFor } from './core/exposition.ts';
import { label, num, type Collector } from './core/collector.ts';

const REVERSALS_VIEW = 'paywatch.payment_reversals';

const sqlList = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/** Why a reversal row is not counted, or NULL (see payments.ts: refused rows never fail a poll). */
const REFUSAL = `CASE
  WHEN branch IS NULL THEN 'branch_missing'
  WHEN channel IS NULL OR channel NOT IN (${sqlList(PAYMENT_CHANNELS)}) THEN 'channel_unknown'
  WHEN reason IS NULL OR reason NOT IN (${sqlList(PAYMENT_REVERSAL_REASONS)}) THEN 'reason_unknown'
  WHEN amount_inr IS NULL OR amount_inr <= 0 OR amount_inr >= 1e12 THEN 'amount_invalid'
END`;

export function reversalsCollector(): Collector {
  const reversals = counterFor(PAYMENT_REVERSALS_TOTAL);
  const amount = counterFor(PAYMENT_REVERSED_AMOUNT_TOTAL, { scale: 100 });

  return {
    name: 'payment reversals',
    requires: [{ view: REVERSALS_VIEW, columns: ['branch', 'channel', 'reason', 'amount_inr', 'reversed_at'] }],
    counts: [{ view: REVERSALS_VIEW, time: 'reversed_at' }],
    families: [reversals, amount],

    async poll(db, window) {
      const rows = await db.query(
        `SELECT branch, channel, reason, refusal, count(*) AS n, coalesce(sum(round(amount_inr * 100)), 0)::text AS paise
         FROM (SELECT branch, channel, reason, amount_inr, ${REFUSAL} AS refusal
               FROM ${REVERSALS_VIEW} WHERE ${window.counted(REVERSALS_VIEW, 'reversed_at')}) r
         GROUP BY branch, channel, reason, refusal`,
      );
      const counted: Array<{ labels: [string, string, string]; n: number; paise: number }> = [];
      for (const row of rows.rows) {
        const n = num(row.n);
        const paise = Number(row.paise);
        if (row.refusal) window.refuse(REVERSALS_VIEW, label(row.refusal), n);
        else if (!Number.isSafeInteger(paise)) window.refuse(REVERSALS_VIEW, 'amount_overflow', n);
        else counted.push({ labels: [label(row.branch), label(row.channel), label(row.reason)], n, paise });
      }
      return () => {
        for (const { labels, n, paise } of counted) {
          reversals.add(labels, n);
          amount.add([labels[0], labels[1]], paise);
        }
      };
    },
  };
}
