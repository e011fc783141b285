import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { urlUtil, type GrafanaTheme2 } from '@grafana/data';
import { config, PluginPage } from '@grafana/runtime';
import { Alert, Badge, Icon, Input, LinkButton, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import catalogue from '../catalogue/metrics.json';
import { datasourceGet } from '../api/datasource';
import { fetchWhoami } from '../api/whoami';
import { NotConfigured } from '../components/NotConfigured';
import { testIds } from '../components/testIds';
import { useSettings } from '../settings';
import { useLoad } from '../utils/useLoad';
import type { CatalogueMetric } from '../../scripts/lib/catalogue';


const METRICS = catalogue as CatalogueMetric[];

/** A useful first query: rates for counters, p95 for histograms, the series itself otherwise. */
export function exploreExpr(m: CatalogueMetric): string {
  if (m.type === 'counter') {
    return `rate(${m.name}[$__rate_interval])`;
  }
  if (m.type === 'histogram') {
    return `histogram_quantile(0.95, sum by (le) (rate(${m.name}_bucket[$__rate_interval])))`;
  }
  return m.name;
}

export function exploreUrl(datasourceUid: string, expr: string): string {
  const panes = {
    pw: {
      datasource: datasourceUid,
      queries: [{ refId: 'A', expr, datasource: { type: 'prometheus', uid: datasourceUid } }],
      range: { from: 'now-1h', to: 'now' },
    },
  };
  return urlUtil.renderUrl(`${config.appSubUrl ?? ''}/explore`, {
    schemaVersion: 1,
    panes: JSON.stringify(panes),
    orgId: 1,
  });
}

const TYPE_COLORS: Record<string, 'blue' | 'green' | 'orange' | 'purple'> = {
  counter: 'blue',
  gauge: 'green',
  histogram: 'orange',
  'recording rule': 'purple',
};

function Catalogue({ datasourceUid }: { datasourceUid: string }) {
  const s = useStyles2(getStyles);
  const [search, setSearch] = useState('');
  // Which metrics Prometheus knows right now (through the scope proxy). Optional: the catalogue
  // comes from the metric contract; live metadata only marks what is being exported.
  const live = useLoad(
    () =>
      datasourceGet<{ data?: Record<string, unknown> }>(datasourceUid, 'api/v1/metadata').then(
        (b) => new Set(Object.keys(b?.data ?? {}))
      ),
    [datasourceUid]
  );
  // Explore only for roles the policy lets explore (access sync makes exactly them Editors, whom
  // Grafana OSS lets into Explore): a button to a page Grafana refuses helps nobody.
  const who = useLoad(() => fetchWhoami(datasourceUid), [datasourceUid]);
  const canExplore = who.value?.explore === true;
  const shown = useMemo(() => {
    const words = search.toLowerCase().split(/\s+/).filter(Boolean);
    return METRICS.filter((m) =>
      words.every((w) => `${m.name} ${m.type} ${m.labels.join(' ')} ${m.help}`.toLowerCase().includes(w))
    );
  }, [search]);

  return (
    <div data-testid={testIds.metrics.container}>
      <p className={s.intro}>
        Every metric and recording rule of the Paywatch metric contract (docs/metrics.md).
        {canExplore ? ' Open one in Explore to query it through the scope proxy.' : ''}
      </p>
      {live.error && (
        <Alert title="Live metadata unavailable" severity="warning" data-testid={testIds.metrics.liveWarning}>
          {live.error} The catalogue below is from the metric contract.
        </Alert>
      )}
      <Input
        className={s.search}
        prefix={<Icon name="search" />}
        placeholder="Filter by name, type, label or meaning"
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        data-testid={testIds.metrics.search}
      />
      {live.loading && <LoadingPlaceholder text="Checking which metrics Prometheus has…" />}
      <table className={s.table}>
        <thead>
          <tr>
            <th>Metric</th>
            <th>Type</th>
            <th>Labels</th>
            <th>Meaning</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {shown.map((m) => (
            <tr key={m.name} data-testid={testIds.metrics.row}>
              <td>
                <code>{m.name}</code>
                {live.value && !live.value.has(m.name) && m.type !== 'recording rule' && (
                  <div className={s.weak}>not exported right now</div>
                )}
              </td>
              <td>
                <Badge text={m.type} color={TYPE_COLORS[m.type] ?? 'blue'} />
              </td>
              <td>
                {m.labels.length ? (
                  m.labels.map((l) => (
                    <code key={l} className={s.label}>
                      {l}
                    </code>
                  ))
                ) : (
                  <span className={s.weak}>none</span>
                )}
              </td>
              <td>{m.help.replace(/`/g, '')}</td>
              <td>
                {canExplore && (
                  <LinkButton
                    size="sm"
                    variant="secondary"
                    icon="compass"
                    href={exploreUrl(datasourceUid, exploreExpr(m))}
                  >
                    Explore
                  </LinkButton>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p>No metric matches “{search}”.</p>}
    </div>
  );
}

function MetricsCatalogue() {
  const { datasourceUid } = useSettings();
  return <PluginPage>{datasourceUid ? <Catalogue datasourceUid={datasourceUid} /> : <NotConfigured />}</PluginPage>;
}

export default MetricsCatalogue;

const getStyles = (theme: GrafanaTheme2) => ({
  intro: css({ color: theme.colors.text.secondary }),
  search: css({ margin: theme.spacing(2, 0), maxWidth: 480 }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': {
      padding: theme.spacing(0.75, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      textAlign: 'left',
      verticalAlign: 'top',
    },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
  }),
  label: css({ marginRight: theme.spacing(0.5) }),
  weak: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
