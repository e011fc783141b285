// The KPI package's public surface: the spec, and the Prometheus, Alertmanager and rule
// configuration generated from it, for the local stack, the compose configs and the tests.
export { KPIS, kpi, thresholdSteps, type Kpi, type KpiId, type ThresholdStep } from './spec.ts';
export { ALERTS, alertByName, type AlertDefinition, type AlertLevel } from './alerts.ts';
export { alertRule, alertRules, ruleFiles, type AlertRule, type RuleOptions } from './rules.ts';
export {
  alertmanagerConfig,
  alertmanagerConfigYaml,
  LADDER,
  MAINTENANCE_WINDOW,
  renderAlertmanagerConfig,
  type AlertmanagerConfigOptions,
  type TimeRange,
} from './alertmanager.ts';
export { blackboxConfigYaml, DEFAULT_TARGETS, prometheusConfigYaml, type PrometheusConfigOptions, type Targets } from './prometheus-config.ts';
export { generatedFiles, staleFiles } from './generate.ts';
