// LMS postings: the outbox of receipts waiting for the Loan Management System, postings by outcome,
// how old the oldest waiting one is, and whether the LMS answers its health check.
import {
  LMS_POSTINGS_TOTAL,
  LMS_POSTING_OLDEST_PENDING_SECONDS,
  LMS_POSTING_QUEUE_DEPTH,
  LMS_POSTING_QUEUE_DEPTH_BY_BRANCH,
  LMS_UP,
} from '@paywatch/contract';
import { counterFor, gaugeFor } from './core/exposition.ts';
import { BRANCHES_VIEW, label, num, startingLabelSets, type Collector } from './core/collector.ts';

const PROBE_TIMEOUT_MS = 2000;

async function probe(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.arrayBuffer().catch(() => undefined);
    return response.ok;
  } catch {
    return false;
  }
}

export function postingsCollector(options: { lmsHealthUrl?: string }): Collector {
  const depth = gaugeFor(LMS_POSTING_QUEUE_DEPTH);
  const depthByBranch = gaugeFor(LMS_POSTING_QUEUE_DEPTH_BY_BRANCH);
  const postings = counterFor(LMS_POSTINGS_TOTAL);
  const oldest = gaugeFor(LMS_POSTING_OLDEST_PENDING_SECONDS);
  const up = gaugeFor(LMS_UP);

  return {
    name: 'lms postings',
    requires: [{ view: 'paywatch.lms_postings', columns: ['branch', 'status', 'enqueued_at', 'finished_at'] }, BRANCHES_VIEW],
    counts: [{ view: 'paywatch.lms_postings', time: 'finished_at' }],
    families: [depth, depthByBranch, postings, oldest, up],

    async inspect(_db, log) {
      if (!options.lmsHealthUrl) {
        // Without a health endpoint there is nothing to probe: lms_up says what the configuration
        // says (1, assumed up) and the queue-depth and oldest-pending metrics carry LMS trouble.
        log(
          'lms exporter: LMS_HEALTH_URL is not set, so lms_up is not probed and reports 1 (assumed up); set LMS_HEALTH_URL (--lms-health-url) to the LMS health endpoint to detect LMS outages',
        );
      }
    },

    async poll(db, window) {
      const reachable = options.lmsHealthUrl ? probe(options.lmsHealthUrl) : Promise.resolve(true);
      const finished = await db.query(
        `SELECT branch, status, count(*) AS n
         FROM paywatch.lms_postings
         WHERE ${window.counted('paywatch.lms_postings', 'finished_at')} AND finished_at IS NOT NULL AND status IN ('posted', 'failed')
         GROUP BY branch, status`,
      );
      // The queue itself, by the partial index on pending postings: its cost is the queue's length.
      const queue = await db.query(
        `SELECT branch, count(*) AS n, extract(epoch FROM $1::timestamptz - min(enqueued_at))::float8 AS oldest
         FROM paywatch.lms_postings WHERE status = 'pending' GROUP BY branch`,
        [window.now],
      );
      const branches = await startingLabelSets(db, window, 'branches');
      const lmsUp = await reachable;
      return () => {
        for (const labels of branches) depthByBranch.set(labels, 0);
        for (const row of finished.rows) postings.add([label(row.branch), label(row.status)], num(row.n));
        depthByBranch.replace(
          queue.rows.map((row) => ({ labels: [label(row.branch)], value: num(row.n) })),
          { keepAtZero: true },
        );
        depth.set(
          [],
          queue.rows.reduce((total, row) => total + num(row.n), 0),
        );
        oldest.set([], Math.max(0, ...queue.rows.map((row) => num(row.oldest))));
        up.set([], lmsUp ? 1 : 0);
      };
    },
  };
}
