// Every panel query of the bundled dashboards, with the dashboard variables substituted the way
// Grafana's Prometheus data source does it. Pure and dependency-free, so a test at the repository
// root can use it with tsx without the plugin's node_modules:
//
//   import { readFileSync } from 'node:fs';
//   import { panelQueries } from '../plugin/src/dashboards/queries.ts';
//   const index = JSON.parse(readFileSync('plugin/src/dashboards/index.json', 'utf8'));
//   for (const q of panelQueries(index, { branch: ['BR0001'], officer: 'BR0001-FO01' })) …

export interface QueryIndex {
  dashboards: Array<{
    uid: string;
    folder: string;
    roles: string[];
    panels: Array<{ id: number; title: string; queries: Array<{ refId: string; expr: string; instant: boolean }> }>;
  }>;
}

export interface Variables {
  /** One or more branch codes; several become a regex alternation, as Grafana does. */
  branch?: string | string[];
  officer?: string;
  /** Defaults: 1m, 24h, 1m. */
  rateInterval?: string;
  range?: string;
  interval?: string;
}

export interface PanelQuery {
  uid: string;
  folder: string;
  roles: string[];
  panelId: number;
  panelTitle: string;
  refId: string;
  instant: boolean;
  /** The query as written in the dashboard. */
  template: string;
  /** The query with the variables substituted. */
  expr: string;
}

/** Grafana's Prometheus data source escapes regex metacharacters in values used with =~. */
function regexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}]/g, '\\\\$&');
}

/** How Grafana writes a (multi-value) variable into a PromQL query. */
export function formatValue(value: string | string[]): string {
  const values = Array.isArray(value) ? value : [value];
  return values.length === 1 ? regexEscape(values[0]!) : `(${values.map(regexEscape).join('|')})`;
}

export function substitute(template: string, vars: Variables): string {
  const replace = (expr: string, name: string, value: string | undefined) => {
    if (value === undefined) {
      return expr;
    }
    // Longest names first is not needed: the names below are not prefixes of one another
    // except $__range/$__rate_interval, which are matched in full by the word boundary.
    return expr.replace(new RegExp(`\\$\\{?${name}\\}?(?![A-Za-z0-9_])`, 'g'), () => value);
  };
  let expr = template;
  expr = replace(expr, '__rate_interval', vars.rateInterval ?? '1m');
  expr = replace(expr, '__range', vars.range ?? '24h');
  expr = replace(expr, '__interval', vars.interval ?? '1m');
  expr = replace(expr, 'branch', vars.branch === undefined ? undefined : formatValue(vars.branch));
  expr = replace(expr, 'officer', vars.officer === undefined ? undefined : formatValue(vars.officer));
  return expr;
}

/** Every panel query of every dashboard (or of the dashboards `filter` keeps), variables substituted. */
export function panelQueries(
  index: QueryIndex,
  vars: Variables,
  filter: (dashboard: QueryIndex['dashboards'][number]) => boolean = () => true
): PanelQuery[] {
  return index.dashboards.filter(filter).flatMap((d) =>
    d.panels.flatMap((p) =>
      p.queries.map((q) => ({
        uid: d.uid,
        folder: d.folder,
        roles: d.roles,
        panelId: p.id,
        panelTitle: p.title,
        refId: q.refId,
        instant: q.instant,
        template: q.expr,
        expr: substitute(q.expr, vars),
      }))
    )
  );
}
