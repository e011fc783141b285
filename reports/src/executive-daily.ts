// executive-daily: today's revenue against target so far, the last 30 days' revenue against
// target by day, success rate, availability, critical incidents, best and worst branches.
// Reads the fleet-wide recording rules (docs/metrics.md) and the per-branch collection gauges.
import { kpi } from '@paywatch/kpi';
import { barsAgainstTarget } from './charts.ts';
import { byLabel, required, window, type ReportContext } from './context.ts';
import type { ReportDocument, Section, Status } from './document.ts';
import { inr, inrShort, istDayMonth, istTime, percent } from './format.ts';

const DAY = 86400;

function status(value: number, k: { direction: string; warning: number; critical?: number }): Status {
  if (!Number.isFinite(value)) return 'none';
  const worse = (a: number, b: number) => (k.direction === 'higher-is-better' ? a < b : a > b);
  if (k.critical !== undefined && worse(value, k.critical)) return 'bad';
  if (worse(value, k.warning)) return 'warn';
  return 'good';
}

export async function executiveDaily(ctx: ReportContext): Promise<Pick<ReportDocument, 'sections' | 'notes'>> {
  const { client, period } = ctx;
  const T = period.end;
  const w = window(period);
  const success = kpi('payment_success_rate');
  const availability = kpi('availability');

  // 30 days by day: each complete day's revenue is the 24 h increase read at its IST midnight;
  // its target the highest daily target seen that day. The report's own day is "so far".
  const firstEnd = period.start - 29 * DAY + DAY; // end of the first of the 30 days
  const lastCompleteEnd = period.start; // end of the day before the report's day
  // Every query at once: the report waits for the slowest rather than for the sum of them.
  const [
    collected,
    target,
    successNow,
    successAvg,
    availabilityAvg,
    revenue24h,
    revenueDays,
    targetDays,
    incidents,
    branchCollected,
    branchTarget,
  ] = await Promise.all([
    required(ctx, "today's collections", 'paywatch:collected_today_inr:sum'),
    required(ctx, "today's collection target", 'paywatch:daily_target_inr:sum'),
    client.scalar(success.series, T),
    client.scalar(`avg_over_time(${success.series}[${w}])`, T),
    client.scalar(`avg_over_time(${availability.series}[${w}])`, T),
    client.scalar('paywatch:payment_amount_inr:increase1d', T),
    client.range('last_over_time(paywatch:payment_amount_inr:increase1d[15m])', firstEnd, lastCompleteEnd, DAY),
    client.range('max_over_time(paywatch:daily_target_inr:sum[1d])', firstEnd - 1, lastCompleteEnd - 1, DAY),
    // Critical incidents: every critical alert that fired in the period, when, and whether it still does.
    client.range('max by (alertname, branch) (ALERTS{alertstate="firing", severity="critical"})', period.start, T, 60),
    // Best and worst branches by today's collections against their own target.
    client.instant('sum by (branch) (branch_collected_today_inr)', T),
    client.instant('sum by (branch) (branch_daily_target_inr)', T),
  ]);
  const revenueAt = new Map(revenueDays.flatMap((s) => s.points.map(([t, v]) => [t, v] as const)));
  const targetAt = new Map(targetDays.flatMap((s) => s.points.map(([t, v]) => [t + 1, v] as const)));
  const days: Array<{ label: string; revenue: number | null; target: number | null }> = [];
  for (let end = firstEnd; end <= lastCompleteEnd; end += DAY) {
    days.push({ label: istDayMonth(end - DAY), revenue: revenueAt.get(end) ?? null, target: targetAt.get(end) ?? null });
  }
  days.push({ label: `${istDayMonth(period.start)}${period.complete ? '' : '*'}`, revenue: collected, target });
  const withTarget = days.filter((d) => d.target !== null && d.revenue !== null);
  const met = withTarget.filter((d) => d.revenue! >= d.target!).length;

  const incidentRows = incidents
    .map((s) => {
      const first = s.points[0]?.[0] ?? T;
      const last = s.points[s.points.length - 1]?.[0] ?? T;
      return {
        first,
        row: [
          s.labels.alertname ?? '?',
          s.labels.branch ?? 'fleet-wide',
          istTime(first),
          T - last <= 120 ? 'still firing' : istTime(last),
          `${Math.max(1, Math.round(s.points.length))} min`,
        ],
      };
    })
    .sort((a, b) => a.first - b.first)
    .map((r) => r.row);

  const collectedBy = byLabel(branchCollected, 'branch');
  const ranked = [...byLabel(branchTarget, 'branch')]
    .filter(([, t]) => t > 0)
    .map(([branch, t]) => ({ branch, target: t, collected: collectedBy.get(branch) ?? 0, ratio: (collectedBy.get(branch) ?? 0) / t }))
    .sort((a, b) => b.ratio - a.ratio || a.branch.localeCompare(b.branch));
  const n = Math.min(5, Math.floor(ranked.length / 2));
  const rows = (list: typeof ranked) => list.map((b) => [b.branch, inr(b.collected), inr(b.target), percent(b.ratio, 1)]);
  const branchColumns = [
    { title: 'Branch' },
    { title: 'Collected', numeric: true },
    { title: 'Target', numeric: true },
    { title: 'Of target', numeric: true },
  ];

  const sections: Section[] = [
    {
      heading: 'Today at a glance',
      blocks: [
        {
          kind: 'tiles',
          tiles: [
            {
              label: 'Revenue against target',
              value: inr(collected),
              note: `target ${inr(target)}: ${percent(collected / target, 1)}${period.complete ? '' : ' so far'}`,
              status: collected >= target ? 'good' : collected >= 0.8 * target ? 'warn' : 'bad',
            },
            { label: 'Revenue, last 24 h', value: revenue24h === undefined ? '—' : inr(revenue24h), note: `to ${istTime(T)} IST` },
            {
              label: 'Payment success rate',
              value: percent(successAvg ?? NaN),
              note: `real-time channels, period average; now ${percent(successNow ?? NaN)}; target ${percent(success.target, 0)}`,
              status: status(successAvg ?? NaN, success),
            },
            {
              label: 'Availability',
              value: percent(availabilityAvg ?? NaN, 2),
              note: `health probes, period average; target ${percent(availability.target, 1)}`,
              status: status(availabilityAvg ?? NaN, availability),
            },
          ],
        },
      ],
    },
    {
      heading: 'Revenue against target, last 30 days',
      blocks: [
        {
          kind: 'chart',
          title: 'Revenue by day (₹) and the day’s collection target',
          svg: barsAgainstTarget({
            categories: days.map((d) => d.label),
            bars: days.map((d) => d.revenue),
            target: days.map((d) => d.target),
            barName: 'Revenue',
            targetName: 'Target',
            format: inrShort,
          }),
          caption: `${met} of ${withTarget.length} days with a recorded target met it. Days without a target line had no target recorded.${period.complete ? '' : ' * today so far.'}`,
        },
      ],
    },
    {
      heading: 'Critical incidents in the period',
      blocks: [
        {
          kind: 'table',
          table: {
            columns: [
              { title: 'Alert' },
              { title: 'Where' },
              { title: 'First firing (IST)' },
              { title: 'Until (IST)' },
              { title: 'Firing for', numeric: true },
            ],
            rows: incidentRows,
            empty: 'No critical alert fired in the period.',
          },
        },
      ],
    },
    {
      heading: 'Best and worst branches today (collections against their target)',
      blocks: [
        {
          kind: 'table',
          title: `Best ${n}`,
          table: { columns: branchColumns, rows: rows(ranked.slice(0, n)), empty: 'No branch has a target today.' },
        },
        {
          kind: 'table',
          title: `Worst ${n}`,
          table: { columns: branchColumns, rows: rows(ranked.slice(ranked.length - n).reverse()), empty: 'No branch has a target today.' },
        },
        { kind: 'text', text: `${ranked.filter((b) => b.ratio >= 1).length} of ${ranked.length} branches have met today's target.` },
      ],
    },
  ];
  return {
    sections,
    notes: [
      `Revenue: successful payments in ₹ (paywatch:collected_today_inr:sum today, paywatch:payment_amount_inr:increase1d per past day). Success rate and availability are ${success.series} and ${availability.series}; KPI targets from kpi/src/spec.ts.`,
    ],
  };
}
