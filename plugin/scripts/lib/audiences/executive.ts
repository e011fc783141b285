// The executive dashboard, for the executive team (CEO, CFO): today's revenue against target,
// payment success, availability and critical alerts, all branches.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { kpi } from '../../../../contract/src/kpis';
import { attentionStat, kpiStat, pie, plainStat, row, series, sloBudgetStats } from '../panels';
import { UIDS, linkTo, base } from './common';

export function executive(): dashboard.Dashboard {
  const quick = (display: string, from: string) =>
    new dashboard.TimeOptionBuilder().display(display).from(from).to('now');
  const d = base(
    UIDS.executive,
    'Paywatch · Executive overview',
    "Today's revenue against target, payment success, availability and critical alerts, all branches.",
    '5m',
    'now-24h',
    ['executive']
  )
    .timepicker(
      new dashboard.TimePickerBuilder()
        .refreshIntervals(['5m', '15m', '1h'])
        .quickRanges([
          quick('Last 24 hours', 'now-24h'),
          quick('Last 7 days', 'now-7d'),
          quick('Last 30 days', 'now-30d'),
        ])
    )
    .link(linkTo('Business metrics', UIDS.business, 'Success by channel, failure reasons, reconciliation'))
    .withRow(row('Today'))
    .withPanel(
      plainStat({
        title: 'Revenue today',
        description: 'INR of successful payments completed today (IST business day), all branches.',
        unit: 'currencyINR',
        queries: [{ expr: 'sum(branch_collected_today_inr)', legend: 'Revenue today', instant: true }],
        span: 6,
        links: [linkTo('Business metrics', UIDS.business, 'Revenue trend and channels')],
      })
    )
    .withPanel(
      plainStat({
        title: 'Target today',
        description: "Sum of every branch's collection target for today.",
        unit: 'currencyINR',
        queries: [{ expr: 'sum(branch_daily_target_inr)', legend: 'Target today', instant: true }],
        span: 6,
      })
    )
    .withPanel(
      plainStat({
        title: 'Revenue vs target',
        description: "Today's revenue as a share of today's target, all branches (100% = target met).",
        unit: 'percentunit',
        decimals: 1,
        queries: [
          {
            expr: 'sum(branch_collected_today_inr) / sum(branch_daily_target_inr)',
            legend: 'Of target',
            instant: true,
          },
        ],
        span: 6,
      })
    )
    .withPanel(
      attentionStat({
        title: 'Active critical alerts',
        description: 'Critical alerts firing now (each pages the on-call). Green when none.',
        unit: 'short',
        queries: [
          {
            expr: 'count(ALERTS{alertstate="firing",severity="critical"}) or vector(0)',
            legend: 'Critical alerts',
            instant: true,
          },
        ],
        span: 6,
      })
    )
    .withPanel(kpiStat('collections_on_track', { span: 24, height: 4 }))
    .withRow(row('Service level'))
    .withPanel(kpiStat('payment_success_rate', { span: 8 }))
    .withPanel(kpiStat('availability', { span: 8 }))
    .withPanel(kpiStat('payment_failures_per_hour', { span: 8 }))
    .withRow(row('Error budgets (30 days)'));
  for (const panel of sloBudgetStats(6)) d.withPanel(panel);
  return d
    .withPanel(
      series({
        title: 'Payment success rate',
        description:
          'Real-time payment success rate (UPI, QR, BBPS, card, net banking) over the selected range; bands are the KPI thresholds.',
        unit: 'percentunit',
        kpi: 'payment_success_rate',
        // The KPI's own series, as the tile reads it: tile and chart can never disagree in colour.
        queries: [{ expr: kpi('payment_success_rate').series, legend: 'Success rate' }],
        span: 12,
      })
    )
    .withPanel(
      series({
        title: 'Revenue per hour',
        description: 'Successful payment value per hour, all branches and channels.',
        unit: 'currencyINR',
        queries: [{ expr: 'paywatch:payment_amount_inr:rate5m * 3600', legend: 'INR per hour' }],
        span: 12,
      })
    )
    .withPanel(
      series({
        title: 'System availability',
        description: 'Share of health probes (payments API, LMS, gateways) succeeding; bands are the KPI thresholds.',
        unit: 'percentunit',
        kpi: 'availability',
        queries: [{ expr: 'paywatch:availability:ratio_avg5m', legend: 'Availability' }],
        span: 12,
      })
    )
    .withPanel(
      pie({
        title: 'Revenue by channel',
        description: 'Share of successful payment value by channel over the selected range (average INR per second).',
        unit: 'currencyINR',
        queries: [
          {
            expr: 'sum by (channel) (avg_over_time(channel:payment_amount_inr:rate5m[$__range]))',
            legend: '{{channel}}',
          },
        ],
        span: 12,
      })
    )
    .build();
}
