// Alerts a scoped caller may see: only those whose labels lie in the scope (scope.ts,
// alertInScope). Their values and annotations are narrowed per rule (rules.ts), so a scoped
// caller's /api/v1/alerts is built from the rules answer, where each alert sits beside the rule
// (expression and annotation templates) that produced it.
import { alertInScope, type Scope } from '../scope.ts';
import { filterRules, type RulesAnswer } from './rules.ts';

export interface Alert {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  state?: string;
  value?: string;
  [key: string]: unknown;
}

export interface AlertsAnswer {
  status: string;
  data: { alerts: Alert[] };
}

export function visibleAlerts(alerts: readonly Alert[] | undefined, scope: Scope): Alert[] {
  return (alerts ?? []).filter((a) => alertInScope(a.labels ?? {}, scope));
}

/** /api/v1/alerts for a scoped caller, from Prometheus's /api/v1/rules?type=alert answer. */
export function alertsFromRules(answer: RulesAnswer, scope: Scope): AlertsAnswer {
  const alerts: Alert[] = [];
  for (const group of filterRules(answer, scope).data.groups) {
    for (const rule of group.rules) if (rule.type === 'alerting') alerts.push(...(rule.alerts ?? []));
  }
  return { status: answer.status, data: { alerts } };
}
