// Mandate registrations: customers authorising auto-debit by UPI AutoPay or NACH, counted when the
// bank or NPCI gives its final answer (success or failed), by branch and channel.
import { MANDATE_REGISTRATIONS_TOTAL } from '@paywatch/contract';
import { counterFor } from './core/exposition.ts';
import { label, num, type Collector } from './core/collector.ts';

export function mandatesCollector(): Collector {
  const registrations = counterFor(MANDATE_REGISTRATIONS_TOTAL);

  return {
    name: 'mandate registrations',
    requires: [{ view: 'paywatch.mandate_registrations', columns: ['branch', 'channel', 'status', 'completed_at'] }],
    counts: [{ view: 'paywatch.mandate_registrations', time: 'completed_at' }],
    families: [registrations],

    async poll(db, window) {
      // A registration is counted once, when answered (in commit order, or by completed_at).
      const answered = await db.query(
        `SELECT branch, channel, status, count(*) AS n
         FROM paywatch.mandate_registrations
         WHERE ${window.counted('paywatch.mandate_registrations', 'completed_at')} AND completed_at IS NOT NULL AND status IN ('success', 'failed')
         GROUP BY branch, channel, status`,
      );
      return () => {
        for (const row of answered.rows) registrations.add([label(row.branch), label(row.channel), label(row.status)], num(row.n));
      };
    },
  };
}
