// What every Paywatch dashboard shares: ids, the data source and label variables, the links every
// dashboard carries, the common frame (base) and stable panel ids (withIds). One file per audience
// (executive.ts, business.ts, …) builds on these; ../dashboards.ts lists them.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

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

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Data source')
    .description('The Paywatch scope proxy (a Prometheus data source). Every panel reads through it.')
    .type('prometheus')
    .regex('')
    .allowCustomValue(false)
    .current({ selected: true, text: 'Paywatch', value: 'paywatch-prometheus' });
}

export function labelValuesVariable(name: string, label: string, query: string, description: string, multi: boolean) {
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
export function commonLinks(): dashboard.DashboardLinkBuilder[] {
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

export function linkTo(
  title: string,
  uid: string,
  tooltip: string,
  includeVars = false
): dashboard.DashboardLinkBuilder {
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

export function base(uid: string, title: string, description: string, refresh: string, from: string, tags: string[]) {
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

export const PER_MINUTE = 60;

/** Stable panel ids (1, 2, …) in layout order, so links like viewPanel=<id> and the query index hold. */
export function withIds(build: () => dashboard.Dashboard): () => dashboard.Dashboard {
  return () => {
    const d = build();
    (d.panels ?? []).forEach((p, i) => {
      p.id = i + 1;
    });
    return d;
  };
}
