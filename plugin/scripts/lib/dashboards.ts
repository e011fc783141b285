// The six Paywatch dashboards, one per audience, as typed builders. `npm run dashboards` writes
// them to src/dashboards/<folder>/<name>.json (the folder is the audience's folder in
// policy/policy.yml, which provisioning mounts per folder) and src/dashboards/index.json, the
// machine-readable list of every panel query. src/dashboards/dashboards.test.ts fails when the
// committed files differ from what this module builds.
//
// Queries use only these variables: $datasource (the panel data source), $branch, $officer,
// $__rate_interval, $__range, $__interval. Anything slow over 30 days reads a recording rule
// (docs/metrics.md) instead of raw counters.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { KPIS, type KpiId } from '../../../kpi/src/spec';
import { attentionStat, bars, kpiStat, pie, plainStat, row, series, tablePanel, upDownStat } from './panels';

export const PLUGIN_ID = 'paywatch-paywatch-app';
export const APP_HOME = `/a/${PLUGIN_ID}/home`;

export interface DashboardDef {
  uid: string;
  title: string;
  /** Folder in policy/policy.yml (roles → folders) and in provisioning. */
  folder: 'executive' | 'business' | 'branch' | 'field' | 'operations' | 'status';
  /** File name inside the folder. */
  slug: string;
  build: () => dashboard.Dashboard;
}

export const UIDS = {
  executive: 'paywatch-executive',
  business: 'paywatch-business',
  branch: 'paywatch-branch',
  field: 'paywatch-field',
  operations: 'paywatch-operations',
  status: 'paywatch-status',
} as const;

function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Data source')
    .description('The Paywatch scope proxy (a Prometheus data source). Every panel reads through it.')
    .type('prometheus')
    .regex('')
    .allowCustomValue(false)
    .current({ selected: true, text: 'Paywatch', value: 'paywatch-prometheus' });
}

function labelValuesVariable(name: string, label: string, query: string, description: string, multi: boolean) {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource({ type: 'prometheus', uid: '${datasource}' })
    .query({ qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(multi)
    .includeAll(false)
    .allowCustomValue(false);
}

/** Links every Paywatch dashboard carries: the others the viewer may open (Grafana lists only those
 * the signed-in person can see) and the app's home page. */
function commonLinks(): dashboard.DashboardLinkBuilder[] {
  return [
    new dashboard.DashboardLinkBuilder('Paywatch dashboards')
      .type(dashboard.DashboardLinkType.Dashboards)
      .tags(['paywatch'])
      .asDropdown(true)
      .includeVars(false)
      .keepTime(true)
      .icon('external link')
      .tooltip('')
      .url('')
      .targetBlank(false),
    new dashboard.DashboardLinkBuilder('Paywatch home')
      .type(dashboard.DashboardLinkType.Link)
      .url(APP_HOME)
      .icon('dashboard')
      .tooltip('Your role, scope and KPIs')
      .tags([])
      .asDropdown(false)
      .includeVars(false)
      .keepTime(false)
      .targetBlank(false),
  ];
}

function linkTo(title: string, uid: string, tooltip: string, includeVars = false): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder(title)
    .type(dashboard.DashboardLinkType.Link)
    .url(`/d/${uid}`)
    .tooltip(tooltip)
    .icon('dashboard')
    .tags([])
    .asDropdown(false)
    .includeVars(includeVars)
    .keepTime(true)
    .targetBlank(false);
}

function base(uid: string, title: string, description: string, refresh: string, from: string, tags: string[]) {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['paywatch', ...tags])
    .timezone('browser')
    .readonly()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh(refresh)
    .time({ from, to: 'now' })
    .timepicker(new dashboard.TimePickerBuilder().refreshIntervals(['30s', '1m', '5m', '15m', '1h']))
    .withVariable(datasourceVariable())
    .links(commonLinks());
}

const PER_MINUTE = 60;

// ---------------------------------------------------------------------------------------------
function executive(): dashboard.Dashboard {
  const quick = (display: string, from: string) =>
    new dashboard.TimeOptionBuilder().display(display).from(from).to('now');
  return base(
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
    .link(linkTo('Operations', UIDS.operations, 'Service health, queues, latency'))
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
        links: [linkTo('Operations', UIDS.operations, 'Which alerts are firing')],
      })
    )
    .withRow(row('Service level'))
    .withPanel(kpiStat('payment_success_rate', { span: 8 }))
    .withPanel(kpiStat('availability', { span: 8 }))
    .withPanel(kpiStat('payment_failures_per_hour', { span: 8 }))
    .withPanel(
      series({
        title: 'Payment success rate',
        description: 'Fleet payment success rate over the selected range; bands are the KPI thresholds.',
        unit: 'percentunit',
        kpi: 'payment_success_rate',
        queries: [{ expr: 'paywatch:payment_success_ratio:rate5m', legend: 'Success rate' }],
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

// ---------------------------------------------------------------------------------------------
function business(): dashboard.Dashboard {
  return base(
    UIDS.business,
    'Paywatch · Business metrics',
    'Success rate, volume by channel, daily revenue, failure reasons, reconciliation and exceptions, all branches.',
    '1m',
    'now-24h',
    ['finance']
  )
    .link(linkTo('Executive overview', UIDS.executive, 'Headline numbers'))
    .link(linkTo('Branch operations', UIDS.branch, 'One branch in detail'))
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
    )
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
        overrides: [
          {
            column: 'Branch',
            link: {
              title: 'Open Branch operations for ${__value.text}',
              url: `/d/${UIDS.branch}?var-branch=\${__value.raw}&\${__url_time_range}`,
            },
          },
        ],
      })
    )
    .build();
}

// ---------------------------------------------------------------------------------------------
const B = '{branch=~"$branch"}';
const b = (extra: string) => `{branch=~"$branch",${extra}}`;

function branch(): dashboard.Dashboard {
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
    .link(linkTo('Field officer', UIDS.field, 'One field officer in detail'))
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
            expr: `sum by (officer) (officer:field_collections:increase1d${b('otp="verified"')}) / sum by (officer) (officer:field_collections:increase1d${B})`,
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
          {
            column: 'Officer',
            link: {
              title: 'Open Field officer for ${__value.text}',
              url: `/d/${UIDS.field}?var-officer=\${__value.raw}&\${__url_time_range}`,
            },
          },
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

// ---------------------------------------------------------------------------------------------
const O = '{officer="$officer"}';
const o = (extra: string) => `{officer="$officer",${extra}}`;

function field(): dashboard.Dashboard {
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
            expr: `sum(officer:field_collections:increase1d${o('otp="verified"')}) / sum(officer:field_collections:increase1d${O})`,
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

// ---------------------------------------------------------------------------------------------
const KPI_ORDER: KpiId[] = KPIS.map((k) => k.id);

function operations(): dashboard.Dashboard {
  const d = base(
    UIDS.operations,
    'Paywatch · Operations',
    'Service health, queues, database pool, alerts, latency, throughput, errors and host resources.',
    '30s',
    'now-6h',
    ['devops']
  )
    .link(linkTo('System status', UIDS.status, 'Aggregate status'))
    .link(
      new dashboard.DashboardLinkBuilder('Metrics catalogue')
        .type(dashboard.DashboardLinkType.Link)
        .url(`/a/${PLUGIN_ID}/metrics`)
        .tooltip('Every Paywatch metric, with a link to Explore')
        .icon('info')
        .tags([])
        .asDropdown(false)
        .includeVars(false)
        .keepTime(false)
        .targetBlank(false)
    )
    .withRow(row('KPIs'));
  for (const id of KPI_ORDER)
    d.withPanel(kpiStat(id, { span: id === 'payment_failures_per_hour' ? 24 : 6, height: 4 }));
  return d
    .withRow(row('Service health'))
    .withPanel(
      upDownStat({
        title: 'Scrape targets',
        description: 'Whether Prometheus reaches each exporter and service (up).',
        unit: 'short',
        queries: [{ expr: 'up', legend: '{{job}} {{instance}}', instant: true }],
        span: 12,
        height: 6,
      })
    )
    .withPanel(
      upDownStat({
        title: 'Health probes',
        description: 'Blackbox health checks of the payments API, LMS and gateways (probe_success).',
        unit: 'short',
        queries: [{ expr: 'probe_success{job="blackbox"}', legend: '{{instance}}', instant: true }],
        span: 12,
        height: 6,
      })
    )
    .withPanel(
      upDownStat({
        title: 'Dependencies',
        description: 'Database and LMS health as seen by the exporters, and each exporter reading its source.',
        unit: 'short',
        queries: [
          { expr: 'db_up', legend: 'Database', instant: true },
          { expr: 'lms_up', legend: 'LMS', instant: true },
          { expr: 'paywatch_exporter_source_up', legend: 'exporter {{exporter}}', instant: true },
        ],
        span: 12,
        height: 6,
      })
    )
    .withPanel(
      tablePanel({
        title: 'Active alerts',
        description: 'Alerts firing now, with severity. Runbooks are linked from each alert in Alertmanager.',
        queries: [{ expr: 'ALERTS{alertstate="firing"}', legend: '{{alertname}}' }],
        columns: { alertname: 'Alert', severity: 'Severity', 'Value #A': 'Firing' },
        span: 12,
        height: 6,
      })
    )
    .withRow(row('Queues and database'))
    .withPanel(
      series({
        title: 'Queue depths',
        description: 'LMS posting outbox and payments not yet final.',
        unit: 'short',
        queries: [
          { expr: 'lms_posting_queue_depth', legend: 'LMS postings waiting' },
          { expr: 'sum(payments_pending)', legend: 'Payments pending' },
        ],
        kpi: 'lms_queue_depth',
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Oldest LMS posting waiting',
        description: 'Age of the oldest posting still waiting for the LMS (0 when none).',
        unit: 's',
        queries: [{ expr: 'lms_posting_oldest_pending_seconds', legend: 'Oldest waiting' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'DB connections',
        description: 'Server connections by state, against max_connections.',
        unit: 'short',
        stacked: false,
        queries: [
          { expr: 'db_connections', legend: '{{state}}' },
          { expr: 'db_max_connections', legend: 'max_connections' },
        ],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Application DB pool',
        description: "The payments API's own pool: total, idle and waiting clients against its limit.",
        unit: 'short',
        queries: [
          { expr: 'app_db_pool_clients', legend: '{{service}} {{state}}' },
          { expr: 'app_db_pool_max', legend: '{{service}} max' },
        ],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Waiting on locks and long transactions',
        description: 'Backends waiting on a lock, and the age of the oldest open transaction.',
        unit: 'short',
        queries: [
          { expr: 'db_connections_waiting', legend: 'Waiting on a lock' },
          { expr: 'db_longest_transaction_seconds', legend: 'Longest transaction (s)' },
        ],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Exporter poll time',
        description:
          "p95 time of one exporter poll of the database, and seconds since each exporter's last successful poll.",
        unit: 's',
        queries: [
          {
            expr: 'histogram_quantile(0.95, sum by (le, exporter) (rate(paywatch_exporter_poll_duration_seconds_bucket[$__rate_interval])))',
            legend: 'p95 poll {{exporter}}',
          },
          { expr: 'time() - paywatch_exporter_last_success_timestamp_seconds', legend: 'since last poll {{exporter}}' },
        ],
        span: 8,
      })
    )
    .withRow(row('Latency, throughput and errors'))
    .withPanel(
      series({
        title: 'API latency p95 by route',
        description: '95th percentile latency of the payments API per route; bands are the KPI thresholds.',
        unit: 's',
        kpi: 'api_latency_p95',
        queries: [
          {
            expr: 'histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{service="payments-api"}[$__rate_interval])))',
            legend: '{{route}}',
          },
        ],
      })
    )
    .withPanel(
      series({
        title: 'Gateway latency p95',
        description: '95th percentile of calls to the card / net-banking gateways, by gateway.',
        unit: 's',
        queries: [
          {
            expr: 'histogram_quantile(0.95, sum by (le, gateway) (rate(payment_gateway_request_duration_seconds_bucket[$__rate_interval])))',
            legend: '{{gateway}}',
          },
        ],
      })
    )
    .withPanel(
      series({
        title: 'API throughput',
        description: 'Payments API requests per second by route.',
        unit: 'reqps',
        stacked: true,
        queries: [
          {
            expr: 'sum by (route) (rate(http_request_duration_seconds_count{service="payments-api"}[$__rate_interval]))',
            legend: '{{route}}',
          },
        ],
      })
    )
    .withPanel(
      series({
        title: 'Payments throughput',
        description: 'Payments per second reaching a final status, by status.',
        unit: 'short',
        stacked: true,
        queries: [{ expr: 'sum by (status) (paywatch:payments:rate5m)', legend: '{{status}}' }],
      })
    )
    .withPanel(
      series({
        title: 'API error rate',
        description: 'Share of payments API requests answered with a server error; bands are the KPI thresholds.',
        unit: 'percentunit',
        kpi: 'error_rate',
        queries: [{ expr: 'paywatch:api_error_ratio:rate5m', legend: 'Error rate' }],
      })
    )
    .withPanel(
      series({
        title: 'Errors by kind',
        description:
          'API errors per second by route and kind (server error, timeout, dependency), rate limiting and failed logins.',
        unit: 'short',
        queries: [
          {
            expr: 'sum by (route, kind) (rate(http_request_errors_total[$__rate_interval]))',
            legend: '{{route}} {{kind}}',
          },
          { expr: 'sum(rate(http_rate_limited_total[$__rate_interval]))', legend: 'rate limited' },
          { expr: 'sum(rate(auth_login_failures_total[$__rate_interval]))', legend: 'login failures' },
        ],
      })
    )
    .withRow(row('Resources'))
    .withPanel(
      series({
        title: 'CPU used',
        description: 'Share of CPU time not idle, per host (node_exporter).',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [
          {
            expr: '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[$__rate_interval]))',
            legend: '{{instance}}',
          },
        ],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Memory used',
        description: 'Share of memory in use (not available), per host.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [{ expr: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes', legend: '{{instance}}' }],
        span: 8,
      })
    )
    .withPanel(
      series({
        title: 'Disk used',
        description: 'Share of each filesystem in use, per host and mount point.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [
          {
            expr: '1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"}',
            legend: '{{instance}} {{mountpoint}}',
          },
        ],
        span: 8,
      })
    )
    .build();
}

// ---------------------------------------------------------------------------------------------
function status(): dashboard.Dashboard {
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
        description: 'Fleet payment success rate; bands are the KPI thresholds.',
        unit: 'percentunit',
        kpi: 'payment_success_rate',
        queries: [{ expr: 'paywatch:payment_success_ratio:rate5m', legend: 'Success rate' }],
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

/** Stable panel ids (1, 2, …) in layout order, so links like viewPanel=<id> and the query index hold. */
function withIds(build: () => dashboard.Dashboard): () => dashboard.Dashboard {
  return () => {
    const d = build();
    (d.panels ?? []).forEach((p, i) => {
      p.id = i + 1;
    });
    return d;
  };
}

export const DASHBOARDS: DashboardDef[] = [
  {
    uid: UIDS.executive,
    title: 'Executive overview',
    folder: 'executive',
    slug: 'executive-overview',
    build: withIds(executive),
  },
  {
    uid: UIDS.business,
    title: 'Business metrics',
    folder: 'business',
    slug: 'business-metrics',
    build: withIds(business),
  },
  { uid: UIDS.branch, title: 'Branch operations', folder: 'branch', slug: 'branch-operations', build: withIds(branch) },
  { uid: UIDS.field, title: 'Field officer', folder: 'field', slug: 'field-officer', build: withIds(field) },
  { uid: UIDS.operations, title: 'Operations', folder: 'operations', slug: 'operations', build: withIds(operations) },
  { uid: UIDS.status, title: 'System status', folder: 'status', slug: 'system-status', build: withIds(status) },
];
