// A mock of Grafana's backendSrv — the Grafana server as the pages see it. Tests declare what the
// server answers per URL (through the data source proxy to the scope proxy, or Grafana's own API),
// including failures with an HTTP status, and can inspect the requests made.
import { Observable, of, throwError } from 'rxjs';

export interface MockRequest {
  url: string;
  method?: string;
  params?: Record<string, string>;
  data?: unknown;
}

type Answer = { data: unknown } | { status: number; data?: unknown; statusText?: string };
type Route = { match: (req: MockRequest) => boolean; answer: (req: MockRequest) => Answer };

let routes: Route[] = [];
export const requests: MockRequest[] = [];

export const backendSrv = {
  fetch: jest.fn((req: MockRequest): Observable<{ data: unknown; status: number }> => {
    requests.push(req);
    const route = [...routes].reverse().find((r) => r.match(req));
    if (!route) {
      return throwError(() => ({ status: 404, data: { message: `no mock for ${req.url}` } }));
    }
    const answer = route.answer(req);
    if ('status' in answer && answer.status >= 400) {
      return throwError(() => answer);
    }
    return of({ data: answer.data, status: 200 });
  }),
};

export function resetServer() {
  routes = [];
  requests.length = 0;
  backendSrv.fetch.mockClear();
}

/** Answer requests whose URL ends with `path` (query string aside). */
export function serve(path: string, answer: Answer | ((req: MockRequest) => Answer)) {
  routes.push({
    match: (req) => req.url.split('?')[0]!.endsWith(path),
    answer: typeof answer === 'function' ? answer : () => answer,
  });
}

/** Answer Prometheus instant queries: `values(expr)` gives the samples for each query. */
export function servePrometheus(
  values: (expr: string) => Array<{ labels?: Record<string, string>; value: number }> | Answer
) {
  serve('/api/v1/query', (req) => {
    const result = values(req.params?.query ?? '');
    if (!Array.isArray(result)) {
      return result;
    }
    return {
      data: {
        status: 'success',
        data: {
          resultType: 'vector',
          result: result.map((s) => ({ metric: s.labels ?? {}, value: [1700000000, String(s.value)] })),
        },
      },
    };
  });
}
