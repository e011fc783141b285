// rules and alerts: Prometheus's answers narrowed to the caller's scope (filters/rules.ts). A
// scoped caller's alerts come from the rules answer, where each alert sits beside its rule
// (filters/alerts.ts); the `all` scope gets Prometheus's answers as they are.
import { badRequest } from '../errors.ts';
import { alertsFromRules } from '../filters/alerts.ts';
import { filterRules, type RulesAnswer } from '../filters/rules.ts';
import { parseAnswer } from '../upstream.ts';
import { json, relay, type Call, type Deps, type Reply } from '../handler.ts';

export async function handleRules(call: Call, deps: Deps): Promise<Reply> {
  const { endpoint, scope } = call;
  const params = new URLSearchParams();
  const type = call.params.single.get('type');
  if (type !== undefined) {
    if (type !== 'alert' && type !== 'record') throw badRequest('type must be alert or record');
    params.set('type', type);
  }
  if (scope.kind === 'all') return relay(await deps.upstream.call(`/api/v1/${endpoint}`, params, 'GET'));
  if (endpoint === 'alerts') params.set('type', 'alert');
  const answer = await deps.upstream.call('/api/v1/rules', params, 'GET');
  if (answer.status !== 200) return relay(answer);
  const rules = parseAnswer<RulesAnswer>(answer.body);
  return json(endpoint === 'alerts' ? alertsFromRules(rules, scope) : filterRules(rules, scope));
}
