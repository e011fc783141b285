// The one way to Prometheus: a fixed base URL, a keep-alive pool, requests the proxy built itself
// from checked values. Answers stay bytes (relayed as received, no decode and re-encode of large
// range answers); only the endpoints that filter an answer parse it (parseAnswer).
import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ProxyError } from './errors.ts';

export interface UpstreamAnswer {
  status: number;
  body: Buffer;
  contentType: string;
}

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
  private readonly url: URL;
  // node:http with a keep-alive pool: measurably cheaper per request than fetch on this path.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });

  constructor(
    base: string,
    readonly timeoutMs: number,
  ) {
    this.base = base.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(this.base)) throw new Error(`--upstream must be a base URL like http://127.0.0.1:9090, got ${base}`);
    this.url = new URL(this.base);
  }

  call(path: string, params: URLSearchParams, method: 'GET' | 'POST'): Promise<UpstreamAnswer> {
    const encoded = params.toString();
    const target = method === 'GET' && encoded ? `${path}?${encoded}` : path;
    const https = this.url.protocol === 'https:';
    let timedOut = false;
    return new Promise((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path: target,
          agent: https ? undefined : this.agent,
          headers:
            method === 'POST'
              ? {
                  'content-type': 'application/x-www-form-urlencoded',
                  'content-length': Buffer.byteLength(encoded),
                  'accept-encoding': 'identity',
                }
              : { 'accept-encoding': 'identity' },
          timeout: this.timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            size += chunk.length;
          });
          response.on('error', (error) =>
            reject(timedOut ? this.timeout() : new ProxyError('upstream_unavailable', `Prometheus upstream failed: ${error.message}`)),
          );
          response.on('end', () => {
            const status = response.statusCode ?? 502;
            const body = joinChunks(chunks, size);
            if (status >= 500) {
              const text = body.toString('utf8');
              let detail = text.slice(0, 300);
              try {
                detail = (JSON.parse(text) as { error?: string }).error ?? detail;
              } catch {
                // not JSON
              }
              let errorType: string | undefined;
              try {
                errorType = (JSON.parse(text) as { errorType?: string }).errorType;
              } catch {
                // not JSON
              }
              const kind = errorType === 'timeout' ? 'upstream_timeout' : status === 503 ? 'upstream_overloaded' : 'upstream_failed';
              reject(
                new ProxyError(
                  kind,
                  kind === 'upstream_timeout'
                    ? `Prometheus gave up on the query: it timed out (${detail})`
                    : `Prometheus upstream answered ${status}: ${detail}`,
                ),
              );
              return;
            }
            // The proxy asks for no compression; an upstream that compresses anyway would hide
            // every label from the filters that read the bytes (fail closed).
            const encoding = response.headers['content-encoding'];
            if (encoding && encoding !== 'identity') {
              reject(
                new ProxyError(
                  'upstream_failed',
                  `Prometheus upstream answered with content-encoding ${encoding}, which the proxy does not accept`,
                ),
              );
              return;
            }
            resolve({ status, body, contentType: String(response.headers['content-type'] ?? 'application/json') });
          });
        },
      );
      request.on('timeout', () => {
        timedOut = true;
        request.destroy(new Error(`timed out after ${this.timeoutMs} ms`));
      });
      request.on('error', (error) =>
        reject(timedOut ? this.timeout() : new ProxyError('upstream_unavailable', `Prometheus upstream unreachable: ${error.message}`)),
      );
      // One write: headers and body leave in a single syscall.
      if (method === 'POST') request.end(encoded);
      else request.end();
    });
  }

  private timeout(): ProxyError {
    return new ProxyError(
      'upstream_timeout',
      `Prometheus did not answer within ${this.timeoutMs} ms (the scope proxy's upstream timeout): the query timed out`,
    );
  }

  close() {
    this.agent.destroy();
  }
}
