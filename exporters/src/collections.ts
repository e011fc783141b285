// Field collections: cash collected by field officers, by OTP outcome, and what the branch has not
// confirmed yet. Officers carry their branch on every series (the scope proxy filters on both).
import { FIELD_COLLECTIONS_TOTAL, FIELD_COLLECTIONS_UNCONFIRMED, FIELD_COLLECTION_AMOUNT_TOTAL } from '@paywatch/contract';
import { counterFor, gaugeFor } from './core/exposition.ts';
import { eachRow, label, num, OFFICERS_VIEW, startingLabelSets, type Collector } from './core/collector.ts';

export function collectionsCollector(): Collector {
  const collections = counterFor(FIELD_COLLECTIONS_TOTAL);
  const amount = counterFor(FIELD_COLLECTION_AMOUNT_TOTAL, { scale: 100 });
  const unconfirmed = gaugeFor(FIELD_COLLECTIONS_UNCONFIRMED);
  // Each branch's unconfirmed collections by officer as last applied: the text PostgreSQL
  // rendered for them (to compare with) and the counts.
  let waitingByBranch = new Map<string, { text: string; officers: Map<string, number> }>();

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
      // Awaiting branch confirmation: by the partial index on unconfirmed verified collections,
      // a row per branch with its officers' counts as one JSON text. Only the branches whose text
      // changed since the last poll are parsed and applied: at 15k officers with a collection
      // waiting, a row per officer cost the poll ~10 ms of parsing and ~6 ms of lookups, every
      // second, for the few dozen that changed.
      const waiting = await db.query<{ branch: string; officers: string }>(
        `SELECT branch, jsonb_agg(jsonb_build_array(officer, n) ORDER BY officer)::text AS officers
         FROM (SELECT coalesce(branch::text, '') AS branch, coalesce(officer::text, '') AS officer, count(*) AS n
               FROM paywatch.field_collections
               WHERE otp_status = 'verified' AND confirmed_at IS NULL
               GROUP BY 1, 2) w
         GROUP BY branch`,
      );
      const next = new Map<string, { text: string; officers: Map<string, number> }>();
      const changed: string[] = [];
      for (const row of waiting.rows) {
        const before = waitingByBranch.get(row.branch);
        if (before?.text === row.officers) {
          next.set(row.branch, before);
          continue;
        }
        const officers = new Map<string, number>();
        for (const [officer, n] of JSON.parse(row.officers) as Array<[string, number]>) officers.set(officer, n);
        next.set(row.branch, { text: row.officers, officers });
        changed.push(row.branch);
      }
      const officers = await startingLabelSets(db, window, 'officers');
      return () => {
        for (const labels of officers) unconfirmed.set(labels, 0);
        for (const { labels, n, paise } of collected) {
          collections.add(labels, n);
          if (labels[2] === 'verified') amount.add([labels[0], labels[1]], paise);
        }
        // Officers no longer waiting read 0 (as do branches with nothing waiting any more).
        for (const [branch, { officers: before }] of waitingByBranch) {
          const now = next.get(branch)?.officers;
          if (now === before) continue;
          for (const officer of before.keys()) if (!now?.has(officer)) unconfirmed.set([branch, officer], 0);
        }
        for (const branch of changed) {
          for (const [officer, n] of next.get(branch)!.officers) unconfirmed.set([branch, officer], n);
        }
        waitingByBranch = next;
      };
    },
  };
}
