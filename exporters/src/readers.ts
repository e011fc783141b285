// RFID: verifications at the counter by branch and result, their latency, and which readers are
// alive (heartbeat newer than the timeout).
import {
  RFID_READERS,
  RFID_READER_UP,
  RFID_VERIFICATIONS_TOTAL,
  RFID_VERIFICATION_DURATION_SECONDS,
  rfidReaderUpHelp,
} from '@paywatch/contract';
import { bucketColumns, bucketValues, counterFor, gaugeFor, histogramFor } from './core/exposition.ts';
import { label, num, type Collector } from './core/collector.ts';

export const VERIFICATION_BUCKETS = RFID_VERIFICATION_DURATION_SECONDS.buckets;

export function readersCollector(options: { rfidReaderTimeoutSeconds: number }): Collector {
  const verifications = counterFor(RFID_VERIFICATIONS_TOTAL);
  const duration = histogramFor(RFID_VERIFICATION_DURATION_SECONDS);
  const readerUp = gaugeFor(RFID_READER_UP, { help: rfidReaderUpHelp(options.rfidReaderTimeoutSeconds) });
  const readers = gaugeFor(RFID_READERS);

  return {
    name: 'rfid readers',
    requires: [
      { view: 'paywatch.rfid_verifications', columns: ['branch', 'result', 'latency_ms', 'verified_at'] },
      { view: 'paywatch.rfid_readers', columns: ['reader', 'branch', 'last_seen_at'] },
    ],
    counts: [{ view: 'paywatch.rfid_verifications', time: 'verified_at' }],
    families: [verifications, duration, readerUp, readers],

    async poll(db, window) {
      const verified = await db.query(
        `SELECT branch, result, count(*) AS n, coalesce(sum(seconds), 0)::float8 AS seconds,
                ${bucketColumns('seconds', VERIFICATION_BUCKETS)}
         FROM (SELECT branch, result, latency_ms / 1000.0 AS seconds
               FROM paywatch.rfid_verifications
               WHERE ${window.counted('paywatch.rfid_verifications', 'verified_at')}) v
         GROUP BY branch, result`,
      );
      // One row per installed reader: a few per RFID branch, read whole.
      const installed = await db.query(
        `SELECT branch, reader, coalesce(last_seen_at > $2::timestamptz - make_interval(secs => $1::float8), false) AS up
         FROM paywatch.rfid_readers`,
        [options.rfidReaderTimeoutSeconds, window.now],
      );
      return () => {
        for (const row of verified.rows) {
          const branch = label(row.branch);
          const n = num(row.n);
          verifications.add([branch, label(row.result)], n);
          duration.add([branch], bucketValues(row, VERIFICATION_BUCKETS), n, num(row.seconds));
        }
        readerUp.replace(
          installed.rows.map((row) => ({ labels: [label(row.branch), label(row.reader)], value: row.up ? 1 : 0 })),
          { keepAtZero: false },
        );
        const perBranch = new Map<string, number>();
        for (const row of installed.rows) perBranch.set(label(row.branch), (perBranch.get(label(row.branch)) ?? 0) + 1);
        readers.replace(
          [...perBranch].map(([branch, n]) => ({ labels: [branch], value: n })),
          { keepAtZero: false },
        );
      };
    },
  };
}
