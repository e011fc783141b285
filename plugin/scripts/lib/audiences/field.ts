// The field dashboard, for field officers: their own collections, OTP outcomes and confirmations,
// in the $officer variable.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { attentionStat, pie, plainStat, series } from '../panels';
import { UIDS, labelValuesVariable, base } from './common';

const O = '{officer="$officer"}';
const o = (extra: string) => `{officer="$officer",${extra}}`;

export function field(): dashboard.Dashboard {
  return base(
    UIDS.field,
    'Paywatch · Field officer',
    'Your cash collections, OTP confirmations and the status of your customers’ payments.',
    '1m',
    'now-24h',
    ['field']
  )
    .withVariable(
      labelValuesVariable(
        'officer',
        'Field officer',
        'label_values(field_collections_total, officer)',
        'Field officers you may see. The list comes from the scope proxy: a field officer only ever sees themself.',
        false
      )
    )
    .withPanel(
      plainStat({
        title: 'Collected (last 24 h)',
        description: 'INR collected in the field with OTP verified over the last 24 hours.',
        unit: 'currencyINR',
        queries: [
          { expr: `sum(officer:field_collection_amount_inr:increase1d${O})`, legend: 'Collected', instant: true },
        ],
        span: 6,
      })
    )
    .withPanel(
      plainStat({
        title: 'Collections (last 24 h)',
        description: 'Cash collections attempted over the last 24 hours, whatever the OTP outcome.',
        unit: 'short',
        queries: [{ expr: `sum(officer:field_collections:increase1d${O})`, legend: 'Collections', instant: true }],
        span: 6,
      })
    )
    .withPanel(
      plainStat({
        title: 'OTP success',
        description: 'Share of collections whose customer OTP was verified (last 24 h).',
        unit: 'percentunit',
        decimals: 1,
        queries: [
          {
            // A day with collections but none OTP-verified reads 0 %, not no data.
            expr: `(sum(officer:field_collections:increase1d${o('otp="verified"')}) or sum(officer:field_collections:increase1d${O}) * 0) / sum(officer:field_collections:increase1d${O})`,
            legend: 'OTP verified',
            instant: true,
          },
        ],
        span: 6,
      })
    )
    .withPanel(
      attentionStat({
        title: 'Awaiting branch confirmation',
        description: 'OTP-verified collections the branch has not confirmed yet. Hand the cash in to clear them.',
        unit: 'short',
        queries: [{ expr: `sum(field_collections_unconfirmed${O})`, legend: 'Awaiting confirmation', instant: true }],
        span: 6,
      })
    )
    .withPanel(
      series({
        title: 'Collections by OTP outcome',
        description: 'Collections per hour by OTP outcome: verified, failed, expired.',
        unit: 'short',
        stacked: true,
        queries: [
          { expr: `sum by (otp) (rate(field_collections_total${O}[$__rate_interval])) * 3600`, legend: '{{otp}}' },
        ],
        span: 12,
      })
    )
    .withPanel(
      pie({
        title: 'Customer payment status',
        description:
          'Collections in the selected range by status: verified by OTP, OTP failed, OTP expired; and those awaiting branch confirmation now.',
        unit: 'short',
        queries: [
          { expr: `sum by (otp) (increase(field_collections_total${O}[$__range]))`, legend: 'OTP {{otp}}' },
          { expr: `sum(field_collections_unconfirmed${O})`, legend: 'Awaiting branch confirmation' },
        ],
        span: 12,
      })
    )
    .withPanel(
      series({
        title: 'Value collected per hour',
        description: 'INR collected in the field per hour with OTP verified.',
        unit: 'currencyINR',
        bars: true,
        queries: [
          { expr: `sum(rate(field_collection_amount_total${O}[$__rate_interval])) * 3600`, legend: 'INR per hour' },
        ],
      })
    )
    .build();
}
