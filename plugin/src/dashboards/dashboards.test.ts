// The committed dashboards, their query index and the metrics catalogue must be exactly what the
// generator builds from the KPI spec, the policy and the metric contract; and the dashboards must
// keep the promises the requirements make (descriptions, units, KPI colours, variables, scope).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { KPIS, thresholdSteps } from '../../../contract/src/kpis';
import { renderAll, readPolicy, type DashboardIndex } from '../../scripts/lib/generate';
import { DASHBOARDS } from '../../scripts/lib/dashboards';
import type { CatalogueMetric } from '../../scripts/lib/catalogue';

const plugin = resolve(__dirname, '../..');
const repoRoot = resolve(plugin, '..');
const generated = renderAll(repoRoot);
const index = JSON.parse(generated['src/dashboards/index.json']!) as DashboardIndex;
const catalogue = JSON.parse(generated['src/catalogue/metrics.json']!) as CatalogueMetric[];

type Target = { expr: string; datasource?: { uid?: string; type?: string } };
type Panel = {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { uid?: string; type?: string };
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string; thresholds?: { steps: unknown[] } } };
};
type Dashboard = {
  uid: string;
  refresh: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; definition?: string }> };
};

function dashboards(): Array<{ file: string; json: Dashboard }> {
  return Object.entries(generated)
    .filter(([path]) => path.startsWith('src/dashboards/') && !path.endsWith('index.json'))
    .map(([file, text]) => ({ file, json: JSON.parse(text) as Dashboard }));
}

const allPanels = () =>
  dashboards().flatMap((d) => d.json.panels.filter((p) => p.type !== 'row').map((p) => ({ d, p })));

describe('generated files', () => {
  it.each(Object.keys(generated))('%s is committed and up to date (else run `npm run dashboards`)', (path) => {
    let committed = '';
    try {
      committed = readFileSync(join(plugin, path), 'utf8');
    } catch {
      throw new Error(`${path} is missing: run \`npm run dashboards\` in plugin/`);
    }
    if (committed !== generated[path]) {
      throw new Error(`${path} is stale: run \`npm run dashboards\` in plugin/ and commit the result`);
    }
  });
});

describe('plugin.json', () => {
  const pluginJson = JSON.parse(readFileSync(join(plugin, 'src/plugin.json'), 'utf8')) as {
    includes: Array<{ type: string; path?: string }>;
  };
  it('bundles every dashboard, with its pinned uid', () => {
    const included = pluginJson.includes.filter((i) => i.type === 'dashboard').map((i) => i.path);
    expect(included.sort()).toEqual(index.dashboards.map((d) => `dashboards/${d.file}`).sort());
    for (const d of index.dashboards) {
      const json = JSON.parse(generated[`src/dashboards/${d.file}`]!) as Dashboard;
      expect(json.uid).toBe(d.uid);
    }
  });

  it('bundled dashboards carry revision 0, so enabling the app never re-imports them over the provisioned per-folder copies', () => {
    for (const d of index.dashboards) {
      const json = JSON.parse(generated[`src/dashboards/${d.file}`]!) as { revision?: number };
      expect(json.revision).toBe(0);
    }
  });
});

describe('dashboards', () => {
  it('are the six audiences of the requirements with their refresh rates', () => {
    expect(index.dashboards.map((d) => [d.folder, d.refresh])).toEqual([
      ['executive', '5m'],
      ['business', '1m'],
      ['branch', '1m'],
      ['field', '1m'],
      ['operations', '30s'],
      ['status', '5m'],
    ]);
    expect(new Set(DASHBOARDS.map((d) => d.uid)).size).toBe(6);
  });

  it('each has a Prometheus data source variable that every panel and query uses', () => {
    for (const { json } of dashboards()) {
      expect(json.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
    }
    for (const { p } of allPanels()) {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of p.targets ?? []) {
        expect(t.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      }
    }
  });

  it('every panel has a description, a unit and at least one query', () => {
    for (const { d, p } of allPanels()) {
      const where = `${d.json.uid} / ${p.title}`;
      expect([where, (p.description ?? '').length > 10]).toEqual([where, true]);
      expect([where, typeof p.fieldConfig?.defaults?.unit]).toEqual([where, 'string']);
      expect([where, (p.targets ?? []).length > 0]).toEqual([where, true]);
    }
  });

  it('every query is valid PromQL once its variables are substituted (the official grammar)', () => {
    for (const d of index.dashboards) {
      for (const panel of d.panels) {
        for (const q of panel.queries) {
          const expr = substitute(q.expr);
          const errors: number[] = [];
          parser.parse(expr).iterate({
            enter: (node) => {
              if (node.type.isError) {
                errors.push(node.from);
              }
            },
          });
          expect([d.uid, panel.title, expr, errors]).toEqual([d.uid, panel.title, expr, []]);
        }
      }
    }
    expect(substitute('x{branch=~"$branch",officer="$officer"}[$__rate_interval]')).toBe(
      'x{branch=~"BR0001|BR0002",officer="BR0001-FO01"}[1m]'
    );
  });

  it('queries use only the documented variables', () => {
    const allowed = new Set(['$branch', '$officer', '$__rate_interval', '$__range', '$__interval']);
    for (const { p } of allPanels()) {
      for (const t of p.targets ?? []) {
        for (const v of t.expr.match(/\$\{?\w+\}?/g) ?? []) {
          expect([t.expr, allowed.has(v)]).toEqual([t.expr, true]);
        }
      }
    }
  });

  it('branch and officer variables come from the data source, so the scope proxy decides their options', () => {
    const variable = (uid: string, name: string) =>
      dashboards()
        .find((d) => d.json.uid === uid)!
        .json.templating.list.find((v) => v.name === name);
    expect(variable('paywatch-branch', 'branch')?.definition).toBe('label_values(branch_daily_target_inr, branch)');
    expect(variable('paywatch-field', 'officer')?.definition).toBe('label_values(field_collections_total, officer)');
  });

  it('every branch panel is filtered by $branch and every field officer panel by $officer', () => {
    for (const { d, p } of allPanels()) {
      for (const t of p.targets ?? []) {
        if (d.json.uid === 'paywatch-branch') {
          expect(t.expr).toContain('branch=~"$branch"');
        }
        if (d.json.uid === 'paywatch-field') {
          expect(t.expr).toContain('officer="$officer"');
        }
      }
    }
  });

  it('KPI stat panels are coloured by the thresholds of the KPI spec', () => {
    let seen = 0;
    for (const { p } of allPanels()) {
      const k = KPIS.find((x) => p.description?.includes(`(KPI spec: ${x.id})`));
      if (!k) {
        continue;
      }
      seen++;
      expect(p.fieldConfig?.defaults?.thresholds?.steps).toEqual(thresholdSteps(k));
      expect(p.fieldConfig?.defaults?.unit).toBe(k.unit);
    }
    expect(seen).toBeGreaterThanOrEqual(KPIS.length);
  });

  it('the viewer (aggregate scope) dashboard reads only the aggregate series policy.yml allows', () => {
    const aggregate = new Set(readPolicy(repoRoot).aggregate_metrics);
    const status = index.dashboards.find((d) => d.folder === 'status')!;
    expect(status.roles).toContain('viewer');
    for (const panel of status.panels) {
      for (const q of panel.queries) {
        for (const name of metricNames(q.expr)) {
          expect([q.expr, name, aggregate.has(name)]).toEqual([q.expr, name, true]);
        }
      }
    }
  });

  it('every metric a query reads is in the metric contract (docs/metrics.md) or a standard exporter', () => {
    const known = new Set(catalogue.map((m) => m.name));
    for (const m of catalogue) {
      if (m.type === 'histogram') {
        for (const s of ['_bucket', '_count', '_sum']) {
          known.add(m.name + s);
        }
      }
    }
    // Standard exporters: node_exporter, the blackbox prober, postgres_exporter (its series and Paywatch's extra queries).
    const external = (name: string) => name === 'up' || name === 'ALERTS' || /^(node|probe|pg)_/.test(name);
    for (const d of index.dashboards) {
      for (const panel of d.panels) {
        for (const q of panel.queries) {
          for (const name of metricNames(q.expr)) {
            expect([d.uid, name, known.has(name) || external(name)]).toEqual([d.uid, name, true]);
          }
        }
      }
    }
  });

  it('every recording rule a query reads is generated in prometheus/rules/', () => {
    const rulesDir = join(repoRoot, 'prometheus/rules');
    if (!existsSync(rulesDir)) {
      return; // the rules are generated by kpi/; the metric contract check above still holds
    }
    const text = readdirSync(rulesDir)
      .filter((f) => f.endsWith('.yml'))
      .map((f) => readFileSync(join(rulesDir, f), 'utf8'))
      .join('\n');
    const recorded = new Set([...text.matchAll(/record:\s*(\S+)/g)].map((m) => m[1]));
    for (const d of index.dashboards) {
      for (const panel of d.panels) {
        for (const q of panel.queries) {
          for (const name of metricNames(q.expr).filter((n) => n.includes(':'))) {
            expect([d.uid, name, recorded.has(name)]).toEqual([d.uid, name, true]);
          }
        }
      }
    }
  });

  it('the index lists every panel query with the roles allowed to see the dashboard', () => {
    const total = index.dashboards.reduce((n, d) => n + d.panels.reduce((m, p) => m + p.queries.length, 0), 0);
    expect(total).toBe(allPanels().reduce((n, { p }) => n + (p.targets ?? []).length, 0));
    expect(index.dashboards.find((d) => d.folder === 'branch')?.roles).toEqual(['branch_manager', 'cashier', 'admin']);
    expect(index.dashboards.find((d) => d.folder === 'field')?.roles).toEqual(['field_officer', 'admin']);
  });
});

describe('metrics catalogue', () => {
  it('has every metric of the contract with type, labels and help', () => {
    const byName = new Map(catalogue.map((m) => [m.name, m]));
    expect(byName.get('payments_total')).toMatchObject({ type: 'counter', labels: ['branch', 'channel', 'status'] });
    expect(byName.get('lms_posting_queue_depth')).toMatchObject({ type: 'gauge', labels: [] });
    expect(byName.get('paywatch:payment_success_ratio:rate5m')?.type).toBe('recording rule');
    expect(byName.get('payments_total')?.help).toMatch(/success/);
    for (const m of catalogue) {
      expect(m.help.length).toBeGreaterThan(0);
    }
  });
});

/** Variables as Grafana substitutes them (a multi-value $branch becomes a regex alternation). */
function substitute(expr: string): string {
  return expr
    .replace(/\$branch/g, 'BR0001|BR0002')
    .replace(/\$officer/g, 'BR0001-FO01')
    .replace(/\$__rate_interval/g, '1m')
    .replace(/\$__range/g, '24h')
    .replace(/\$__interval/g, '1m');
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'topk',
  'bottomk',
  'quantile',
  'stddev',
  'stdvar',
  'count_values',
  'group',
  'inf',
  'nan',
]);

/** Metric names in a PromQL expression: identifiers outside label matchers, ranges, strings and
 * grouping clauses that are not function calls or keywords. Good enough for our own queries. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(m[0].toLowerCase())) {
      continue;
    }
    names.push(m[0]);
  }
  return names;
}
