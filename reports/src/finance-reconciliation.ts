// finance-reconciliation: reconciliation status and exceptions across branches, revenue by
// channel, failures by reason. Fleet-wide, so only a person who sees every branch receives it.
import { horizontalBars } from './charts.ts';
import { byLabel, CHANNELS, label, REASONS, required, window, type ReportContext } from './context.ts';
import type { ReportDocument, Section } from './document.ts';
import { count, inr, inrShort, percent } from './format.ts';

export async function financeReconciliation(ctx: ReportContext): Promise<Pick<ReportDocument, 'sections' | 'notes'>> {
  const { client, period } = ctx;
  const T = period.end;
  const w = window(period);
  // Every query at once: the report waits for the slowest (the day-long increases over every
  // branch's counters) rather than for the sum of them.
  const [pending, overdue, exceptions, pendingBy, overdueBy, exceptionsBy, revenue, payments, failures] = await Promise.all([
    required(ctx, 'pending reconciliations', 'sum(reconciliation_pending)'),
    required(ctx, 'overdue reconciliations', 'sum(reconciliation_overdue)'),
    required(ctx, 'open reconciliation exceptions', 'sum(reconciliation_exceptions_open)'),
    client.instant('sum by (branch) (reconciliation_pending)', T),
    client.instant('sum by (branch) (reconciliation_overdue)', T),
    client.instant('sum by (branch) (reconciliation_exceptions_open)', T),
    client.instant(`sum by (channel) (increase(payment_amount_total[${w}]))`, T),
    client.instant(`sum by (channel, status) (increase(payments_total[${w}]))`, T),
    client.instant(`sum by (reason) (increase(payment_failures_total[${w}]))`, T),
  ]);

  const p = byLabel(pendingBy, 'branch');
  const o = byLabel(overdueBy, 'branch');
  const e = byLabel(exceptionsBy, 'branch');
  const branches = [...new Set([...p.keys(), ...o.keys(), ...e.keys()])];
  const attention = branches
    .map((branch) => ({ branch, pending: p.get(branch) ?? 0, overdue: o.get(branch) ?? 0, exceptions: e.get(branch) ?? 0 }))
    .filter((x) => x.overdue > 0 || x.exceptions > 0)
    .sort((x, y) => y.overdue - x.overdue || y.exceptions - x.exceptions || x.branch.localeCompare(y.branch));
  const shown = attention.slice(0, 25);

  const revenueBy = [...byLabel(revenue, 'channel')].sort((x, y) => y[1] - x[1]);
  const totalRevenue = revenueBy.reduce((s, [, v]) => s + v, 0);
  const statusBy = new Map<string, { success: number; failed: number }>();
  for (const s of payments) {
    const c = statusBy.get(s.labels.channel ?? '') ?? { success: 0, failed: 0 };
    if (s.labels.status === 'success') c.success += s.value;
    else c.failed += s.value;
    statusBy.set(s.labels.channel ?? '', c);
  }
  const reasonList = [...byLabel(failures, 'reason')].filter(([, v]) => Math.round(v) > 0).sort((x, y) => y[1] - x[1]);
  const totalFailures = reasonList.reduce((s, [, v]) => s + v, 0);

  const sections: Section[] = [
    {
      heading: 'Reconciliation status across branches',
      blocks: [
        {
          kind: 'tiles',
          tiles: [
            { label: 'Pending', value: count(pending), note: `across ${branches.length} branches` },
            {
              label: 'Overdue',
              value: count(overdue),
              note: `${attention.filter((x) => x.overdue > 0).length} branches`,
              status: overdue > 0 ? 'bad' : 'good',
            },
            {
              label: 'Open exceptions',
              value: count(exceptions),
              note: `${attention.filter((x) => x.exceptions > 0).length} branches`,
              status: exceptions > 0 ? 'warn' : 'good',
            },
            { label: 'Branches all clear', value: count(branches.length - attention.length), note: 'nothing overdue, no exception' },
          ],
        },
        {
          kind: 'table',
          title:
            attention.length > shown.length
              ? `Branches needing attention (${shown.length} of ${attention.length}, most overdue first)`
              : 'Branches needing attention',
          table: {
            columns: [
              { title: 'Branch' },
              { title: 'Overdue', numeric: true },
              { title: 'Open exceptions', numeric: true },
              { title: 'Pending', numeric: true },
            ],
            rows: shown.map((x) => [x.branch, count(x.overdue), count(x.exceptions), count(x.pending)]),
            empty: 'No branch has an overdue reconciliation or an open exception.',
          },
        },
      ],
    },
    {
      heading: 'Revenue by channel',
      blocks: [
        {
          kind: 'chart',
          title: `Successful payments in the period (₹), total ${inr(totalRevenue)}`,
          svg: horizontalBars({
            labels: revenueBy.map(([c]) => label(CHANNELS, c)),
            values: revenueBy.map(([, v]) => v),
            format: inrShort,
          }),
        },
        {
          kind: 'table',
          table: {
            columns: [
              { title: 'Channel' },
              { title: 'Revenue', numeric: true },
              { title: 'Share', numeric: true },
              { title: 'Successful', numeric: true },
              { title: 'Failed', numeric: true },
              { title: 'Success rate', numeric: true },
            ],
            rows: revenueBy.map(([c, v]) => {
              const s = statusBy.get(c) ?? { success: 0, failed: 0 };
              return [
                label(CHANNELS, c),
                inr(v),
                percent(totalRevenue > 0 ? v / totalRevenue : NaN, 1),
                count(s.success),
                count(s.failed),
                percent(s.success + s.failed > 0 ? s.success / (s.success + s.failed) : NaN, 1),
              ];
            }),
            empty: 'No successful payment in the period.',
          },
        },
      ],
    },
    {
      heading: 'Failures by reason',
      blocks: reasonList.length
        ? [
            {
              kind: 'chart',
              title: `Failed payments in the period, by reason (total ${count(totalFailures)})`,
              svg: horizontalBars({
                labels: reasonList.map(([r]) => label(REASONS, r)),
                values: reasonList.map(([, v]) => Math.round(v)),
                format: (v) => count(v),
                color: '#c4a000',
              }),
            },
            {
              kind: 'table',
              table: {
                columns: [{ title: 'Reason' }, { title: 'Failed payments', numeric: true }, { title: 'Share', numeric: true }],
                rows: reasonList.map(([r, v]) => [label(REASONS, r), count(v), percent(v / totalFailures, 1)]),
                empty: '',
              },
            },
          ]
        : [{ kind: 'text', text: 'No payment failed in the period.' }],
    },
  ];
  return {
    sections,
    notes: [
      "Revenue and failures are increases of payment_amount_total, payments_total and payment_failures_total over the period; reconciliation figures are the exporters' gauges at the period's end.",
    ],
  };
}
