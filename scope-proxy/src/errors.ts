// Every way a request can fail, as a typed error, and the one table that turns each into an HTTP
// status and Prometheus's `errorType`. Handlers only throw; the dispatcher (server.ts) answers.
import { PromQLError } from './promql.ts';
import { ScopeError } from './scope.ts';

export type FailureKind =
  | 'bad_request'
  | 'not_found'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'forbidden'
  | 'too_large'
  | 'unsupported_media_type'
  | 'upstream_unavailable'
  | 'upstream_overloaded'
  | 'upstream_timeout'
  | 'upstream_failed'
  | 'client_closed';

/** A failure whose message is safe to show the caller (it names what is wrong and what to do). */
export class ProxyError extends Error {
  override name = 'ProxyError';
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new ProxyError('bad_request', message);

/**
 * The one mapping from failure to answer. `denied` failures are the caller's doing (counted and
 * logged as denials); the others are Prometheus's (counted as allowed, logged as upstream failures).
 */
const ANSWERS: Record<FailureKind, { status: number; errorType: string; denied: boolean }> = {
  bad_request: { status: 400, errorType: 'bad_data', denied: true },
  not_found: { status: 404, errorType: 'not_found', denied: true },
  method_not_allowed: { status: 405, errorType: 'bad_data', denied: true },
  unauthorized: { status: 401, errorType: 'unauthorized', denied: true },
  forbidden: { status: 403, errorType: 'forbidden', denied: true },
  too_large: { status: 413, errorType: 'bad_data', denied: true },
  unsupported_media_type: { status: 415, errorType: 'bad_data', denied: true },
  upstream_unavailable: { status: 502, errorType: 'unavailable', denied: false },
  // Prometheus said 503 (overloaded, shutting down): passed on as 503 so Grafana may retry.
  upstream_overloaded: { status: 503, errorType: 'unavailable', denied: false },
  // Prometheus gave up on the query (its timeout), or did not answer within the proxy's.
  upstream_timeout: { status: 504, errorType: 'timeout', denied: false },
  upstream_failed: { status: 502, errorType: 'internal', denied: false },
  // The caller went away mid-request: nobody to answer; logged, neither a denial nor a fault.
  client_closed: { status: 400, errorType: 'bad_data', denied: false },
};

export interface FailureAnswer {
  status: number;
  errorType: string;
  message: string;
  denied: boolean;
}

/** How to answer a thrown error; undefined for a bug (answered 500 without detail). */
export function answerFor(error: unknown): FailureAnswer | undefined {
  if (error instanceof PromQLError) return { ...ANSWERS.bad_request, message: `invalid query: ${error.message}` };
  if (error instanceof ScopeError) return { ...ANSWERS.forbidden, message: error.message };
  if (error instanceof ProxyError) return { ...ANSWERS[error.kind], message: error.message };
  return undefined;
}
