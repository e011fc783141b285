// A number shown twice must be the same number: a KPI tile and the chart under it (or the Home
// page's tile) that share a title read the same series. Issue 11 found the executive and status
// "Payment success rate" tile on the real-time channels and the chart below on all channels: a
// green tile above an orange chart in the same colour bands.
import { parser } from '@prometheus-io/lezer-promql';
import { KPIS } from '../../../contract/src/kpis';
import { renderAll, type DashboardIndex, type IndexedPanel } from '../../scripts/lib/generate';
import { kpiTilesFor } from '../kpi/status';
import { resolve } from 'node:path';

const repoRoot = resolve(__dirname, '../../..');
const index = JSON.parse(renderAll(repoRoot)['src/dashboards/index.json']!) as DashboardIndex;

/** The metric names a PromQL expression reads (variables substituted so it parses). */
function seriesRead(expr: string): string[] {
  const text = expr.replace(/\$__rate_interval|\$__range|\$__interval/g, '5m').replace(/\$\{?\w+\}?/g, 'x');
  const names = new Set<string>();
  const tree = parser.parse(text);
  tree.iterate({
    enter: (node) => {
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {names.add(text.slice(node.from, node.to));}
    },
  });
  return [...names].sort();
}

const read = (panel: IndexedPanel) => [...new Set(panel.queries.flatMap((q) => seriesRead(q.expr)))].sort();

describe('panels that share a title read the same series', () => {
  it('the parser finds series (the checks below are not vacuous)', () => {
    expect(seriesRead('sum(branch:payments:rate5m{status="success", branch=~"$branch"}) / sum(paywatch:payments:rate5m)')).toEqual([
      'branch:payments:rate5m',
      'paywatch:payments:rate5m',
    ]);
  });

  it.each(index.dashboards.map((d) => [d.uid, d] as const))('%s: every title reads one set of series', (_uid, dashboard) => {
    const byTitle = new Map<string, Array<{ id: number; series: string[] }>>();
    for (const panel of dashboard.panels) {
      const list = byTitle.get(panel.title) ?? [];
      list.push({ id: panel.id, series: read(panel) });
      byTitle.set(panel.title, list);
    }
    for (const [title, panels] of byTitle) {
      for (const panel of panels) {expect([title, panel.id, panel.series]).toEqual([title, panel.id, panels[0]!.series]);}
    }
  });

  it("every fleet-wide panel titled like a KPI, and Home's tile of it, reads the KPI's series", () => {
    const home = kpiTilesFor({ kind: 'all', branches: [], officer: null });
    let charts = 0;
    for (const k of KPIS) {
      const tile = home.find((t) => t.title === k.title);
      expect([k.id, tile && seriesRead(tile.expr)]).toEqual([k.id, [k.series]]);
      for (const dashboard of index.dashboards) {
        for (const panel of dashboard.panels.filter((p) => p.title === k.title)) {
          // Branch and officer dashboards show the same title for their own slice (branch:*).
          if (panel.queries.some((q) => /\$(branch|officer)\b/.test(q.expr))) {continue;}
          if (panel.type === 'timeseries') {charts++;}
          expect([dashboard.uid, panel.title, panel.type, read(panel)]).toEqual([dashboard.uid, panel.title, panel.type, [k.series]]);
        }
      }
    }
    expect(charts).toBeGreaterThan(0);
  });
});
