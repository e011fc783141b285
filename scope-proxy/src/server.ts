// The scope proxy's HTTP side: the dispatcher. It finds the route (routes.ts), checks method and
// identity, reads the route's parameters, calls its handler and writes the reply; every failure is
// a typed error answered in one place (errors.ts). Nothing the caller sends is forwarded as is:
// handlers build every upstream request themselves from checked values (a fixed path, re-encoded
// parameters, queries printed and verified), so path or encoding tricks have nothing to ride on.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProxyError, answerFor, badRequest } from './errors.ts';
import { readParams, type Params } from './form.ts';
import type { Call, Deps, Endpoint, Reply } from './handler.ts';
import { Identifier, type IdentityMode, type IdentityOptions } from './identity.ts';
import { createMetrics, type ProxyMetrics } from './metrics.ts';
import { PolicyStore, resolveCaller, type Caller } from './policy.ts';
import { findRoute } from './routes.ts';
import type { Scope } from './scope.ts';
import { Upstream } from './upstream.ts';

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

/** What is known about a request so far, for the metrics and the denial log. */
interface Context {
  endpoint: Endpoint | 'unknown';
  caller?: Caller;
  login?: string;
  method: string;
  path: string;
  query?: string;
}

/** A caller with no scope (buildinfo's secret-only callers) sees nothing. */
const NO_SCOPE: Scope = { kind: 'aggregate', metrics: ['__none__'] };
const NO_PARAMS: Params = { single: new Map(), multi: new Map() };

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, errorType: string, error: string) {
  sendJson(res, status, { status: 'error', errorType, error });
}

function write(res: ServerResponse, reply: Reply) {
  switch (reply.kind) {
    case 'json':
      return sendJson(res, reply.status, reply.body);
    case 'relay': {
      const { answer } = reply;
      res.writeHead(answer.status, {
        'content-type': answer.contentType,
        'content-length': answer.body.length,
        'cache-control': 'no-store',
      });
      return res.end(answer.body);
    }
    case 'text':
      res.writeHead(200, { 'content-type': reply.contentType });
      return res.end(reply.text);
  }
}

export async function startScopeProxy(options: ScopeProxyOptions): Promise<ScopeProxy> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (fields: Record<string, unknown>) =>
    log(JSON.stringify({ ts: new Date().toISOString(), component: 'scope-proxy', ...fields }));
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
  const timeoutMs = options.upstreamTimeoutMs ?? 120_000;
  const upstream = new Upstream(options.upstream, timeoutMs);
  const deps: Deps = { upstream, policy, metrics, emit };

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

  /** Who is asking, before anything else is read: the policy's caller, or a refusal. */
  async function identify(req: IncomingMessage, ctx: Context): Promise<Caller> {
    const who = await identifier.identify(req.headers);
    if (!who.ok) throw new ProxyError(who.status === 403 ? 'forbidden' : 'unauthorized', who.reason);
    ctx.login = who.login;
    const caller = resolveCaller(policy.current, who.login);
    if (!caller) throw new ProxyError('forbidden', `user ${JSON.stringify(who.login.slice(0, 100))} is not in the policy`);
    return caller;
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, ctx: Context) {
    const raw = req.url ?? '';
    if (!raw.startsWith('/') || raw.includes('#')) throw badRequest('bad request target');
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    ctx.path = path;
    const found = findRoute(path);
    if (!found) throw new ProxyError('not_found', `unknown or refused endpoint ${path.slice(0, 200)}`);
    const { route } = found;
    ctx.endpoint = route.endpoint;
    if (!route.methods.includes(req.method ?? '')) throw new ProxyError('method_not_allowed', `method ${req.method} not allowed`);
    if (route.access === 'secret' && !identifier.hasSecret(req.headers))
      throw new ProxyError('unauthorized', 'missing or wrong shared secret');
    if (route.access === 'user') ctx.caller = await identify(req, ctx);
    const call: Call = {
      endpoint: route.endpoint,
      ...(ctx.caller ? { caller: ctx.caller } : {}),
      scope: ctx.caller?.scope ?? NO_SCOPE,
      params: route.access === 'open' ? NO_PARAMS : await readParams(req, q < 0 ? '' : raw.slice(q + 1), route.params),
      ...(found.labelName ? { labelName: found.labelName } : {}),
      ...(ctx.login ? { login: ctx.login } : {}),
      noteQuery: (text) => (ctx.query = text),
    };
    const reply = await route.handle(call, deps);
    if (route.access !== 'open')
      metrics.requests.inc({ role: ctx.caller?.role.name ?? 'none', endpoint: route.endpoint, decision: 'allowed' });
    write(res, reply);
  }

  function fail(res: ServerResponse, ctx: Context, error: unknown) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof ProxyError && error.kind === 'client_closed') {
      emit({ level: 'info', msg: 'client went away', endpoint: ctx.endpoint, login: ctx.login ?? null, detail: error.message });
      res.destroy();
      return;
    }
    const answer = answerFor(error);
    // An oversized body is still arriving: say so, then close rather than read the rest.
    if (answer?.status === 413) res.setHeader('connection', 'close');
    if (!answer) {
      emit({ level: 'error', msg: 'internal error', endpoint: ctx.endpoint, error: (error as Error)?.stack ?? String(error) });
      return sendError(res, 500, 'internal', 'internal error in the scope proxy');
    }
    if (answer.denied) return deny(res, ctx, answer.status, answer.errorType, answer.message);
    metrics.requests.inc({ role: ctx.caller?.role.name ?? 'none', endpoint: ctx.endpoint, decision: 'allowed' });
    emit({ level: 'error', msg: 'upstream failure', endpoint: ctx.endpoint, login: ctx.login ?? null, error: answer.message });
    sendError(res, answer.status, answer.errorType, answer.message);
  }

  const server: Server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const ctx: Context = { endpoint: 'unknown', method: req.method ?? '', path: '' };
    res.on('finish', () => {
      if (ctx.endpoint === 'metrics' || ctx.endpoint === 'healthz') return;
      metrics.duration.observe({ endpoint: ctx.endpoint }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    dispatch(req, res, ctx).catch((error: unknown) => fail(res, ctx, error));
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = timeoutMs + 10_000;
  server.listen(options.port ?? 9410, options.host ?? '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    policy.close();
    upstream.close();
    throw error;
  }
  if (options.watchPolicy !== false) policy.watch(options.policyPollMs ?? 1000);
  const port = (server.address() as AddressInfo).port;
  emit({
    level: 'info',
    msg: 'listening',
    port,
    upstream: upstream.base,
    identity: options.identityMode ?? 'header',
    policy: options.policyPath,
    digest: policy.current.digest,
  });
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    policy,
    metrics,
    async stop() {
      policy.close();
      upstream.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
