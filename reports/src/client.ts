// Reads numbers the only way a report may: through the scope proxy's HTTP API, as the recipient,
// exactly as Grafana's data source does (the login in X-Grafana-User plus the shared secret). The
// proxy applies that person's scope to every query, so a report can never show more than their
// dashboards do.

export const DEFAULT_SECRET_HEADER = 'X-Paywatch-Proxy-Secret';

export interface ProxyTarget {
  /** Base URL of the scope proxy, e.g. http://127.0.0.1:9410 */
  url: string;
  secret: string;
  secretHeader?: string;
}

export type Scope =
  | { kind: 'all' }
  | { kind: 'branch'; branches: string[] }
  | { kind: 'officer'; branches: string[]; branch: string; officer: string }
  | { kind: 'aggregate'; metrics: string[] };

export interface WhoAmI {
  login: string;
  role: string;
  scope: Scope;
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface RangeSeries {
  labels: Record<string, string>;
  points: Array<[number, number]>;
}

/** The person may not have this report: shown to them as is, exit code 3 from the command. */
export class ReportRefused extends Error {
  override name = 'ReportRefused';
}

/** The proxy or Prometheus failed, or a number the report needs is missing: no report is made. */
export class ReportUnavailable extends Error {
  override name = 'ReportUnavailable';
}

interface ApiBody {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: unknown;
}

export class ScopeClient {
  /** Queries this client sent to the proxy (for the benchmark and the render metrics). */
  queries = 0;

  /**
   * @param shared answers by query, shared between clients of the same person in one request
   *   (e.g. one per branch of a manager of several branches): an identical query from the same
   *   recipient is asked once. Never share it between two people: the proxy answers per person.
   */
  constructor(
    private readonly target: ProxyTarget,
    readonly login: string,
    private readonly shared = new Map<string, Promise<unknown>>(),
  ) {}

  /** Another client for the same person sharing this one's answers, with its own query count. */
  sibling(): ScopeClient {
    return new ScopeClient(this.target, this.login, this.shared);
  }

  /** One proxy call per distinct (path, parameters) for this person; a failed one is not kept. */
  private call(path: string, params: Record<string, string>): Promise<unknown> {
    const key = `${path}?${new URLSearchParams(params)}`;
    let answer = this.shared.get(key);
    if (!answer) {
      answer = this.send(path, params);
      this.shared.set(key, answer);
      answer.catch(() => this.shared.delete(key));
    }
    return answer;
  }

  private async send(path: string, params: Record<string, string>): Promise<unknown> {
    const url = `${this.target.url.replace(/\/$/, '')}/api/v1/${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'X-Grafana-User': this.login,
          [this.target.secretHeader ?? DEFAULT_SECRET_HEADER]: this.target.secret,
        },
        body: new URLSearchParams(params),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new ReportUnavailable(
        `cannot reach the scope proxy at ${this.target.url} (${cause}): is the stack running (npm start)? Point at another with --proxy-url or PAYWATCH_SCOPE_PROXY_URL.`,
      );
    }
    this.queries++;
    let body: ApiBody;
    try {
      body = (await response.json()) as ApiBody;
    } catch {
      throw new ReportUnavailable(`the scope proxy at ${this.target.url} answered HTTP ${response.status} without JSON to ${path}`);
    }
    if (response.status === 401)
      throw new ReportUnavailable(
        `the scope proxy refused the report service's credentials (${body.error ?? 'unauthorized'}): the shared secret (PAYWATCH_PROXY_SECRET) must be the proxy's`,
      );
    if (response.status === 403) throw new ReportRefused(`${this.login} may not read this: ${body.error ?? 'forbidden'}`);
    if (body.status !== 'success')
      throw new ReportUnavailable(
        `the scope proxy answered HTTP ${response.status} to ${path} ${params.query ?? ''}: ${body.error ?? 'error'}`,
      );
    return body.data;
  }

  async whoami(): Promise<WhoAmI> {
    return (await this.call('paywatch/whoami', {})) as WhoAmI;
  }

  /** An instant query at `time` (epoch seconds). NaN values are kept: callers decide. */
  async instant(query: string, time: number): Promise<Sample[]> {
    const data = (await this.call('query', { query, time: String(time) })) as {
      resultType: string;
      result: Array<{ metric: Record<string, string>; value: [number, string] }>;
    };
    if (data.resultType !== 'vector') throw new ReportUnavailable(`expected a vector from ${query}, got ${data.resultType}`);
    return data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }

  async range(query: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
    const data = (await this.call('query_range', { query, start: String(start), end: String(end), step: String(step) })) as {
      result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
    };
    return data.result.map((r) => ({ labels: r.metric, points: r.values.map(([t, v]) => [t, Number(v)] as [number, number]) }));
  }

  /** One number (the sum of what the query returns), or undefined when there is no series. */
  async scalar(query: string, time: number): Promise<number | undefined> {
    const samples = (await this.instant(query, time)).filter((s) => !Number.isNaN(s.value));
    return samples.length ? samples.reduce((sum, s) => sum + s.value, 0) : undefined;
  }
}
