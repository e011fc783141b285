// The branch dashboard, for branch managers and cashiers: one branch (or the manager's branches) in
// the $branch variable.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { attentionStat, bars, kpiStat, pie, plainStat, row, series, tablePanel } from '../panels';
import { UIDS, labelValuesVariable, base } from './common';

const B = '{branch=~"$branch"}';
const b = (extra: string) => `{branch=~"$branch",${extra}}`;

export function branch(): dashboard.Dashboard {
  return base(
    UIDS.branch,
    'Paywatch · Branch operations',
    'Collections against the daily target, field officers, reconciliation, exceptions, channels and LMS postings for your branch(es).',
    '1m',
    'now-24h',
    ['branch']
  )
    .withVariable(
      labelValuesVariable(
        'branch',
        'Branch',
        'label_values(branch_daily_target_inr, branch)',
        'Branches you may see. The list comes from the scope proxy, so it only ever holds your own branches.',
        true
      )
    )
    .withRow(row('Collections today'))
    .withPanel(
      plainStat({
        title: 'Collected today',
        description: 'INR of successful payments completed today (IST business day) in the selected branch(es).',
        unit: 'currencyINR',
        queries: [{ expr: `sum(branch_collected_today_inr${B})`, legend: 'Collected', instant: true }],
        span: 6,
      })
    )
    .withPanel(
      plainStat({
        title: 'Daily target',
        description: "Today's collection target of the selected branch(es).",
        unit: 'currencyINR',
        queries: [{ expr: `sum(branch_daily_target_inr${B})`, legend: 'Target', instant: true }],
        span: 6,
      })
    )
    .withPanel(
      plainStat({
        title: 'Collections vs target',
        description: "Collected today as a share of today's target (100% = target met).",
        unit: 'percentunit',
        decimals: 1,
        queries: [
          {
            expr: `sum(branch_collected_today_inr${B}) / sum(branch_daily_target_inr${B})`,
            legend: 'Of target',
            instant: true,
          },
        ],
        span: 6,
      })
    )
    .withPanel(
      kpiStat('payment_success_rate', {
        title: 'Payment success rate',
        description: 'Share of payments in the selected branch(es) that succeeded (last 5 min).',
        expr: `sum(branch:payments:rate5m${b('status="success"')}) / sum(branch:payments:rate5m${B})`,
        span: 6,
      })
    )
    .withPanel(
      series({
        title: 'Collections vs target through the day',
        description: "Collected today / today's target per branch; resets at the start of the IST business day.",
        unit: 'percentunit',
        queries: [{ expr: `branch:collections_vs_target:ratio${B}`, legend: '{{branch}}' }],
        span: 12,
      })
    )
    .withPanel(
      pie({
        title: 'Payment method breakdown',
        description: 'Successful payments by channel in the selected branch(es) (last 5 min rate).',
        unit: 'short',
        queries: [
          { expr: `sum by (channel) (branch_channel:payments:rate5m${b('status="success"')})`, legend: '{{channel}}' },
        ],
        span: 12,
      })
    )
    .withRow(row('Field officers'))
    .withPanel(
      tablePanel({
        title: 'Field officer performance (last 24 h)',
        description: 'Per field officer: INR collected with OTP verified, collections, and share of OTPs verified.',
        queries: [
          { expr: `sum by (officer) (officer:field_collection_amount_inr:increase1d${B})`, legend: '{{officer}}' },
          { expr: `sum by (officer) (officer:field_collections:increase1d${B})`, legend: '{{officer}}' },
          {
            // An officer with collections but none OTP-verified reads 0 %, not no data.
            expr: `(sum by (officer) (officer:field_collections:increase1d${b('otp="verified"')}) or sum by (officer) (officer:field_collections:increase1d${B}) * 0) / sum by (officer) (officer:field_collections:increase1d${B})`,
            legend: '{{officer}}',
          },
          { expr: `sum by (officer) (field_collections_unconfirmed${B})`, legend: '{{officer}}' },
        ],
        columns: {
          officer: 'Officer',
          'Value #A': 'Collected (INR)',
          'Value #B': 'Collections',
          'Value #C': 'OTP verified',
          'Value #D': 'Awaiting confirmation',
        },
        overrides: [
          { column: 'Collected (INR)', unit: 'currencyINR' },
          { column: 'OTP verified', unit: 'percentunit' },
        ],
        height: 10,
      })
    )
    .withRow(row('Reconciliation, exceptions and LMS'))
    .withPanel(
      plainStat({
        title: 'Reconciliations pending',
        description: 'Reconciliations of field collections still pending in the selected branch(es).',
        unit: 'short',
        queries: [{ expr: `sum(reconciliation_pending${B})`, legend: 'Pending', instant: true }],
      })
    )
    .withPanel(
      attentionStat({
        title: 'Reconciliations overdue',
        description: 'Pending reconciliations past their due time. Green when none.',
        unit: 'short',
        queries: [{ expr: `sum(reconciliation_overdue${B})`, legend: 'Overdue', instant: true }],
      })
    )
    .withPanel(
      attentionStat({
        title: 'Open exceptions',
        description: 'Reconciliations in exception not yet resolved. Green when none.',
        unit: 'short',
        queries: [{ expr: `sum(reconciliation_exceptions_open${B})`, legend: 'Exceptions', instant: true }],
      })
    )
    .withPanel(
      attentionStat({
        title: 'Failed LMS postings',
        description:
          'Receipts of the selected branch(es) whose posting to the LMS failed in the selected range. Green when none.',
        unit: 'short',
        queries: [
          {
            expr: `sum(increase(lms_postings_total${b('outcome="failed"')}[$__range])) or vector(0)`,
            legend: 'Failed postings',
            instant: true,
          },
        ],
        span: 6,
      })
    )
    .withPanel(
      plainStat({
        title: 'Receipts waiting for the LMS',
        description: 'Postings of the selected branch(es) waiting in the LMS outbox.',
        unit: 'short',
        queries: [{ expr: `sum(lms_posting_queue_depth_by_branch${B})`, legend: 'Waiting', instant: true }],
        span: 6,
      })
    )
    .withPanel(
      bars({
        title: 'Payment failures by reason (last hour)',
        description: 'Failed payments in the selected branch(es) over the last hour, by reason.',
        unit: 'short',
        queries: [
          { expr: `sort_desc(sum by (reason) (increase(payment_failures_total${B}[1h])))`, legend: '{{reason}}' },
        ],
        span: 12,
      })
    )
    .withPanel(
      series({
        title: 'LMS postings',
        description: 'Postings to the LMS per hour in the selected branch(es), posted vs failed.',
        unit: 'short',
        queries: [
          { expr: `sum by (outcome) (rate(lms_postings_total${B}[$__rate_interval])) * 3600`, legend: '{{outcome}}' },
        ],
        span: 12,
      })
    )
    .build();
}
