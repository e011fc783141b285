// The one way to Prometheus: a fixed base URL, a keep-alive pool, requests the proxy built itself
// from checked values. Answers stay bytes (relayed as received, no decode and re-encode of large
// range answers); only the endpoints that filter an answer parse it (parseAnswer).
import { Pool, type Dispatcher } from 'undici';
import { ProxyError } from './errors.ts';

export interface UpstreamAnswer {
  status: number;
  body: Buffer;
  contentType: string;
}

const POST_HEADERS = ['content-type', 'application/x-www-form-urlencoded', 'accept-encoding', 'identity'];
const GET_HEADERS = ['accept-encoding', 'identity'];

export function joinChunks(chunks: Buffer[], size: number): Buffer {
  // One chunk (the usual case for a dashboard query or a small answer): no copy.
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** Prometheus's JSON answer, parsed for filtering; anything else is Prometheus's fault (502). */
export function parseAnswer<T>(body: Buffer): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new ProxyError('upstream_failed', 'Prometheus upstream answered with something that is not JSON');
  }
}

export class Upstream {
  readonly base: string;
  /**
   * undici's connection pool (the Node.js project's HTTP/1.1 client, llhttp's parser), driven
   * through its dispatch callbacks: about a quarter less CPU per request than node:http's
   * ClientRequest and Agent, and than undici's own stream-based request() (docs/benchmarks.md,
   * "the hop"). One request per connection at a time (no pipelining): an answer can only be read
   * by the request that asked for it, and a connection whose answer does not parse is closed,
   * never reused. Up to 64 connections (a few dashboards' panels in flight); idle ones kept 10 s.
   */
  private readonly pool: Pool;

  constructor(
    base: string,
    readonly timeoutMs: number,
  ) {
    this.base = base.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(this.base)) throw new Error(`--upstream must be a base URL like http://127.0.0.1:9090, got ${base}`);
    this.pool = new Pool(this.base, {
      connections: 64,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      // Silence on the connection for this long, before or during the answer, is a timeout.
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  call(path: string, params: URLSearchParams, method: 'GET' | 'POST'): Promise<UpstreamAnswer> {
    const encoded = params.toString();
    return new Promise((resolve, reject) => {
      let status = 0;
      let contentType = 'application/json';
      let encoding: string | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      this.pool.dispatch(
        method === 'POST'
          ? { method, path, headers: POST_HEADERS, body: encoded }
          : { method, path: encoded ? `${path}?${encoded}` : path, headers: GET_HEADERS },
        {
          onConnect() {},
          onHeaders(statusCode: number, raw: Buffer[]) {
            status = statusCode;
            for (let i = 0; i + 1 < raw.length; i += 2) {
              const name = raw[i]!.toString('latin1').toLowerCase();
              if (name === 'content-type') contentType = raw[i + 1]!.toString('latin1');
              else if (name === 'content-encoding') encoding = raw[i + 1]!.toString('latin1');
            }
            return true;
          },
          onData(chunk: Buffer) {
            chunks.push(chunk);
            size += chunk.length;
            return true;
          },
          onComplete: () => {
            try {
              resolve(this.answer(status, joinChunks(chunks, size), contentType, encoding));
            } catch (error) {
              reject(error as Error);
            }
          },
          onError: (error: Error) => reject(this.failure(error, status ? 'failed' : 'unreachable')),
        } as unknown as Dispatcher.DispatchHandler,
      );
    });
  }

  /** Prometheus's answer as the proxy relays it, or the error it means. */
  private answer(status: number, body: Buffer, contentType: string, encoding: string | undefined): UpstreamAnswer {
    if (status >= 500) {
      const text = body.toString('utf8');
      let detail = text.slice(0, 300);
      let errorType: string | undefined;
      try {
        const json = JSON.parse(text) as { error?: string; errorType?: string };
        detail = json.error ?? detail;
        errorType = json.errorType;
      } catch {
        // not JSON
      }
      const kind = errorType === 'timeout' ? 'upstream_timeout' : status === 503 ? 'upstream_overloaded' : 'upstream_failed';
      throw new ProxyError(
        kind,
        kind === 'upstream_timeout'
          ? `Prometheus gave up on the query: it timed out (${detail})`
          : `Prometheus upstream answered ${status}: ${detail}`,
      );
    }
    // The proxy asks for no compression; an upstream that compresses anyway would hide every
    // label from the filters that read the bytes (fail closed).
    if (encoding && encoding !== 'identity')
      throw new ProxyError(
        'upstream_failed',
        `Prometheus upstream answered with content-encoding ${encoding}, which the proxy does not accept`,
      );
    return { status, body, contentType };
  }

  /** undici's error as the proxy's: a timeout says so; anything else is unreachable or failed. */
  private failure(error: unknown, what: 'unreachable' | 'failed'): ProxyError {
    const code = (error as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return this.timeout();
    return new ProxyError('upstream_unavailable', `Prometheus upstream ${what}: ${(error as Error).message}`);
  }

  private timeout(): ProxyError {
    return new ProxyError(
      'upstream_timeout',
      `Prometheus did not answer within ${this.timeoutMs} ms (the scope proxy's upstream timeout): the query timed out`,
    );
  }

  close() {
    this.pool.destroy().catch(() => undefined);
  }
}
