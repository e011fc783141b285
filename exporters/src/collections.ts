// Field collections: cash collected by field officers, by OTP outcome, and what the branch has not
// confirmed yet. Officers carry their branch on every series (the scope proxy filters on both).
import { FIELD_COLLECTIONS_TOTAL, FIELD_COLLECTIONS_UNCONFIRMED, FIELD_COLLECTION_AMOUNT_TOTAL } from '@paywatch/contract';
import { counterFor, gaugeFor } from './core/exposition.ts';
import { eachRow, label, num, OFFICERS_VIEW, startingLabelSets, type Collector } from './core/collector.ts';

export function collectionsCollector(): Collector {
  const collections = counterFor(FIELD_COLLECTIONS_TOTAL);
  const amount = counterFor(FIELD_COLLECTION_AMOUNT_TOTAL, { scale: 100 });
  const unconfirmed = gaugeFor(FIELD_COLLECTIONS_UNCONFIRMED);

  return {
    name: 'field collections',
    requires: [
      { view: 'paywatch.field_collections', columns: ['branch', 'officer', 'amount_inr', 'otp_status', 'collected_at', 'confirmed_at'] },
      OFFICERS_VIEW,
    ],
    counts: [{ view: 'paywatch.field_collections', time: 'collected_at' }],
    families: [collections, amount, unconfirmed],

    async poll(db, window) {
      // Counted once each (in commit order, or by collected_at). An officer with no collections has
      // no series until their first one: series exist exactly for what the rows say, before and
      // after a restart alike.
      // Only the labels and numbers are kept of each row (the totals stream through a cursor).
      const collected: Array<{ labels: [string, string, string]; n: number; paise: number }> = [];
      await eachRow(
        db,
        window,
        `SELECT branch, officer, otp_status, count(*) AS n,
                coalesce(sum(amount_inr * 100) FILTER (WHERE otp_status = 'verified'), 0)::int8 AS paise
         FROM paywatch.field_collections
         WHERE ${window.counted('paywatch.field_collections', 'collected_at')}
         GROUP BY branch, officer, otp_status`,
        [],
        (row) =>
          collected.push({ labels: [label(row.branch), label(row.officer), label(row.otp_status)], n: num(row.n), paise: num(row.paise) }),
      );
      // Awaiting branch confirmation: by the partial index on unconfirmed verified collections.
      const waiting = await db.query(
        `SELECT branch, officer, count(*) AS n
         FROM paywatch.field_collections
         WHERE otp_status = 'verified' AND confirmed_at IS NULL
         GROUP BY branch, officer`,
      );
      const officers = await startingLabelSets(db, window, 'officers');
      return () => {
        for (const labels of officers) unconfirmed.set(labels, 0);
        for (const { labels, n, paise } of collected) {
          collections.add(labels, n);
          if (labels[2] === 'verified') amount.add([labels[0], labels[1]], paise);
        }
        unconfirmed.replace(
          waiting.rows.map((row) => ({ labels: [label(row.branch), label(row.officer)], value: num(row.n) })),
          { keepAtZero: true },
        );
      };
    },
  };
}
