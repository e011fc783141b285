// metadata: names, types and help texts, shown only for the metrics the caller can query.
import { badRequest } from '../errors.ts';
import { filterMetadata } from '../filters/metadata.ts';
import { scopeSelector } from '../scope.ts';
import { parseAnswer } from '../upstream.ts';
import { json, relay, type Call, type Deps, type Reply } from '../handler.ts';

export async function handleMetadata(call: Call, deps: Deps): Promise<Reply> {
  const { scope } = call;
  const params = new URLSearchParams();
  const metric = call.params.single.get('metric');
  if (metric !== undefined) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric)) throw badRequest('metric must be a metric name');
    params.set('metric', metric);
  }
  const limit = call.params.single.get('limit');
  if (limit !== undefined) {
    if (!/^-?\d{1,9}$/.test(limit)) throw badRequest('limit must be an integer');
    params.set('limit', limit);
  }
  const answer = await deps.upstream.call('/api/v1/metadata', params, 'GET');
  if (answer.status !== 200 || scope.kind === 'all') return relay(answer);
  let visible: Set<string>;
  if (scope.kind === 'aggregate') visible = new Set(scope.metrics);
  else {
    const names = await deps.upstream.call(
      '/api/v1/label/__name__/values',
      new URLSearchParams({ 'match[]': scopeSelector(scope)! }),
      'GET',
    );
    visible = new Set(parseAnswer<{ data?: string[] }>(names.body).data ?? []);
  }
  return json(filterMetadata(parseAnswer(answer.body), visible));
}
