// The status dashboard, for every signed-in person, the viewer included: fleet-wide status from the
// aggregate recording rules only.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { kpi } from '../../../../contract/src/kpis';
import { kpiStat, row, series } from '../panels';
import { UIDS, base, PER_MINUTE } from './common';

export function status(): dashboard.Dashboard {
  return base(
    UIDS.status,
    'Paywatch · System status',
    'Aggregate status and basic performance of the payments platform (fleet-wide numbers only).',
    '5m',
    'now-24h',
    ['status']
  )
    .withRow(row('Status now'))
    .withPanel(kpiStat('availability', { span: 6 }))
    .withPanel(kpiStat('payment_success_rate', { span: 6 }))
    .withPanel(kpiStat('api_latency_p95', { span: 6 }))
    .withPanel(kpiStat('error_rate', { span: 6 }))
    .withPanel(kpiStat('payment_processing_time', { span: 6 }))
    .withPanel(kpiStat('lms_queue_depth', { span: 6 }))
    .withPanel(kpiStat('rfid_success_rate', { span: 6 }))
    .withPanel(kpiStat('db_connections_used', { span: 6 }))
    .withRow(row('Performance'))
    .withPanel(
      series({
        title: 'Availability',
        description: 'Share of health probes succeeding; bands are the KPI thresholds.',
        unit: 'percentunit',
        kpi: 'availability',
        queries: [{ expr: 'paywatch:availability:ratio_avg5m', legend: 'Availability' }],
      })
    )
    .withPanel(
      series({
        title: 'Payment success rate',
        description: 'Real-time payment success rate (UPI, QR, BBPS, card, net banking); bands are the KPI thresholds.',
        unit: 'percentunit',
        kpi: 'payment_success_rate',
        // The KPI's own series, as the tile reads it: tile and chart can never disagree in colour.
        queries: [{ expr: kpi('payment_success_rate').series, legend: 'Success rate' }],
      })
    )
    .withPanel(
      series({
        title: 'API response time p95',
        description: 'Payments API 95th percentile latency; bands are the KPI thresholds.',
        unit: 's',
        kpi: 'api_latency_p95',
        queries: [{ expr: 'paywatch:api_request_duration_seconds:p95_5m', legend: 'p95' }],
      })
    )
    .withPanel(
      series({
        title: 'Payments per minute',
        description: 'Payments reaching a final status per minute, by status.',
        unit: 'short',
        stacked: true,
        queries: [{ expr: `sum by (status) (paywatch:payments:rate5m) * ${PER_MINUTE}`, legend: '{{status}}' }],
      })
    )
    .build();
}
