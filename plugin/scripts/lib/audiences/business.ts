// The business dashboard, for finance and business leads: payment volumes, channels, failures,
// collections against target, all branches.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { attentionStat, bars, kpiStat, pie, plainStat, row, series, tablePanel } from '../panels';
import { UIDS, base, PER_MINUTE } from './common';
import { withKpiRows } from '../kpi-rows';

export function business(): dashboard.Dashboard {
  const top = base(
    UIDS.business,
    'Paywatch · Business metrics',
    'Success rate, volume by channel, daily revenue, failure reasons, reconciliation and exceptions, all branches.',
    '1m',
    'now-24h',
    ['finance']
  )
    .withRow(row('Now'))
    .withPanel(kpiStat('payment_success_rate', { span: 5 }))
    .withPanel(kpiStat('payment_processing_time', { span: 5 }))
    .withPanel(kpiStat('payment_failures_per_hour', { span: 5 }))
    .withPanel(
      plainStat({
        title: 'Payments per minute',
        description: 'Payments reaching a final status per minute, all channels (last 5 min).',
        unit: 'short',
        decimals: 1,
        queries: [{ expr: `sum(paywatch:payments:rate5m) * ${PER_MINUTE}`, legend: 'Payments / min', instant: true }],
        span: 4,
      })
    )
    .withPanel(
      plainStat({
        title: 'Revenue today',
        description: 'INR of successful payments completed today (IST business day), all branches.',
        unit: 'currencyINR',
        queries: [{ expr: 'sum(branch_collected_today_inr)', legend: 'Revenue today', instant: true }],
        span: 5,
      })
    )
    .withRow(row('As first reported and settled (T+1)'))
    .withPanel(
      plainStat({
        title: 'Success rate, as first reported (yesterday)',
        description:
          'Share of the payments of the day before the last 24 h that succeeded, as first reported: the status each payment completed with (payments_total), all channels.',
        unit: 'percentunit',
        decimals: 2,
        queries: [
          {
            expr: 'paywatch:payment_first_reported_success_ratio:increase1d',
            legend: 'As first reported',
            instant: true,
          },
        ],
        span: 8,
      })
    )
    .withPanel(
      plainStat({
        title: 'Success rate, settled (yesterday, T+1)',
        description:
          'The same payments settled by T+1: their successes net of the reversals of the last 24 h (NACH and AutoPay returns, chargebacks, gateway reversals, refunds: payment_reversals_total).',
        unit: 'percentunit',
        decimals: 2,
        queries: [{ expr: 'paywatch:payment_settled_success_ratio:increase1d', legend: 'Settled', instant: true }],
        span: 8,
      })
    )
    .withPanel(
      bars({
        title: 'Reversals by reason (last 24 h)',
        description: 'Payments reported successful and reversed afterwards, by reason, last 24 hours.',
        unit: 'short',
        queries: [{ expr: 'reason:payment_reversals:increase1d', legend: '{{reason}}', instant: true }],
        span: 8,
      })
    )
    .withRow(row('Channels'))
    .withPanel(
      series({
        title: 'Success rate by channel',
        description: 'Payment success rate per channel (cash, UPI, AutoPay, QR, BBPS, NACH, card, net banking).',
        unit: 'percentunit',
        kpi: 'payment_success_rate',
        queries: [{ expr: 'channel:payment_success_ratio:rate5m', legend: '{{channel}}' }],
      })
    )
    .withPanel(
      series({
        title: 'Volume by channel',
        description: 'Payments per minute reaching a final status, by channel, stacked.',
        unit: 'short',
        stacked: true,
        queries: [{ expr: `sum by (channel) (channel:payments:rate5m) * ${PER_MINUTE}`, legend: '{{channel}}' }],
      })
    )
    .withRow(row('Revenue and failures'))
    .withPanel(
      series({
        title: 'Daily revenue',
        description: 'Successful payment value per day (average rate over each day × 86 400 s). Use 7 or 30 days.',
        unit: 'currencyINR',
        bars: true,
        queries: [
          {
            expr: 'avg_over_time(paywatch:payment_amount_inr:rate5m[1d]) * 86400',
            legend: 'INR per day',
            interval: '1d',
          },
        ],
      })
    )
    .withPanel(
      bars({
        title: 'Failure reasons (last hour)',
        description:
          'Failed payments in the last hour by reason: insufficient funds, mandate error, gateway timeout, …',
        unit: 'short',
        queries: [{ expr: 'sort_desc(reason:payment_failures:increase1h)', legend: '{{reason}}' }],
      })
    )
    .withPanel(
      series({
        title: 'Failures per hour by channel',
        description: 'Failed payments per hour by channel.',
        unit: 'short',
        queries: [
          { expr: 'sum by (channel) (channel:payments:rate5m{status="failed"}) * 3600', legend: '{{channel}}' },
        ],
        span: 12,
      })
    )
    .withPanel(
      pie({
        title: 'Revenue by channel',
        description: 'Share of successful payment value by channel over the selected range.',
        unit: 'currencyINR',
        queries: [
          {
            expr: 'sum by (channel) (avg_over_time(channel:payment_amount_inr:rate5m[$__range]))',
            legend: '{{channel}}',
          },
        ],
        span: 12,
      })
    );
  // The rows of the KPIs that declare this dashboard in the contract (kpi-rows.ts), e.g. mandate registrations.
  return withKpiRows(top, 'business')
    .withRow(row('Reconciliation and exceptions'))
    .withPanel(
      plainStat({
        title: 'Reconciliations pending',
        description: 'Branch reconciliations not yet completed, all branches.',
        unit: 'short',
        queries: [{ expr: 'sum(reconciliation_pending)', legend: 'Pending', instant: true }],
      })
    )
    .withPanel(
      attentionStat({
        title: 'Reconciliations overdue',
        description: 'Pending reconciliations past their due time, all branches. Green when none.',
        unit: 'short',
        queries: [{ expr: 'sum(reconciliation_overdue)', legend: 'Overdue', instant: true }],
      })
    )
    .withPanel(
      attentionStat({
        title: 'Open exceptions',
        description: 'Reconciliations in exception not yet resolved, all branches. Green when none.',
        unit: 'short',
        queries: [{ expr: 'sum(reconciliation_exceptions_open)', legend: 'Exceptions', instant: true }],
      })
    )
    .withPanel(
      tablePanel({
        title: 'Branches with overdue reconciliations or exceptions',
        description: 'The 20 branches with the most overdue reconciliations, with their open exceptions.',
        queries: [
          { expr: 'topk(20, reconciliation_overdue > 0)', legend: '{{branch}}' },
          {
            expr: 'reconciliation_exceptions_open and on (branch) topk(20, reconciliation_overdue > 0)',
            legend: '{{branch}}',
          },
        ],
        columns: { branch: 'Branch', 'Value #A': 'Overdue', 'Value #B': 'Open exceptions' },
      })
    )
    .build();
}
