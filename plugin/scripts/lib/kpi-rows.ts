// The dashboard row of every KPI that declares one in the contract (contract/src/kpis.ts:
// `dashboard`, with its `ratio`): the KPI's tile, its success by each breakdown label with the KPI's
// bands, and the ten branches doing worst, in the KPI's colours. A new ratio KPI reaches its
// audience's dashboard without a panel written by hand; the texts come from the declaration.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  breakdownSeries,
  KPIS,
  ratioParts,
  windowWords,
  type Kpi,
  type KpiDashboard,
  type KpiId,
} from '../../../contract/src/kpis';
import { kpiStat, row, series, tablePanel } from './panels';

const WIDTH = 24;
const TILE = 6;

/** The KPIs with a generated row on this audience's dashboard, in the contract's order. */
export function kpisWithRows(audience: KpiDashboard['audience']): Kpi[] {
  return (KPIS as readonly Kpi[]).filter((k) => k.dashboard?.audience === audience && k.ratio);
}

/** Adds the generated KPI rows of `audience` to a dashboard being built. */
export function withKpiRows(
  builder: dashboard.DashboardBuilder,
  audience: KpiDashboard['audience']
): dashboard.DashboardBuilder {
  for (const k of kpisWithRows(audience)) {
    const id = k.id as KpiId;
    const ratio = k.ratio!;
    const over = windowWords(ratioParts(k).window).replace(/^the /, '');
    const charts = ratio.by.filter((label) => label !== 'branch');
    const worst = ratio.by.includes('branch');
    const span = Math.floor((WIDTH - TILE) / Math.max(1, charts.length + (worst ? 1 : 0)));
    builder.withRow(row(k.dashboard!.row)).withPanel(kpiStat(id, { span: TILE }));
    for (const label of charts) {
      builder.withPanel(
        series({
          title: `${k.title} by ${label}`,
          description: `Share of ${ratio.counted} that succeeded, per ${label} (${over}); bands are the KPI thresholds.`,
          unit: 'percentunit',
          kpi: id,
          queries: [{ expr: breakdownSeries(k, label), legend: `{{${label}}}` }],
          span,
        })
      );
    }
    if (worst) {
      const column = `Success (${over})`;
      builder.withPanel(
        tablePanel({
          title: `Branches with the lowest ${k.title.toLowerCase()}`,
          description: `The ten branches whose ${ratio.counted} succeeded least in ${windowWords(ratioParts(k).window)}.`,
          queries: [{ expr: `bottomk(10, ${breakdownSeries(k, 'branch')})`, legend: '{{branch}}' }],
          columns: { branch: 'Branch', Value: column },
          overrides: [{ column, kpi: id }],
          span,
        })
      );
    }
  }
  return builder;
}
