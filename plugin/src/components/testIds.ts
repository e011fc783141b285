export const testIds = {
  appConfig: {
    datasource: 'data-testid ac-datasource',
    submit: 'data-testid ac-submit-form',
    check: 'data-testid ac-connection-check',
    checkResult: 'data-testid ac-connection-result',
  },
  home: {
    container: 'data-testid pw-home',
    identity: 'data-testid pw-home-identity',
    dashboards: 'data-testid pw-home-dashboards',
    kpis: 'data-testid pw-home-kpis',
    kpiTile: 'data-testid pw-home-kpi-tile',
    kpiError: 'data-testid pw-home-kpi-error',
    error: 'data-testid pw-home-error',
  },
  metrics: {
    container: 'data-testid pw-metrics',
    search: 'data-testid pw-metrics-search',
    row: 'data-testid pw-metrics-row',
    liveWarning: 'data-testid pw-metrics-live-warning',
  },
  notConfigured: 'data-testid pw-not-configured',
};
