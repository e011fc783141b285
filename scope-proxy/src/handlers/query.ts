// query, query_range, query_exemplars: the query is scoped (rewriteQuery: parse, add the scope to
// every selector, re-parse and verify) and only the printed result goes to Prometheus.
import { badRequest } from '../errors.ts';
import { durationSeconds } from '../cost.ts';
import { rewriteQuery } from '../scope.ts';
import { dropScopedSeries, mayCarryScopedLabels, type QueryAnswer } from '../filters/aggregate.ts';
import { json, relay, type Call, type Deps, type Reply } from '../handler.ts';
import { parseAnswer } from '../upstream.ts';

const PASSED_ON: Record<string, readonly string[]> = {
  query: ['time', 'timeout'],
  query_range: ['start', 'end', 'step', 'timeout'],
  query_exemplars: ['start', 'end'],
};

export async function handleQuery(call: Call, deps: Deps): Promise<Reply> {
  const query = call.params.single.get('query');
  if (query !== undefined) call.noteQuery(query);
  if (query === undefined || query === '') throw badRequest('missing query parameter');
  const params = new URLSearchParams({ query: rewriteQuery(query, call.scope) });
  for (const key of PASSED_ON[call.endpoint]!) {
    const value = call.params.single.get(key);
    if (value === undefined) continue;
    if (key === 'timeout') checkTimeout(value, deps.upstream.timeoutMs);
    params.set(key, value);
  }
  const answer = await deps.upstream.call(`/api/v1/${call.endpoint}`, params, 'POST');
  if (call.scope.kind !== 'aggregate' || answer.status !== 200 || call.endpoint === 'query_exemplars') return relay(answer);
  // The aggregate scope's selectors name series only; drop any per-branch one (filters/aggregate.ts),
  // reading the answer only when its bytes could hold one.
  if (!mayCarryScopedLabels(answer.body)) return relay(answer);
  const { answer: kept, dropped } = dropScopedSeries(parseAnswer<QueryAnswer>(answer.body));
  if (dropped > 0)
    deps.emit({
      level: 'error',
      msg: 'per-branch series dropped from an aggregate answer: an allow-listed rule carries branch or officer',
      login: call.login,
      dropped,
    });
  return json(kept);
}

/**
 * Prometheus's `timeout` (a duration or seconds) must give the query a real chance and end before
 * the proxy's own upstream timeout: `timeout=0.000001` used to come back as Prometheus's 503.
 */
function checkTimeout(value: string, upstreamTimeoutMs: number): void {
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : /^(\d+(ms|y|w|d|h|m|s))+$/.test(value) ? durationSeconds(value) : NaN;
  const max = upstreamTimeoutMs / 1000;
  if (!(seconds >= 1 && seconds <= max))
    throw badRequest(
      `timeout must be a duration between 1s and ${max}s (the proxy's own limit), got ${JSON.stringify(value.slice(0, 40))}`,
    );
}
