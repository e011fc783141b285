// The KPI package's public surface: the spec, and the Prometheus, Alertmanager and rule
// configuration generated from it, for the local stack, the compose configs and the tests.
// The KPI spec itself lives in the contract (@paywatch/contract); re-exported for the generators' users.
export { KPIS, kpi, thresholdSteps, type Kpi, type KpiId, type ThresholdStep } from '@paywatch/contract';
export { ALERTS, alertByName, type AlertDefinition, type AlertLevel } from './alerts.ts';
export { alertRule, alertRules, durationSeconds, ruleFiles, type AlertRule, type RuleOptions } from './rules.ts';
export {
  alertmanagerConfig,
  alertmanagerConfigYaml,
  RECEIVER_ENV,
  TEAM_RECEIVERS,
  TEAM_GROUP_WAIT,
  LADDER,
  MAINTENANCE_INTERVAL_NAME,
  MAINTENANCE_WINDOW,
  renderAlertmanagerConfig,
  type AlertmanagerConfigOptions,
  type TimeRange,
} from './alertmanager.ts';
export {
  blackboxConfigYaml,
  DEFAULT_TARGETS,
  prometheusConfigYaml,
  type PrometheusConfigOptions,
  type Targets,
} from './prometheus-config.ts';
export { generatedFiles, staleFiles } from './generate.ts';
export { postgresExporterQueriesYaml } from './postgres-exporter.ts';
export { aftermathOf, causedByMaintenance, MAINTENANCE_ALERT, maintenanceAlertRules, maintenanceSources, NOBODY } from './maintenance.ts';
export {
  AFTERMATH_ALERT,
  aftermathAlertRules,
  aftermathInhibitRules,
  aftermathSources,
  incidentAftermathOf,
  type AftermathSource,
} from './aftermath.ts';
export { CRITICAL_GROUP_INTERVAL, GROUP_INTERVAL, inhibitRules } from './alertmanager.ts';
