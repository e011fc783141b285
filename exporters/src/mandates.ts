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
    families: [registrations],

    async poll(db, window) {
      // By the completed_at index, in the window: a registration is counted once, when answered.
      const answered = await db.query(
        `SELECT branch, channel, status, count(*) AS n
         FROM paywatch.mandate_registrations
         WHERE completed_at > $1::timestamptz AND completed_at <= $2::timestamptz AND status IN ('success', 'failed')
         GROUP BY branch, channel, status`,
        [window.from, window.to],
      );
      return () => {
        for (const row of answered.rows) registrations.add([label(row.branch), label(row.channel), label(row.status)], num(row.n));
      };
    },
  };
}
