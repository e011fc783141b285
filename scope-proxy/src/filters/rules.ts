// Rule groups (/api/v1/rules): each alerting rule keeps only the alerts the caller may see, and
// its state is recomputed from those, so it cannot reveal alerts the caller cannot see.
import type { Scope } from '../scope.ts';
import { visibleAlerts, type Alert } from './alerts.ts';

export interface Rule {
  type?: string;
  alerts?: Alert[];
  state?: string;
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

export function filterRules(answer: RulesAnswer, scope: Scope): RulesAnswer {
  const groups = (answer.data?.groups ?? []).map((group) => ({
    ...group,
    rules: (group.rules ?? []).map((rule) => {
      if (rule.type !== 'alerting') return rule;
      const alerts = visibleAlerts(rule.alerts, scope);
      return { ...rule, alerts, state: stateOf(alerts) };
    }),
  }));
  return { ...answer, data: { ...answer.data, groups } };
}
