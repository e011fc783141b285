// series, labels, label values: every match[] is scoped; a listing without match[] gets the
// scope's own selector (it would list everything otherwise); series answers are filtered again.
import { badRequest } from '../errors.ts';
import { dropScopedLabels } from '../filters/aggregate.ts';
import { filterSeries } from '../filters/series.ts';
import { rewriteSeriesSelector, scopeSelector } from '../scope.ts';
import { parseAnswer } from '../upstream.ts';
import { json, relay, type Call, type Deps, type Reply } from '../handler.ts';

export const MAX_MATCHERS = 50;

export async function handleListing(call: Call, deps: Deps): Promise<Reply> {
  const { endpoint, scope } = call;
  const matches = call.params.multi.get('match[]') ?? [];
  call.noteQuery(matches.join(' ; '));
  if (matches.length > MAX_MATCHERS) throw badRequest(`at most ${MAX_MATCHERS} match[] selectors`);
  if (endpoint === 'series' && matches.length === 0) throw badRequest('no match[] parameter provided');
  const params = new URLSearchParams();
  for (const m of matches) params.append('match[]', rewriteSeriesSelector(m, scope));
  if (matches.length === 0) {
    const selector = scopeSelector(scope);
    if (selector) params.append('match[]', selector);
  }
  for (const key of ['start', 'end', 'limit']) {
    const value = call.params.single.get(key);
    if (value !== undefined) params.set(key, value);
  }
  const path = endpoint === 'label_values' ? `/api/v1/label/${call.labelName}/values` : `/api/v1/${endpoint}`;
  const answer = await deps.upstream.call(path, params, endpoint === 'label_values' ? 'GET' : 'POST');
  if (scope.kind === 'aggregate' && answer.status === 200 && endpoint !== 'series') {
    return json(dropScopedLabels(parseAnswer<{ status: string; data?: unknown }>(answer.body), call.labelName));
  }
  if (endpoint !== 'series' || answer.status !== 200 || scope.kind === 'all') return relay(answer);
  // Defence in depth: every series listed must be inside the scope.
  const body = parseAnswer<{ status: string; data: Array<Record<string, string>> }>(answer.body);
  const { answer: filtered, dropped } = filterSeries(body, scope);
  if (dropped > 0) deps.emit({ level: 'error', msg: 'series outside scope dropped after rewrite', login: call.login, dropped });
  return json(filtered);
}
