// The scope proxy's HTTP side: a fixed table of endpoints, strict parameter handling, identity,
// scope, and the call to Prometheus. Nothing the caller sends is forwarded as is: the proxy builds
// every upstream request itself from checked values (a fixed path, re-encoded parameters, queries
// it printed and verified), so path or encoding tricks have nothing to ride on.
import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Identifier, type IdentityMode, type IdentityOptions } from './identity.ts';
import { createMetrics, type ProxyMetrics } from './metrics.ts';
import { PolicyStore, resolveCaller, type Caller } from './policy.ts';
import { PromQLError } from './promql.ts';
import { alertInScope, rewriteQuery, rewriteSeriesSelector, ScopeError, scopeSelector, seriesInScope, type Scope } from './scope.ts';

export interface ScopeProxyOptions {
  policyPath: string;
  /** Prometheus base URL, e.g. http://127.0.0.1:9090 */
  upstream: string;
  port?: number;
  host?: string;
  /** The data source's shared secret. */
  secret: string;
  secretHeader?: string;
  identityMode?: IdentityMode;
  identity?: Omit<IdentityOptions, 'mode' | 'secret' | 'secretHeader'>;
  /** One JSON object per line; default: stdout. */
  log?: (line: string) => void;
  /** Follow policy file changes (default true). */
  watchPolicy?: boolean;
  policyPollMs?: number;
  upstreamTimeoutMs?: number;
}

export interface ScopeProxy {
  url: string;
  port: number;
  policy: PolicyStore;
  metrics: ProxyMetrics;
  stop(): Promise<void>;
}

type Endpoint =
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

const FIXED_ROUTES: Record<string, Endpoint> = {
  '/api/v1/query': 'query',
  '/api/v1/query_range': 'query_range',
  '/api/v1/query_exemplars': 'query_exemplars',
  '/api/v1/series': 'series',
  '/api/v1/labels': 'labels',
  '/api/v1/metadata': 'metadata',
  '/api/v1/rules': 'rules',
  '/api/v1/alerts': 'alerts',
  '/api/v1/status/buildinfo': 'buildinfo',
  '/api/v1/paywatch/whoami': 'whoami',
  '/metrics': 'metrics',
  '/healthz': 'healthz',
};
const LABEL_VALUES = /^\/api\/v1\/label\/([a-zA-Z_][a-zA-Z0-9_]*)\/values$/;

/** Parameters each endpoint takes; `multi` ones may repeat, the rest must be given once. */
const PARAMS: Partial<Record<Endpoint, { single: string[]; multi: string[] }>> = {
  query: { single: ['query', 'time', 'timeout'], multi: [] },
  query_range: { single: ['query', 'start', 'end', 'step', 'timeout'], multi: [] },
  query_exemplars: { single: ['query', 'start', 'end'], multi: [] },
  series: { single: ['start', 'end', 'limit'], multi: ['match[]'] },
  labels: { single: ['start', 'end', 'limit'], multi: ['match[]'] },
  label_values: { single: ['start', 'end', 'limit'], multi: ['match[]'] },
  metadata: { single: ['metric', 'limit'], multi: [] },
  rules: { single: ['type'], multi: [] },
  alerts: { single: [], multi: [] },
  buildinfo: { single: [], multi: [] },
  whoami: { single: [], multi: [] },
};
const MAX_BODY = 1 << 20;
const MAX_MATCHERS = 50;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

/** Strict form decoding: `;` separators and malformed percent-encoding are refused, not guessed. */
export function decodeForm(text: string, where: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (!text) return out;
  if (text.includes(';')) throw new HttpError(400, 'bad_data', `invalid ${where}: ';' is not a parameter separator`);
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    try {
      out.push([decodeURIComponent(rawKey.replace(/\+/g, ' ')), decodeURIComponent(rawValue.replace(/\+/g, ' '))]);
    } catch {
      throw new HttpError(400, 'bad_data', `invalid ${where}: malformed percent-encoding`);
    }
  }
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, errorType: string, error: string) {
  sendJson(res, status, { status: 'error', errorType, error });
}

function joinChunks(chunks: Buffer[], size: number): Buffer {
  // One chunk (the usual case for a dashboard query or a small answer): no copy.
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** The request body, read with plain events (no async iterator on the hot path). */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY) {
        failed = true;
        reject(new HttpError(413, 'bad_data', `request body larger than ${MAX_BODY} bytes`));
        req.destroy(); // as before: stop reading an oversized body at once
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(joinChunks(chunks, size).toString('utf8'));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
      failed = true;
    });
    req.on('close', () => {
      if (!failed && !req.complete) {
        failed = true;
        reject(new HttpError(400, 'bad_data', 'request body cut short'));
      }
    });
  });
}

function scopeSummary(scope: Scope): Record<string, unknown> {
  switch (scope.kind) {
    case 'all':
      return { kind: 'all' };
    case 'branch':
      return { kind: 'branch', branches: scope.branches };
    case 'officer':
      return { kind: 'officer', branches: [scope.branch], branch: scope.branch, officer: scope.officer };
    case 'aggregate':
      return { kind: 'aggregate', metrics: scope.metrics };
  }
}

interface Context {
  endpoint: Endpoint | 'unknown';
  caller?: Caller;
  login?: string;
  method: string;
  path: string;
  query?: string;
}

export async function startScopeProxy(options: ScopeProxyOptions): Promise<ScopeProxy> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (fields: Record<string, unknown>) => log(JSON.stringify({ ts: new Date().toISOString(), component: 'scope-proxy', ...fields }));
  const metrics = createMetrics();
  const policy = new PolicyStore(options.policyPath, {
    onReload(result, detail) {
      metrics.reloads.inc({ result });
      metrics.lastReloadSuccess.set(result === 'success' ? 1 : 0);
      if (result === 'success') emit({ level: 'info', msg: 'policy reloaded', digest: detail.digest });
      else emit({ level: 'error', msg: 'policy reload failed; keeping the last good policy', error: detail.error });
    },
  });
  const identifier = new Identifier({
    mode: options.identityMode ?? 'header',
    secret: options.secret,
    ...(options.secretHeader ? { secretHeader: options.secretHeader } : {}),
    ...(options.identity ?? {}),
  });
  const upstream = options.upstream.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(upstream)) throw new Error(`--upstream must be a base URL like http://127.0.0.1:9090, got ${options.upstream}`);
  const timeoutMs = options.upstreamTimeoutMs ?? 120_000;
  let buildVersion: string | undefined;

  const deny = (res: ServerResponse, ctx: Context, status: number, errorType: string, reason: string) => {
    metrics.requests.inc({ role: ctx.caller?.role.name ?? 'none', endpoint: ctx.endpoint, decision: 'denied' });
    emit({
      level: 'warn',
      msg: 'denied',
      login: ctx.login ?? null,
      role: ctx.caller?.role.name ?? null,
      endpoint: ctx.endpoint,
      method: ctx.method,
      path: ctx.path.slice(0, 300),
      ...(ctx.query !== undefined ? { query: ctx.query.slice(0, 500) } : {}),
      status,
      reason,
    });
    sendError(res, status, errorType, reason);
  };

  // node:http with a keep-alive pool: measurably cheaper per request than fetch on this path.
  const upstreamUrl = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });
  // Answers stay bytes: relayed as received (no decode and re-encode of large range answers);
  // only the endpoints that filter an answer parse it.
  function callUpstream(path: string, params: URLSearchParams, method: 'GET' | 'POST'): Promise<{ status: number; body: Buffer; contentType: string }> {
    const encoded = params.toString();
    const target = method === 'GET' && encoded ? `${path}?${encoded}` : path;
    return new Promise((resolve, reject) => {
      const request = (upstreamUrl.protocol === 'https:' ? httpsRequest : httpRequest)(
        {
          protocol: upstreamUrl.protocol,
          hostname: upstreamUrl.hostname,
          port: upstreamUrl.port,
          method,
          path: target,
          agent: upstreamUrl.protocol === 'https:' ? undefined : agent,
          headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(encoded) } : {},
          timeout: timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            size += chunk.length;
          });
          response.on('error', (error) => reject(new HttpError(502, 'unavailable', `Prometheus upstream failed: ${error.message}`)));
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
              reject(new HttpError(status === 503 ? 503 : 502, status === 503 ? 'unavailable' : 'internal', `Prometheus upstream answered ${status}: ${detail}`));
              return;
            }
            resolve({ status, body, contentType: String(response.headers['content-type'] ?? 'application/json') });
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      request.on('error', (error) => reject(new HttpError(502, 'unavailable', `Prometheus upstream unreachable: ${error.message}`)));
      // One write: headers and body leave in a single syscall.
      if (method === 'POST') request.end(encoded);
      else request.end();
    });
  }

  function relay(res: ServerResponse, answer: { status: number; body: Buffer; contentType: string }) {
    res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': answer.body.length, 'cache-control': 'no-store' });
    res.end(answer.body);
  }

  function parseJson<T>(body: Buffer): T {
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch {
      throw new HttpError(502, 'internal', 'Prometheus upstream answered with something that is not JSON');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, ctx: Context) {
    const raw = req.url ?? '';
    if (!raw.startsWith('/') || raw.includes('#')) throw new HttpError(400, 'bad_data', 'bad request target');
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const rawQuery = q < 0 ? '' : raw.slice(q + 1);
    ctx.path = path;
    // Exact match only: no decoding, no cleaning, no case folding. Anything else is unknown.
    let endpoint: Endpoint | undefined = FIXED_ROUTES[path];
    let labelName: string | undefined;
    const lv = LABEL_VALUES.exec(path);
    if (!endpoint && lv) {
      endpoint = 'label_values';
      labelName = lv[1];
    }
    if (!endpoint) return deny(res, ctx, 404, 'not_found', `unknown or refused endpoint ${path.slice(0, 200)}`);
    ctx.endpoint = endpoint;

    if (endpoint === 'metrics' || endpoint === 'healthz') {
      if (req.method !== 'GET') return deny(res, ctx, 405, 'bad_data', `method ${req.method} not allowed`);
      if (endpoint === 'healthz') {
        return sendJson(res, 200, {
          status: 'ok',
          policy: { digest: policy.current.digest, loadedAt: policy.loadedAt.toISOString(), lastReloadOk: policy.lastReloadOk, ...(policy.lastError ? { lastError: policy.lastError } : {}) },
        });
      }
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') return deny(res, ctx, 405, 'bad_data', `method ${req.method} not allowed`);

    // Who is asking, before reading anything else.
    if (endpoint === 'buildinfo') {
      // Grafana asks this to detect the Prometheus flavour, sometimes outside a user's request:
      // the secret is enough, and the answer carries nothing but the version.
      if (!identifier.hasSecret(req.headers)) return deny(res, ctx, 401, 'unauthorized', 'missing or wrong shared secret');
    } else {
      const who = await identifier.identify(req.headers);
      if (!who.ok) return deny(res, ctx, who.status, 'unauthorized', who.reason);
      ctx.login = who.login;
      const caller = resolveCaller(policy.current, who.login);
      if (!caller) return deny(res, ctx, 403, 'forbidden', `user ${JSON.stringify(who.login.slice(0, 100))} is not in the policy`);
      ctx.caller = caller;
    }

    // Parameters: body first, then URL (Go's r.Form order). Single-valued ones must not disagree.
    const pairs = decodeForm(rawQuery, 'query string');
    if (req.method === 'POST') {
      const body = await readBody(req);
      if (body.length > 0) {
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'application/x-www-form-urlencoded') throw new HttpError(415, 'bad_data', 'POST bodies must be application/x-www-form-urlencoded');
        pairs.unshift(...decodeForm(body, 'form body'));
      }
    }
    const spec = PARAMS[endpoint] ?? { single: [], multi: [] };
    const single = new Map<string, string>();
    const multi = new Map<string, string[]>();
    for (const [key, value] of pairs) {
      if (spec.multi.includes(key)) multi.set(key, [...(multi.get(key) ?? []), value]);
      else if (spec.single.includes(key)) {
        const seen = single.get(key);
        if (seen !== undefined && seen !== value) throw new HttpError(400, 'bad_data', `parameter ${key} given more than once with different values`);
        single.set(key, value);
      }
      // Other parameters are dropped: Prometheus never sees anything we did not check.
    }
    const caller = ctx.caller;
    const scope: Scope = caller?.scope ?? { kind: 'aggregate', metrics: ['__none__'] };

    switch (endpoint) {
      case 'buildinfo': {
        if (!buildVersion) {
          const answer = await callUpstream('/api/v1/status/buildinfo', new URLSearchParams(), 'GET');
          const version = parseJson<{ data?: { version?: unknown } }>(answer.body).data?.version;
          buildVersion = typeof version === 'string' && /^[0-9A-Za-z.+-]{1,40}$/.test(version) ? version : '2.42.0';
        }
        metrics.requests.inc({ role: 'none', endpoint, decision: 'allowed' });
        return sendJson(res, 200, { status: 'success', data: { version: buildVersion, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: '' } });
      }
      case 'whoami': {
        const c = caller!;
        metrics.requests.inc({ role: c.role.name, endpoint, decision: 'allowed' });
        return sendJson(res, 200, {
          status: 'success',
          data: {
            login: c.login,
            role: c.role.name,
            scope: scopeSummary(c.scope),
            folders: c.role.folders,
            dashboards: c.role.dashboards,
            explore: c.role.explore,
            grafanaRole: c.role.grafanaRole,
            boundBy: c.binding.source,
            policy: { digest: policy.current.digest, loadedAt: policy.loadedAt.toISOString() },
          },
        });
      }
      case 'query':
      case 'query_range':
      case 'query_exemplars': {
        const query = single.get('query');
        ctx.query = query;
        if (query === undefined || query === '') throw new HttpError(400, 'bad_data', 'missing query parameter');
        const rewritten = rewriteQuery(query, scope);
        const params = new URLSearchParams({ query: rewritten });
        for (const key of spec.single) if (key !== 'query' && single.has(key)) params.set(key, single.get(key)!);
        const answer = await callUpstream(`/api/v1/${endpoint}`, params, 'POST');
        metrics.requests.inc({ role: caller!.role.name, endpoint, decision: 'allowed' });
        return relay(res, answer);
      }
      case 'series':
      case 'labels':
      case 'label_values': {
        const matches = multi.get('match[]') ?? [];
        ctx.query = matches.join(' ; ');
        if (matches.length > MAX_MATCHERS) throw new HttpError(400, 'bad_data', `at most ${MAX_MATCHERS} match[] selectors`);
        if (endpoint === 'series' && matches.length === 0) throw new HttpError(400, 'bad_data', 'no match[] parameter provided');
        const params = new URLSearchParams();
        for (const m of matches) params.append('match[]', rewriteSeriesSelector(m, scope));
        // A listing without match[] would list everything: give it the scope as its match[].
        if (matches.length === 0) {
          const selector = scopeSelector(scope);
          if (selector) params.append('match[]', selector);
        }
        for (const key of spec.single) if (single.has(key)) params.set(key, single.get(key)!);
        const path = endpoint === 'label_values' ? `/api/v1/label/${labelName}/values` : `/api/v1/${endpoint}`;
        const answer = await callUpstream(path, params, endpoint === 'label_values' ? 'GET' : 'POST');
        if (endpoint === 'series' && answer.status === 200 && scope.kind !== 'all') {
          // Defence in depth: every series listed must be inside the scope.
          const json = parseJson<{ status: string; data: Array<Record<string, string>> }>(answer.body);
          const inside = json.data.filter((labels) => seriesInScope(labels, scope));
          if (inside.length !== json.data.length) emit({ level: 'error', msg: 'series outside scope dropped after rewrite', login: ctx.login, dropped: json.data.length - inside.length });
          json.data = inside;
          metrics.requests.inc({ role: caller!.role.name, endpoint, decision: 'allowed' });
          return sendJson(res, 200, json);
        }
        metrics.requests.inc({ role: caller!.role.name, endpoint, decision: 'allowed' });
        return relay(res, answer);
      }
      case 'metadata': {
        const params = new URLSearchParams();
        const metric = single.get('metric');
        if (metric !== undefined) {
          if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric)) throw new HttpError(400, 'bad_data', 'metric must be a metric name');
          params.set('metric', metric);
        }
        const limit = single.get('limit');
        if (limit !== undefined) {
          if (!/^-?\d{1,9}$/.test(limit)) throw new HttpError(400, 'bad_data', 'limit must be an integer');
          params.set('limit', limit);
        }
        const answer = await callUpstream('/api/v1/metadata', params, 'GET');
        if (answer.status !== 200 || scope.kind === 'all') {
          metrics.requests.inc({ role: caller!.role.name, endpoint, decision: 'allowed' });
          return relay(res, answer);
        }
        // Metadata is names, types and help texts: show only the metrics the caller can query.
        let visible: Set<string>;
        if (scope.kind === 'aggregate') visible = new Set(scope.metrics);
        else {
          const names = await callUpstream('/api/v1/label/__name__/values', new URLSearchParams({ 'match[]': scopeSelector(scope)! }), 'GET');
          visible = new Set(parseJson<{ data?: string[] }>(names.body).data ?? []);
        }
        const json = parseJson<{ status: string; data: Record<string, unknown> }>(answer.body);
        json.data = Object.fromEntries(Object.entries(json.data ?? {}).filter(([name]) => visible.has(name)));
        metrics.requests.inc({ role: caller!.role.name, endpoint, decision: 'allowed' });
        return sendJson(res, 200, json);
      }
      case 'rules':
      case 'alerts': {
        const params = new URLSearchParams();
        const type = single.get('type');
        if (type !== undefined) {
          if (type !== 'alert' && type !== 'record') throw new HttpError(400, 'bad_data', 'type must be alert or record');
          params.set('type', type);
        }
        const answer = await callUpstream(`/api/v1/${endpoint}`, params, 'GET');
        metrics.requests.inc({ role: caller!.role.name, endpoint, decision: 'allowed' });
        if (answer.status !== 200 || scope.kind === 'all') return relay(res, answer);
        type Alert = { labels?: Record<string, string>; state?: string };
        const keep = (alerts: Alert[] | undefined) => (alerts ?? []).filter((a) => alertInScope(a.labels ?? {}, scope));
        if (endpoint === 'alerts') {
          const json = parseJson<{ status: string; data: { alerts: Alert[] } }>(answer.body);
          json.data.alerts = keep(json.data.alerts);
          return sendJson(res, 200, json);
        }
        const json = parseJson<{ status: string; data: { groups: Array<{ rules: Array<Record<string, unknown> & { type?: string; alerts?: Alert[] }> }> } }>(answer.body);
        for (const group of json.data.groups ?? []) {
          for (const rule of group.rules ?? []) {
            if (rule.type !== 'alerting') continue;
            const alerts = keep(rule.alerts);
            rule.alerts = alerts;
            // The rule's state must not reveal alerts the caller cannot see.
            rule.state = alerts.some((a) => a.state === 'firing') ? 'firing' : alerts.some((a) => a.state === 'pending') ? 'pending' : 'inactive';
          }
        }
        return sendJson(res, 200, json);
      }
      default:
        return deny(res, ctx, 404, 'not_found', 'unknown endpoint');
    }
  }

  const server: Server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const ctx: Context = { endpoint: 'unknown', method: req.method ?? '', path: '' };
    res.on('finish', () => {
      if (ctx.endpoint === 'metrics' || ctx.endpoint === 'healthz') return;
      metrics.duration.observe({ endpoint: ctx.endpoint }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    handle(req, res, ctx).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof PromQLError) return deny(res, ctx, 400, 'bad_data', `invalid query: ${error.message}`);
      if (error instanceof ScopeError) return deny(res, ctx, 403, 'forbidden', error.message);
      if (error instanceof HttpError) {
        if (error.status >= 500) {
          metrics.requests.inc({ role: ctx.caller?.role.name ?? 'none', endpoint: ctx.endpoint, decision: 'allowed' });
          emit({ level: 'error', msg: 'upstream failure', endpoint: ctx.endpoint, login: ctx.login ?? null, error: error.message });
          return sendError(res, error.status, error.errorType, error.message);
        }
        return deny(res, ctx, error.status, error.errorType, error.message);
      }
      emit({ level: 'error', msg: 'internal error', endpoint: ctx.endpoint, error: (error as Error)?.stack ?? String(error) });
      return sendError(res, 500, 'internal', 'internal error in the scope proxy');
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = timeoutMs + 10_000;
  server.listen(options.port ?? 9410, options.host ?? '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    policy.close();
    throw error;
  }
  if (options.watchPolicy !== false) policy.watch(options.policyPollMs ?? 1000);
  const port = (server.address() as AddressInfo).port;
  emit({ level: 'info', msg: 'listening', port, upstream, identity: options.identityMode ?? 'header', policy: options.policyPath, digest: policy.current.digest });
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    policy,
    metrics,
    async stop() {
      policy.close();
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
