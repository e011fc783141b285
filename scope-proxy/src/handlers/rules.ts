// rules and alerts: Prometheus's answers filtered to the caller's scope (filters/rules.ts,
// filters/alerts.ts).
import { badRequest } from '../errors.ts';
import { filterAlerts, type AlertsAnswer } from '../filters/alerts.ts';
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
  const answer = await deps.upstream.call(`/api/v1/${endpoint}`, params, 'GET');
  if (answer.status !== 200 || scope.kind === 'all') return relay(answer);
  if (endpoint === 'alerts') return json(filterAlerts(parseAnswer<AlertsAnswer>(answer.body), scope));
  return json(filterRules(parseAnswer<RulesAnswer>(answer.body), scope));
}
