// Rule groups (/api/v1/rules) narrowed to what a scoped caller could have computed
// (docs/scope-proxy.md, "Rules and alerts"):
//  - a rule whose own labels name another branch or officer is left out;
//  - an alerting rule keeps only the alerts in the scope, and its state is recomputed from those;
//  - an alert's value is kept only when the rule's expression computes in-scope results from
//    in-scope series alone (reach.ts); annotations that carry values or query results follow the
//    same test (annotations.ts);
//  - error texts are dropped: Prometheus quotes series from any branch in them.
// Rule definitions (names, expressions, templates) are configuration, not data, and stay.
import { computesInScope } from '../reach.ts';
import type { Scope } from '../scope.ts';
import { visibleAlerts, type Alert } from './alerts.ts';
import { annotationVisible } from './annotations.ts';

export interface Rule {
  type?: string;
  query?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  alerts?: Alert[];
  state?: string;
  lastError?: string;
  [key: string]: unknown;
}

export interface RulesAnswer {
  status: string;
  data: { groups: Array<{ rules: Rule[]; [key: string]: unknown }> };
}

function stateOf(alerts: readonly Alert[]): string {
  if (alerts.some((a) => a.state === 'firing')) return 'firing';
  if (alerts.some((a) => a.state === 'pending')) return 'pending';
  return 'inactive';
}

/** A rule's own labels may not name a branch or officer outside the scope. */
function ruleInScope(labels: Record<string, string> | undefined, scope: Scope): boolean {
  const { branch, officer } = labels ?? {};
  switch (scope.kind) {
    case 'all':
      return true;
    case 'branch':
      return branch === undefined || scope.branches.includes(branch);
    case 'officer':
      return (branch === undefined || branch === scope.branch) && (officer === undefined || officer === scope.officer);
    case 'aggregate':
      return branch === undefined && officer === undefined;
  }
}

function narrowAlert(alert: Alert, rule: Rule, computes: boolean, scope: Scope): Alert {
  const { value, annotations, ...rest } = alert;
  const query = rule.query ?? '';
  const shown = Object.entries(annotations ?? {}).filter(([key]) => annotationVisible(rule.annotations?.[key], query, scope));
  return { ...rest, annotations: Object.fromEntries(shown), ...(computes && value !== undefined ? { value } : {}) };
}

function narrowRule(rule: Rule, scope: Scope): Rule {
  const { lastError: _dropped, ...rest } = rule;
  if (rule.type !== 'alerting') return rest;
  const computes = computesInScope(rule.query ?? '', scope);
  const alerts = visibleAlerts(rule.alerts, scope).map((a) => narrowAlert(a, rule, computes, scope));
  return { ...rest, alerts, state: stateOf(alerts) };
}

export function filterRules(answer: RulesAnswer, scope: Scope): RulesAnswer {
  if (scope.kind === 'all') return answer;
  const groups = (answer.data?.groups ?? []).map((group) => ({
    ...group,
    rules: (group.rules ?? []).filter((rule) => ruleInScope(rule.labels, scope)).map((rule) => narrowRule(rule, scope)),
  }));
  return { ...answer, data: { ...answer.data, groups } };
}
