// branch-daily, for a branch manager, one per branch: collections against target, field
// officers' performance, pending and overdue reconciliations, exceptions, failed LMS postings,
// failure reasons. Every query names the branch; the scope proxy adds the manager's own scope on
// top, so a branch outside it can only ever read as nothing (and is refused before that).
import { horizontalBars, lineAgainstTarget } from './charts.ts';
import { byLabel, CHANNELS, label, REASONS, required, window, type ReportContext } from './context.ts';
import type { ReportDocument, Section } from './document.ts';
import { count, inr, inrShort, istTime, percent } from './format.ts';

export async function branchDaily(ctx: ReportContext, branch: string): Promise<Pick<ReportDocument, 'sections' | 'notes'>> {
  const { client, period } = ctx;
  const T = period.end;
  const w = window(period);
  const b = `branch="${branch}"`;

  const step = Math.max(300, Math.ceil((T - period.start) / 96 / 300) * 300);
  // Every query at once: the proxy and Prometheus answer them side by side, so the report waits
  // for the slowest one rather than for the sum of them.
  const [
    collected,
    target,
    pending,
    overdue,
    exceptions,
    through,
    payments,
    amounts,
    reasons,
    officerCounts,
    officerAmounts,
    unconfirmed,
    lmsPostings,
    lmsQueue,
  ] = await Promise.all([
    required(ctx, `${branch}'s collections today`, `sum(branch_collected_today_inr{${b}})`),
    required(ctx, `${branch}'s collection target`, `sum(branch_daily_target_inr{${b}})`),
    required(ctx, `${branch}'s pending reconciliations`, `sum(reconciliation_pending{${b}})`),
    required(ctx, `${branch}'s overdue reconciliations`, `sum(reconciliation_overdue{${b}})`),
    required(ctx, `${branch}'s open reconciliation exceptions`, `sum(reconciliation_exceptions_open{${b}})`),
    client.range(`sum(branch_collected_today_inr{${b}})`, period.start + step, T, step),
    client.instant(`sum by (channel, status) (increase(payments_total{${b}}[${w}]))`, T),
    client.instant(`sum by (channel) (increase(payment_amount_total{${b}}[${w}]))`, T),
    client.instant(`sum by (reason) (increase(payment_failures_total{${b}}[${w}]))`, T),
    client.instant(`sum by (officer, otp) (increase(field_collections_total{${b}}[${w}]))`, T),
    client.instant(`sum by (officer) (increase(field_collection_amount_total{${b}}[${w}]))`, T),
    client.instant(`sum by (officer) (field_collections_unconfirmed{${b}})`, T),
    client.instant(`sum by (outcome) (increase(lms_postings_total{${b}}[${w}]))`, T),
    client.scalar(`sum(lms_posting_queue_depth_by_branch{${b}})`, T),
  ]);

  // Collections through the day against the day's target.
  // The whole day so far on the axis, so hours without data show as a gap, not as a shorter day.
  const seen = new Map((through[0]?.points ?? []).map(([t, v]) => [t, v] as const));
  const times: number[] = [];
  for (let t = period.start + step; t <= T; t += step) times.push(t);
  const chart = lineAgainstTarget({
    times: times.map((t) => istTime(t)),
    values: times.map((t) => seen.get(t) ?? null),
    target: times.map(() => target),
    valueName: 'Collected today',
    targetName: `Target ${inrShort(target)}`,
    format: inrShort,
  });

  // Payments by channel.
  const channels = new Map<string, { success: number; failed: number }>();
  for (const s of payments) {
    const c = channels.get(s.labels.channel ?? '') ?? { success: 0, failed: 0 };
    if (s.labels.status === 'success') c.success += s.value;
    else c.failed += s.value;
    channels.set(s.labels.channel ?? '', c);
  }
  const amountBy = byLabel(amounts, 'channel');
  const channelRows = [...channels]
    .sort((x, y) => (amountBy.get(y[0]) ?? 0) - (amountBy.get(x[0]) ?? 0) || x[0].localeCompare(y[0]))
    .map(([channel, c]) => [
      label(CHANNELS, channel),
      count(c.success),
      count(c.failed),
      percent(c.success + c.failed > 0 ? c.success / (c.success + c.failed) : NaN, 1),
      inr(amountBy.get(channel) ?? 0),
    ]);
  const totalSuccess = [...channels.values()].reduce((s, c) => s + c.success, 0);
  const totalFailed = [...channels.values()].reduce((s, c) => s + c.failed, 0);

  // Field officers.
  const officers = new Map<string, { verified: number; failed: number; expired: number }>();
  for (const s of officerCounts) {
    const o = officers.get(s.labels.officer ?? '') ?? { verified: 0, failed: 0, expired: 0 };
    if (s.labels.otp === 'verified' || s.labels.otp === 'failed' || s.labels.otp === 'expired') o[s.labels.otp] += s.value;
    officers.set(s.labels.officer ?? '', o);
  }
  const officerAmount = byLabel(officerAmounts, 'officer');
  const officerUnconfirmed = byLabel(unconfirmed, 'officer');
  for (const name of [...officerAmount.keys(), ...officerUnconfirmed.keys()])
    if (!officers.has(name)) officers.set(name, { verified: 0, failed: 0, expired: 0 });
  const officerList = [...officers]
    .map(([officer, o]) => ({ officer, ...o, amount: officerAmount.get(officer) ?? 0, unconfirmed: officerUnconfirmed.get(officer) ?? 0 }))
    .sort((x, y) => y.amount - x.amount || x.officer.localeCompare(y.officer));
  const officerRows = officerList.map((o) => {
    const attempts = o.verified + o.failed + o.expired;
    return [
      o.officer,
      inr(o.amount),
      count(o.verified),
      count(o.failed + o.expired),
      percent(attempts > 0 ? o.verified / attempts : NaN, 1),
      count(o.unconfirmed),
    ];
  });

  // Failures by reason.
  const reasonList = [...byLabel(reasons, 'reason')].filter(([, v]) => Math.round(v) > 0).sort((x, y) => y[1] - x[1]);
  const lms = byLabel(lmsPostings, 'outcome');
  const lmsFailed = lms.get('failed') ?? 0;
  const lmsPosted = lms.get('posted') ?? 0;

  const sections: Section[] = [
    {
      heading: 'Collections against target',
      blocks: [
        {
          kind: 'tiles',
          tiles: [
            {
              label: 'Collected today',
              value: inr(collected),
              note: `${percent(collected / target, 1)} of target${period.complete ? '' : ' so far'}`,
              status: target <= 0 ? 'none' : collected >= target ? 'good' : collected >= 0.8 * target ? 'warn' : 'bad',
            },
            { label: 'Day target', value: inr(target), note: collected >= target ? 'met' : `${inr(target - collected)} to go` },
            {
              label: 'Payments',
              value: count(totalSuccess + totalFailed),
              note: `${count(totalSuccess)} successful, ${count(totalFailed)} failed`,
            },
            {
              label: 'Success rate',
              value: percent(totalSuccess + totalFailed > 0 ? totalSuccess / (totalSuccess + totalFailed) : NaN, 1),
              note: 'all channels, the period',
            },
          ],
        },
        { kind: 'chart', title: 'Collected through the day (₹) against the day’s target', svg: chart },
        {
          kind: 'table',
          title: 'By channel',
          table: {
            columns: [
              { title: 'Channel' },
              { title: 'Successful', numeric: true },
              { title: 'Failed', numeric: true },
              { title: 'Success rate', numeric: true },
              { title: 'Amount', numeric: true },
            ],
            rows: channelRows,
            empty: 'No payments reached a final status in the period.',
          },
        },
      ],
    },
    {
      heading: 'Reconciliations, exceptions and LMS postings',
      blocks: [
        {
          kind: 'tiles',
          tiles: [
            { label: 'Pending reconciliations', value: count(pending), status: 'none' },
            {
              label: 'Overdue reconciliations',
              value: count(overdue),
              note: 'pending past their due time',
              status: overdue > 0 ? 'bad' : 'good',
            },
            {
              label: 'Open exceptions',
              value: count(exceptions),
              note: 'reconciliations in exception',
              status: exceptions > 0 ? 'warn' : 'good',
            },
            {
              label: 'Failed LMS postings',
              value: count(lmsFailed),
              note: `${count(lmsPosted)} posted; ${count(lmsQueue ?? 0)} waiting now`,
              status: lmsFailed > 0 ? 'warn' : 'good',
            },
          ],
        },
      ],
    },
    {
      heading: 'Field officers',
      blocks: [
        {
          kind: 'table',
          table: {
            columns: [
              { title: 'Officer' },
              { title: 'Collected (OTP verified)', numeric: true },
              { title: 'Verified', numeric: true },
              { title: 'OTP failed/expired', numeric: true },
              { title: 'OTP success', numeric: true },
              { title: 'Awaiting branch confirmation', numeric: true },
            ],
            rows: officerRows,
            empty: 'No field collections in the period.',
          },
        },
      ],
    },
    {
      heading: 'Payment failures by reason',
      blocks: reasonList.length
        ? [
            {
              kind: 'chart',
              title: 'Failed payments in the period, by reason',
              svg: horizontalBars({
                labels: reasonList.map(([r]) => label(REASONS, r)),
                values: reasonList.map(([, v]) => Math.round(v)),
                format: (v) => count(v),
                color: '#c4a000',
              }),
            },
          ]
        : [{ kind: 'text', text: 'No payment failed in the period.' }],
    },
  ];
  return {
    sections,
    notes: [
      `Counts are increases of the exporters' counters over the period (Prometheus increase(), so they can be fractional before rounding); reconciliation and queue figures are as of ${istTime(T)} IST.`,
    ],
  };
}
