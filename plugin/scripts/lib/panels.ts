// Typed panel helpers on top of @grafana/grafana-foundation-sdk. Every panel gets a description,
// a unit, and (for KPIs) threshold colours from the one KPI spec in contract/src/kpis.ts, so a
// dashboard colour can never disagree with the alert that fires on the same number.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as piechart from '@grafana/grafana-foundation-sdk/piechart';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import { kpi as kpiById, thresholdSteps, type Kpi, type KpiId } from '../../../contract/src/kpis';
import { BUDGET_LOW, BUDGET_PERIOD, BUDGET_REMAINING_SERIES, SLOS } from '../../../contract/src/slos';

/** Every panel reads the dashboard's Prometheus data source variable (the scope proxy). */
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  legend?: string;
  /** Instant query (stat, table, pie): one value per series at the end of the range. */
  instant?: boolean;
  /** Table format (one row per series, labels as columns). */
  table?: boolean;
  /** Minimum step, e.g. "1d" for daily bars. */
  interval?: string;
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function targets(queries: Query[]): prometheus.DataqueryBuilder[] {
  return queries.map((q, i) => {
    const b = new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(REF_IDS[i] ?? `Q${i}`)
      .expr(q.expr)
      .legendFormat(q.legend ?? '__auto');
    if (q.instant) b.instant();
    else b.range();
    if (q.table) b.format(prometheus.PromQueryFormat.Table);
    if (q.interval) b.interval(q.interval);
    return b;
  });
}

export function kpiThresholds(k: Kpi): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(thresholdSteps(k).map((s) => ({ value: s.value, color: s.color })));
}

/** No KPI behind the number: one neutral colour, so colour keeps meaning "KPI state". */
function neutral(): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ value: null, color: 'blue' }]);
}

function lastValue(): common.ReduceDataOptionsBuilder {
  return new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
}

export interface StatOptions {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  span?: number;
  height?: number;
  decimals?: number;
  links?: dashboard.DashboardLinkBuilder[];
}

/** What every stat shares: its query, unit, threshold colouring, last value, size and links. */
function baseStat(opts: StatOptions): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(opts.title)
    .description(opts.description)
    .datasource(DATASOURCE)
    .targets(targets(opts.queries))
    .unit(opts.unit)
    .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds))
    .reduceOptions(lastValue())
    .span(opts.span ?? 4)
    .height(opts.height ?? 5)
    .links(opts.links ?? []);
}

/** A KPI stat: value, unit and background colour from the KPI spec. `expr` defaults to the KPI's series. */
export function kpiStat(id: KpiId, opts: Partial<StatOptions> & { expr?: string } = {}): stat.PanelBuilder {
  const k = kpiById(id);
  const queries = opts.queries ?? [{ expr: opts.expr ?? k.series, legend: k.title, instant: true }];
  const thresholdText = k.direction === 'higher-is-better' ? 'at or above' : 'at or below';
  const panel = baseStat({
    ...opts,
    title: opts.title ?? k.title,
    description:
      `${opts.description ?? k.description} Green ${thresholdText} target, orange from the warning threshold` +
      `${k.critical !== undefined ? ', red from the critical one' : ''} (KPI spec: ${k.id}).`,
    unit: k.unit,
    queries,
  })
    .thresholds(kpiThresholds(k))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .noValue('no data');
  // Seconds are left to Grafana's auto decimals (0.42 s shows as "420 ms", not "420.00 ms").
  const decimals = opts.decimals ?? (k.unit === 'percentunit' ? 2 : k.unit === 's' ? undefined : 0);
  if (decimals !== undefined) {
    panel.decimals(decimals);
  }
  return panel;
}

/**
 * The error budget left over the budget period for each SLO of the contract (contract/src/slos.ts):
 * green while more than BUDGET_LOW of it is left, orange under it, red once overspent.
 */
export function sloBudgetStats(span: number): stat.PanelBuilder[] {
  return SLOS.map((slo) =>
    baseStat({
      title: `Error budget left: ${slo.title}`,
      description:
        `Share of the ${BUDGET_PERIOD} error budget of the ${slo.title} SLO still unspent (${slo.events}; planned maintenance not counted). ` +
        `100% untouched, 0% spent, below 0 overspent; orange under ${BUDGET_LOW * 100}%.`,
      unit: 'percentunit',
      queries: [{ expr: `${BUDGET_REMAINING_SERIES}{slo="${slo.id}"}`, legend: slo.title, instant: true }],
      span,
    })
      .decimals(1)
      .thresholds(
        new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
          { value: null, color: 'red' },
          { value: 0, color: 'orange' },
          { value: BUDGET_LOW, color: 'green' },
        ])
      )
      .colorMode(common.BigValueColorMode.Background)
      .graphMode(common.BigValueGraphMode.Area)
      .noValue('no data')
  );
}

/** A plain stat (no KPI behind it): neutral colour. */
export function plainStat(opts: StatOptions): stat.PanelBuilder {
  return baseStat(opts)
    .decimals(opts.decimals ?? 0)
    .thresholds(neutral())
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .noValue('0');
}

/** A count where anything above zero needs attention (firing alerts, overdue work): green at 0, red from 1. */
export function attentionStat(opts: StatOptions): stat.PanelBuilder {
  return plainStat(opts)
    .thresholds(
      new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ])
    )
    .colorMode(common.BigValueColorMode.Background);
}

/** Service health: 1 = up (green), 0 = down (red), one tile per series. */
export function upDownStat(opts: StatOptions): stat.PanelBuilder {
  return plainStat(opts)
    .mappings([
      {
        type: dashboard.MappingType.ValueToText,
        options: { '0': { text: 'DOWN', color: 'red', index: 0 }, '1': { text: 'UP', color: 'green', index: 1 } },
      },
    ])
    .thresholds(
      new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
        { value: null, color: 'red' },
        { value: 1, color: 'green' },
      ])
    )
    .colorMode(common.BigValueColorMode.Background)
    .textMode(common.BigValueTextMode.ValueAndName)
    .noValue('no data');
}

export interface SeriesOptions {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  span?: number;
  height?: number;
  /** Show the KPI's thresholds as coloured bands behind the line. */
  kpi?: KpiId;
  stacked?: boolean;
  bars?: boolean;
  min?: number;
  max?: number;
  decimals?: number;
}

export function series(opts: SeriesOptions): timeseries.PanelBuilder {
  const b = new timeseries.PanelBuilder()
    .title(opts.title)
    .description(opts.description)
    .datasource(DATASOURCE)
    .targets(targets(opts.queries))
    .unit(opts.unit)
    .lineWidth(2)
    .fillOpacity(opts.stacked || opts.bars ? 60 : 10)
    .showPoints(common.VisibilityMode.Never)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending)
    )
    .span(opts.span ?? 12)
    .height(opts.height ?? 8);
  if (opts.decimals !== undefined) b.decimals(opts.decimals);
  if (opts.min !== undefined) b.min(opts.min);
  if (opts.max !== undefined) b.max(opts.max);
  if (opts.stacked) b.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (opts.bars) b.drawStyle(common.GraphDrawStyle.Bars);
  if (opts.kpi) {
    b.thresholds(kpiThresholds(kpiById(opts.kpi))).thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.LineAndArea)
    );
  } else {
    b.thresholds(neutral());
  }
  return b;
}

export interface TableOptions {
  title: string;
  description: string;
  queries: Query[];
  unit?: string;
  span?: number;
  height?: number;
  /** Rename value columns (Value #A …) and hide the Time column. */
  columns?: Record<string, string>;
  /** Per column: unit, KPI colours, or a data link (e.g. to the dashboard of that branch). */
  overrides?: Array<{ column: string; unit?: string; kpi?: KpiId; link?: { title: string; url: string } }>;
}

export function tablePanel(opts: TableOptions): table.PanelBuilder {
  const b = new table.PanelBuilder()
    .title(opts.title)
    .description(opts.description)
    .datasource(DATASOURCE)
    .targets(targets(opts.queries.map((q) => ({ ...q, instant: true, table: true }))))
    .unit(opts.unit ?? 'short')
    .thresholds(neutral())
    .span(opts.span ?? 12)
    .height(opts.height ?? 8)
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: { excludeByName: { Time: true }, renameByName: opts.columns ?? {} },
    });
  for (const o of opts.overrides ?? []) {
    const properties: dashboard.DynamicConfigValue[] = [];
    if (o.unit) properties.push({ id: 'unit', value: o.unit });
    if (o.link) {
      properties.push({ id: 'links', value: [{ title: o.link.title, url: o.link.url, targetBlank: false }] });
    }
    if (o.kpi) {
      const k = kpiById(o.kpi);
      properties.push({ id: 'unit', value: k.unit });
      properties.push({ id: 'thresholds', value: { mode: 'absolute', steps: thresholdSteps(k) } });
      properties.push({ id: 'custom.cellOptions', value: { type: 'color-background' } });
    }
    b.overrideByName(o.column, properties);
  }
  return b;
}

export interface PieOptions {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  span?: number;
  height?: number;
}

export function pie(opts: PieOptions): piechart.PanelBuilder {
  return new piechart.PanelBuilder()
    .title(opts.title)
    .description(opts.description)
    .datasource(DATASOURCE)
    .targets(targets(opts.queries.map((q) => ({ ...q, instant: true }))))
    .unit(opts.unit)
    .pieType(piechart.PieChartType.Donut)
    .reduceOptions(lastValue())
    .legend(
      new piechart.PieChartLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right)
        .values([piechart.PieChartLegendValues.Value, piechart.PieChartLegendValues.Percent])
    )
    .span(opts.span ?? 6)
    .height(opts.height ?? 8);
}

export interface BarOptions {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  span?: number;
  height?: number;
  kpi?: KpiId;
}

export function bars(opts: BarOptions): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title(opts.title)
    .description(opts.description)
    .datasource(DATASOURCE)
    .targets(targets(opts.queries.map((q) => ({ ...q, instant: true }))))
    .unit(opts.unit)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .reduceOptions(lastValue())
    .thresholds(opts.kpi ? kpiThresholds(kpiById(opts.kpi)) : neutral())
    .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds))
    .span(opts.span ?? 6)
    .height(opts.height ?? 8);
}

export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}
