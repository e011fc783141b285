// What a handler is given and what it gives back: handlers read a checked Call and return a Reply
// (or throw a typed error, errors.ts); server.ts writes the answer.
import type { Caller, PolicyStore } from './policy.ts';
import type { ProxyMetrics } from './metrics.ts';
import type { Params } from './form.ts';
import type { Scope } from './scope.ts';
import type { Upstream, UpstreamAnswer } from './upstream.ts';

export type Endpoint =
  | 'query'
  | 'query_range'
  | 'query_exemplars'
  | 'series'
  | 'labels'
  | 'label_values'
  | 'metadata'
  | 'rules'
  | 'alerts'
  | 'buildinfo'
  | 'whoami'
  | 'metrics'
  | 'healthz';

/** What the proxy's parts share, built once at start. */
export interface Deps {
  upstream: Upstream;
  policy: PolicyStore;
  metrics: ProxyMetrics;
  emit(fields: Record<string, unknown>): void;
}

/** One checked request, as a handler sees it. */
export interface Call {
  endpoint: Endpoint;
  /** Set for `user` routes: who is asking, from identity and policy. */
  caller?: Caller;
  /** The caller's scope; `user` routes only. */
  scope: Scope;
  params: Params;
  /** The label name in /api/v1/label/<name>/values. */
  labelName?: string;
  login?: string;
  /** Records the query text for the denial log. */
  noteQuery(text: string): void;
}

export type Reply =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'relay'; answer: UpstreamAnswer }
  | { kind: 'text'; contentType: string; text: string };

export const json = (body: unknown, status = 200): Reply => ({ kind: 'json', status, body });
export const relay = (answer: UpstreamAnswer): Reply => ({ kind: 'relay', answer });
