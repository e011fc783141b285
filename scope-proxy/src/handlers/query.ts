// query, query_range, query_exemplars: the query is scoped (rewriteQuery: parse, add the scope to
// every selector, re-parse and verify) and only the printed result goes to Prometheus.
import { badRequest } from '../errors.ts';
import { rewriteQuery } from '../scope.ts';
import { relay, type Call, type Deps, type Reply } from '../handler.ts';

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
    if (value !== undefined) params.set(key, value);
  }
  return relay(await deps.upstream.call(`/api/v1/${call.endpoint}`, params, 'POST'));
}
