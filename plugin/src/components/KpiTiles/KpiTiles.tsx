import React from 'react';
import { css } from '@emotion/css';
import { formattedValueToString, getValueFormat, type GrafanaTheme2 } from '@grafana/data';
import { Alert, LoadingPlaceholder, Tooltip, useStyles2, useTheme2 } from '@grafana/ui';
import { errorMessage, instantQuery, type Sample } from '../../api/datasource';
import { colorFor, type KpiTile } from '../../kpi/status';
import { useLoad } from '../../utils/useLoad';
import { testIds } from '../testIds';

interface TileResult {
  tile: KpiTile;
  samples: Sample[];
  error?: string;
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) {
    return 'no data';
  }
  // Seconds use Grafana's automatic decimals ("420 ms"); ratios two decimals ("99.95%").
  const decimals = unit === 'percentunit' ? 2 : unit === 's' ? undefined : 0;
  return formattedValueToString(getValueFormat(unit)(value, decimals));
}

/** The current value of each tile's query, coloured by its KPI thresholds. */
export function KpiTiles({ datasourceUid, tiles }: { datasourceUid: string; tiles: KpiTile[] }) {
  const s = useStyles2(getStyles);
  const theme = useTheme2();
  const results = useLoad(
    () =>
      Promise.all(
        tiles.map(async (tile): Promise<TileResult> => {
          try {
            return { tile, samples: await instantQuery(datasourceUid, tile.expr) };
          } catch (e) {
            return { tile, samples: [], error: errorMessage(e) };
          }
        })
      ),
    // Re-query when the data source or the set of queries changes, not on every new array.
    [datasourceUid, tiles.map((t) => t.expr).join('\n')]
  );

  if (results.loading) {
    return <LoadingPlaceholder text="Loading KPIs…" />;
  }
  const all = results.value ?? [];
  if (all.length > 0 && all.every((r) => r.error)) {
    return (
      <Alert title="Could not read your KPIs" severity="error" data-testid={testIds.home.kpiError}>
        {all[0]!.error}
      </Alert>
    );
  }
  return (
    <div className={s.grid} data-testid={testIds.home.kpis}>
      {all.flatMap(({ tile, samples, error }) => {
        const rows = samples.length > 0 ? samples : [{ labels: {}, value: NaN }];
        return rows.map((sample) => {
          const label = tile.perLabel ? sample.labels[tile.perLabel] : undefined;
          const color = colorFor(tile.steps, sample.value);
          const background = color ? theme.visualization.getColorByName(color) : undefined;
          return (
            <Tooltip key={`${tile.key}-${label ?? ''}`} content={tile.description}>
              <div
                className={s.tile}
                style={background ? { background, color: theme.colors.getContrastText(background) } : undefined}
                data-testid={testIds.home.kpiTile}
                data-color={color ?? 'none'}
              >
                <div className={s.title}>
                  {tile.title}
                  {label ? ` · ${label}` : ''}
                </div>
                <div className={s.value}>{error ? 'error' : formatValue(sample.value, tile.unit)}</div>
              </div>
            </Tooltip>
          );
        });
      })}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  grid: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(220px, 1fr))',
    gap: theme.spacing(1),
  }),
  tile: css({
    padding: theme.spacing(1.5, 2),
    borderRadius: theme.shape.radius.default,
    border: `1px solid ${theme.colors.border.weak}`,
    background: theme.colors.background.secondary,
    minHeight: 88,
  }),
  title: css({
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  value: css({
    fontSize: theme.typography.h2.fontSize,
    fontWeight: theme.typography.fontWeightBold,
    marginTop: theme.spacing(0.5),
  }),
});
