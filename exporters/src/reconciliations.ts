// Branch reconciliations: pending, overdue (pending past due_at) and open exceptions, per branch.
import { RECONCILIATION_EXCEPTIONS_OPEN, RECONCILIATION_OVERDUE, RECONCILIATION_PENDING } from '@paywatch/contract';
import { gaugeFor } from './core/exposition.ts';
import { BRANCHES_VIEW, label, num, startingLabelSets, type Collector } from './core/collector.ts';

export function reconciliationsCollector(): Collector {
  const pending = gaugeFor(RECONCILIATION_PENDING);
  const overdue = gaugeFor(RECONCILIATION_OVERDUE);
  const exceptions = gaugeFor(RECONCILIATION_EXCEPTIONS_OPEN);

  return {
    name: 'reconciliations',
    requires: [{ view: 'paywatch.reconciliations', columns: ['branch', 'status', 'due_at', 'resolved_at'] }, BRANCHES_VIEW],
    families: [pending, overdue, exceptions],

    async poll(db, window) {
      // Only open reconciliations (resolved_at IS NULL: the schema's partial index): a pending
      // reconciliation is by definition not resolved, so the history of matched days is never read.
      const open = await db.query(
        `SELECT branch,
                count(*) FILTER (WHERE status = 'pending') AS pending,
                count(*) FILTER (WHERE status = 'pending' AND due_at < $1::timestamptz) AS overdue,
                count(*) FILTER (WHERE status = 'exception') AS exceptions
         FROM paywatch.reconciliations
         WHERE resolved_at IS NULL
         GROUP BY branch`,
        [window.now],
      );
      const branches = await startingLabelSets(db, window, 'branches');
      return () => {
        for (const family of [pending, overdue, exceptions]) for (const labels of branches) family.set(labels, 0);
        const rows = open.rows.map((row) => ({ branch: label(row.branch), row }));
        pending.replace(
          rows.map(({ branch, row }) => ({ labels: [branch], value: num(row.pending) })),
          { keepAtZero: true },
        );
        overdue.replace(
          rows.map(({ branch, row }) => ({ labels: [branch], value: num(row.overdue) })),
          { keepAtZero: true },
        );
        exceptions.replace(
          rows.map(({ branch, row }) => ({ labels: [branch], value: num(row.exceptions) })),
          { keepAtZero: true },
        );
      };
    },
  };
}
