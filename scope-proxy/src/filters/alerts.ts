// Alerts (/api/v1/alerts and the alerts inside /api/v1/rules) kept only where the caller's scope
// covers their labels (scope.ts, alertInScope).
import { alertInScope, type Scope } from '../scope.ts';

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

export function filterAlerts(answer: AlertsAnswer, scope: Scope): AlertsAnswer {
  return { ...answer, data: { ...answer.data, alerts: visibleAlerts(answer.data?.alerts, scope) } };
}
