// The payments engine's own HTTP API and customer portal, played by the simulator: real endpoints
// backed by the real database through the engine's own pg pool, instrumented directly with
// prom-client with the contract's families (docs/metrics.md, "Payments engine API"). API latency, error rate,
// failed logins, rate limiting and availability all come from here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  APP_DB_POOL_CLIENTS,
  APP_DB_POOL_MAX,
  AUTH_LOGIN_FAILURES_TOTAL,
  HTTP_RATE_LIMITED_TOTAL,
  HTTP_REQUEST_DURATION_SECONDS,
  HTTP_SUSPICIOUS_REQUESTS_TOTAL,
  HTTP_REQUEST_ERRORS_TOTAL,
  PAYMENT_GATEWAY_REQUEST_DURATION_SECONDS,
  DEFAULT_METRICS_LEFT_OUT,
  promOptions,
  SIMULATOR_SCENARIO_ACTIVE,
} from '@paywatch/contract';
import {
  API_TIMEOUT_SECONDS,
  CHANNELS,
  GATEWAY_CHANNELS,
  GATEWAY_SHARES,
  GATEWAYS,
  Rng,
  SCHEDULED_CHANNELS,
  apiLoad,
  dbSeconds,
  gatewaySeconds,
  sampleOutcome,
  sampleProcessingSeconds,
  type ApiRoute,
  type Channel,
  type FailureReason,
  type Gateway,
} from './model/index.ts';
import { SCENARIOS, isScenario, type ScenarioName, type Scenarios } from './scenarios.ts';
import * as store from './store.ts';
import { SUSPICIOUS_PATTERNS, SuspicionDetector } from './suspicion.ts';

export const SERVICE = 'payments-api';
export const DEMO_PASSWORD = 'demo-password';

export interface ApiContext {
  pool: pg.Pool;
  poolMax: number;
  seed: number;
  branchCodes: ReadonlySet<string>;
  fleetSize: number;
  perBranchPerDay: number;
  scenarios: Scenarios;
  /** Current simulated time. */
  now(): number;
  /** Simulated ms per real ms. */
  speed: number;
  /** Lets the engine finish a payment the API left pending. */
  schedulePending(payment: store.PaymentRow, status: 'success' | 'failed', reason: FailureReason | null, at: number): void;
  onScenario(action: 'start' | 'stop', name: ScenarioName, detail: string): void;
  status(): Record<string, unknown>;
  log(line: string): void;
}

/** What the simulator's traffic driver tells the fake engine the model decided for a payment. */
export interface SimulatedDecision {
  status: 'pending' | 'success' | 'failed';
  reason: FailureReason | null;
  gateway: Gateway | null;
  createdAt: number;
  completedAt: number | null;
  /** When status is pending: the terminal status and time the engine will apply. */
  eventual?: { status: 'success' | 'failed'; reason: FailureReason | null; at: number; engineOwned?: boolean };
}

export interface ApiMetrics {
  registry: Registry;
  duration: Histogram<'service' | 'route' | 'method' | 'status'>;
  errors: Counter<'service' | 'route' | 'kind'>;
  loginFailures: Counter<'service'>;
  rateLimited: Counter<'service' | 'route'>;
  suspicious: Counter<'service' | 'pattern'>;
  gateway: Histogram<'gateway' | 'outcome'>;
}

export function createApiMetrics(context: Pick<ApiContext, 'pool' | 'poolMax' | 'scenarios' | 'now'>): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of DEFAULT_METRICS_LEFT_OUT) registry.removeSingleMetric(name);
  // Names, help, labels and buckets are the contract's (@paywatch/contract).
  const duration = new Histogram({ ...promOptions(HTTP_REQUEST_DURATION_SECONDS), registers: [registry] });
  const errors = new Counter({ ...promOptions(HTTP_REQUEST_ERRORS_TOTAL), registers: [registry] });
  const loginFailures = new Counter({ ...promOptions(AUTH_LOGIN_FAILURES_TOTAL), registers: [registry] });
  const rateLimited = new Counter({ ...promOptions(HTTP_RATE_LIMITED_TOTAL), registers: [registry] });
  const suspicious = new Counter({ ...promOptions(HTTP_SUSPICIOUS_REQUESTS_TOTAL), registers: [registry] });
  const gateway = new Histogram({ ...promOptions(PAYMENT_GATEWAY_REQUEST_DURATION_SECONDS), registers: [registry] });
  new Gauge({
    ...promOptions(APP_DB_POOL_CLIENTS),
    registers: [registry],
    collect() {
      this.set({ service: SERVICE, state: 'total' }, context.pool.totalCount);
      this.set({ service: SERVICE, state: 'idle' }, context.pool.idleCount);
      this.set({ service: SERVICE, state: 'waiting' }, context.pool.waitingCount);
    },
  });
  new Gauge({
    ...promOptions(APP_DB_POOL_MAX),
    registers: [registry],
    collect() {
      this.set({ service: SERVICE }, context.poolMax);
    },
  });
  new Gauge({
    ...promOptions(SIMULATOR_SCENARIO_ACTIVE),
    registers: [registry],
    collect() {
      const now = context.now();
      for (const name of SCENARIOS) this.set({ scenario: name }, context.scenarios.active(name, now) ? 1 : 0);
    },
  });
  // Known label sets start at zero so rate() sees the first error rather than a new series.
  for (const route of ['/api/payments', '/api/loans/:ref', '/api/login', '/health']) {
    for (const kind of ['server_error', 'timeout', 'dependency']) errors.inc({ service: SERVICE, route, kind }, 0);
    rateLimited.inc({ service: SERVICE, route }, 0);
  }
  loginFailures.inc({ service: SERVICE }, 0);
  for (const pattern of SUSPICIOUS_PATTERNS) suspicious.inc({ service: SERVICE, pattern }, 0);
  return { registry, duration, errors, loginFailures, rateLimited, suspicious, gateway };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly kind?: 'server_error' | 'timeout' | 'dependency',
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A sliding one-minute window of attempts per key (customer, user). */
class RateLimiter {
  private hits = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  allow(key: string): boolean {
    const now = Date.now();
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(now);
    this.hits.set(key, recent);
    if (this.hits.size > 10_000) for (const [k, times] of this.hits) if (times.every((t) => now - t >= this.windowMs)) this.hits.delete(k);
    return true;
  }
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  if (!size) return {};
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'body must be a JSON object');
  }
}

const LOAN_REF = /^LN-(BR\d{4})-\d{6}$/;
const SELF_SERVICE: ReadonlySet<Channel> = new Set(CHANNELS.filter((c) => c !== 'cash' && !SCHEDULED_CHANNELS.has(c)));

export interface ApiServer {
  server: Server;
  url: string;
  port: number;
  metrics: ApiMetrics;
  close(): Promise<void>;
}

export async function startApi(context: ApiContext, options: { host: string; port: number }): Promise<ApiServer> {
  const metrics = createApiMetrics(context);
  const paymentLimiter = new RateLimiter(3, 10_000);
  const loginLimiter = new RateLimiter(5, 60_000);
  const suspicion = new SuspicionDetector();
  /**
   * Who is asking: the first X-Forwarded-For address when there is one (the portal sits behind a
   * load balancer that names each customer's address; the simulator's traffic sets it per
   * customer, so a thousand customers each mistyping their own password are not one client walking
   * a list of users), else the TCP peer. A real deployment would trust the header only from its
   * own proxies.
   */
  const clientOf = (request: IncomingMessage) => {
    const forwarded = request.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    return first || (request.socket.remoteAddress ?? 'unknown');
  };
  let requestCounter = 0;

  /** Holds a pooled connection for the simulated database time of the request, then runs `work`. */
  async function withDatabase<T>(route: ApiRoute, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const now = context.now();
    const rng = Rng.of(context.seed, 'api-db', requestCounter++);
    const hold = dbSeconds(rng, route, apiLoad(now, context.fleetSize, context.perBranchPerDay), context.scenarios.slowDatabase(now));
    let client: pg.PoolClient;
    try {
      client = await context.pool.connect();
    } catch (error) {
      const message = (error as Error).message;
      if (/timeout/i.test(message)) throw new HttpError(504, 'timed out waiting for a database connection', 'timeout');
      throw new HttpError(503, `database unavailable: ${message}`, 'dependency');
    }
    try {
      const deadline = API_TIMEOUT_SECONDS * 1000;
      if (hold * 1000 >= deadline) {
        await sleep(deadline);
        throw new HttpError(504, 'database query timed out', 'timeout');
      }
      await sleep(hold * 1000);
      return await work(client);
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(503, `database error: ${(error as Error).message}`, 'dependency');
    } finally {
      client.release();
    }
  }

  async function createPayment(request: IncomingMessage): Promise<[number, unknown]> {
    const body = await readJson(request);
    const branch = String(body.branch ?? '');
    const channel = String(body.channel ?? '') as Channel;
    const amount = Number(body.amount_inr);
    const loan = String(body.loan_ref ?? '');
    if (!context.branchCodes.has(branch)) throw new HttpError(400, `unknown branch ${JSON.stringify(branch)}`);
    if (!SELF_SERVICE.has(channel)) throw new HttpError(400, `channel must be one of ${[...SELF_SERVICE].join(', ')}`);
    if (!(amount > 0 && amount <= 1_000_000)) throw new HttpError(400, 'amount_inr must be a positive number up to 1000000');
    if (LOAN_REF.exec(loan)?.[1] !== branch) throw new HttpError(400, `loan_ref must look like LN-${branch}-000123`);
    if (!paymentLimiter.allow(loan)) throw new HttpError(429, 'too many payment attempts for this loan; wait a few seconds');
    const now = context.now();
    if (context.scenarios.engineDown(now)) throw new HttpError(503, 'payments engine in its maintenance window', 'server_error');

    const decision = (body.simulated as SimulatedDecision | undefined) ?? decide(channel, body.gateway as Gateway | undefined, now);
    const row: store.PaymentRow = {
      id: 0,
      branch,
      channel,
      gateway: decision.gateway,
      status: decision.status,
      reason: decision.reason,
      amountInr: Math.round(amount * 100) / 100,
      loanRef: loan,
      officer: null,
      createdAt: decision.createdAt,
      completedAt: decision.completedAt,
    };
    await withDatabase('/api/payments', async (client) => {
      await client.query('BEGIN');
      try {
        row.id = (await store.reserveIds(client, 'payments_id_seq', 1))[0]!;
        await store.insertPayments(client, [row]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
    if (row.status === 'pending' && decision.eventual && !decision.eventual.engineOwned)
      context.schedulePending(row, decision.eventual.status, decision.eventual.reason, decision.eventual.at);
    const answer = { id: row.id, status: row.status, reason: row.reason, gateway: row.gateway };
    if (row.gateway) {
      // The gateway answers the engine asynchronously (its callback completes the payment), so the
      // call's latency is recorded here without holding the customer's request for it.
      const final = decision.eventual ?? { status: row.status, reason: row.reason };
      const outcome =
        final.status === 'success'
          ? 'success'
          : final.reason === 'declined'
            ? 'declined'
            : final.reason === 'gateway_timeout'
              ? 'timeout'
              : 'error';
      metrics.gateway.observe(
        { gateway: row.gateway, outcome },
        outcome === 'timeout' ? 30 : gatewaySeconds(Rng.of(context.seed, 'gateway-call', row.id), outcome),
      );
      if (outcome === 'timeout') throw new HttpError(502, `${row.gateway} did not answer`, 'dependency', answer);
    }
    return [201, answer];
  }

  /** A payment created by hand (not by the simulator's own traffic): the model decides. */
  function decide(channel: Channel, requested: Gateway | undefined, now: number): SimulatedDecision {
    const rng = Rng.of(context.seed, 'api-payment', requestCounter++, now);
    const gateway = GATEWAY_CHANNELS.has(channel)
      ? requested && GATEWAYS.includes(requested)
        ? requested
        : rng.pick(GATEWAY_SHARES)
      : null;
    const reason = sampleOutcome(rng, channel, gateway, context.scenarios.paymentConditions(now));
    const at = now + Math.round(sampleProcessingSeconds(rng, channel, reason) * 1000);
    return {
      status: 'pending',
      reason: null,
      gateway,
      createdAt: now,
      completedAt: null,
      eventual: { status: reason ? 'failed' : 'success', reason, at },
    };
  }

  async function lookupLoan(request: IncomingMessage, ref: string): Promise<[number, unknown]> {
    const match = LOAN_REF.exec(ref);
    if (!match || !context.branchCodes.has(match[1]!)) {
      if (suspicion.observe('loan_enumeration', clientOf(request), ref))
        metrics.suspicious.inc({ service: SERVICE, pattern: 'loan_enumeration' });
      throw new HttpError(404, `no loan ${ref}`);
    }
    const rows = await withDatabase(
      '/api/loans/:ref',
      async (client) =>
        (
          await client.query(
            `SELECT id, channel, status, amount_inr, created_at, completed_at FROM payments WHERE loan_ref = $1 ORDER BY created_at DESC LIMIT 5`,
            [ref],
          )
        ).rows,
    );
    return [200, { loan_ref: ref, branch: match[1], recent_payments: rows }];
  }

  async function login(request: IncomingMessage): Promise<[number, unknown]> {
    const body = await readJson(request);
    const user = String(body.user ?? '');
    if (!user) throw new HttpError(400, 'user is required');
    if (!loginLimiter.allow(user)) throw new HttpError(429, 'too many login attempts; try again in a minute');
    const known = await withDatabase('/api/login', async (client) => (await client.query('SELECT 1')).rowCount === 1);
    if (!known || body.password !== DEMO_PASSWORD) {
      metrics.loginFailures.inc({ service: SERVICE });
      if (suspicion.observe('credential_stuffing', clientOf(request), user))
        metrics.suspicious.inc({ service: SERVICE, pattern: 'credential_stuffing' });
      return [401, { error: 'wrong user or password' }];
    }
    return [200, { token: `demo-token-${user}` }];
  }

  async function health(): Promise<[number, unknown]> {
    const now = context.now();
    if (context.scenarios.engineDown(now)) throw new HttpError(503, 'maintenance window', 'server_error');
    if (context.scenarios.slowDatabase(now)) throw new HttpError(503, 'database too slow: health query over its 1 s budget', 'dependency');
    try {
      await Promise.race([context.pool.query('SELECT 1'), sleep(1000).then(() => Promise.reject(new Error('no answer in 1 s')))]);
    } catch (error) {
      throw new HttpError(503, `database unavailable: ${(error as Error).message}`, 'dependency');
    }
    return [200, { status: 'ok' }];
  }

  function scenarioRoute(method: string, name: string, query: URLSearchParams): [number, unknown] {
    if (!isScenario(name)) throw new HttpError(404, `unknown scenario ${JSON.stringify(name)}; scenarios are ${SCENARIOS.join(', ')}`);
    const now = context.now();
    if (method === 'DELETE') {
      const stopped = context.scenarios.stop(name, now);
      if (stopped) context.onScenario('stop', name, 'by request');
      return [200, { scenario: name, stopped }];
    }
    if (method !== 'POST') throw new HttpError(405, 'use POST to start a scenario and DELETE to stop it');
    const minutes = Number(query.get('minutes') ?? '15');
    if (!(minutes > 0 && minutes <= 24 * 60)) throw new HttpError(400, 'minutes must be a number between 0 and 1440 (wall-clock minutes)');
    const gateway = (query.get('gateway') ?? 'gateway_a') as Gateway;
    if (!GATEWAYS.includes(gateway)) throw new HttpError(400, `gateway must be one of ${GATEWAYS.join(', ')}`);
    // minutes are wall-clock minutes (what someone watching Prometheus waits); in simulated time that is × speed.
    const state = context.scenarios.start(name, now, minutes * 60_000 * context.speed, gateway);
    context.onScenario('start', name, `for ${minutes} min${name === 'gateway_outage' ? ` on ${gateway}` : ''}`);
    return [201, { ...state, start: new Date(state.start).toISOString(), end: new Date(state.end).toISOString() }];
  }

  async function route(request: IncomingMessage, url: URL): Promise<[ApiRoute | null, number, unknown]> {
    const method = request.method ?? 'GET';
    const path = url.pathname;
    if (path === '/api/payments') {
      if (method !== 'POST') throw new HttpError(405, 'POST a payment');
      return ['/api/payments', ...(await createPayment(request))];
    }
    if (path.startsWith('/api/loans/') && method === 'GET')
      return ['/api/loans/:ref', ...(await lookupLoan(request, decodeURIComponent(path.slice('/api/loans/'.length))))];
    if (path === '/api/login' && method === 'POST') return ['/api/login', ...(await login(request))];
    if (path === '/health') return ['/health', ...(await health())];
    if (path === '/lms/health') {
      const down = context.scenarios.lmsDown(context.now());
      return [null, down ? 503 : 200, { status: down ? 'LMS unreachable' : 'ok' }];
    }
    const gatewayHealth = /^\/gateways\/([a-z_]+)\/health$/.exec(path);
    if (gatewayHealth) {
      const gateway = gatewayHealth[1] as Gateway;
      if (!GATEWAYS.includes(gateway)) throw new HttpError(404, `unknown gateway ${gateway}`);
      const down = context.scenarios.gatewaysDown(context.now()).has(gateway);
      return [null, down ? 503 : 200, { gateway, status: down ? 'timing out' : 'ok' }];
    }
    if (path === '/scenarios' && method === 'GET') {
      const now = context.now();
      return [
        null,
        200,
        {
          scenarios: SCENARIOS,
          active: context.scenarios
            .list(now)
            .map((s) => ({ ...s, start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString() })),
        },
      ];
    }
    const scenario = /^\/scenarios\/([a-z_]+)$/.exec(path);
    if (scenario) return [null, ...scenarioRoute(method, scenario[1]!, url.searchParams)];
    if (path === '/' && method === 'GET') return [null, 200, context.status()];
    throw new HttpError(404, `no route ${method} ${path}`);
  }

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const started = performance.now();
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/metrics' && request.method === 'GET') {
      try {
        const text = await metrics.registry.metrics();
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        response.end(text);
      } catch (error) {
        response.writeHead(500).end(String(error));
      }
      return;
    }
    let templ: ApiRoute | null = null;
    let status = 500;
    let body: unknown;
    try {
      [templ, status, body] = await route(request, url);
    } catch (error) {
      templ = routeOf(url.pathname);
      if (error instanceof HttpError) {
        status = error.status;
        body = { error: error.message, ...(error.body ?? {}) };
        if (templ && status === 429) metrics.rateLimited.inc({ service: SERVICE, route: templ });
        if (templ && error.kind) metrics.errors.inc({ service: SERVICE, route: templ, kind: error.kind });
      } else {
        context.log(`payments API: ${request.method} ${url.pathname} failed: ${(error as Error).stack ?? error}`);
        status = 500;
        body = { error: 'internal error' };
        if (templ) metrics.errors.inc({ service: SERVICE, route: templ, kind: 'server_error' });
      }
    }
    if (templ)
      metrics.duration.observe(
        { service: SERVICE, route: templ, method: request.method ?? 'GET', status: String(status) },
        (performance.now() - started) / 1000,
      );
    if (!response.headersSent) {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${options.port} on ${options.host} is in use: choose another with --port (PAYWATCH_API_PORT)`)
          : error.code === 'EADDRNOTAVAIL'
            ? new Error(`cannot bind ${options.host}: not an address of this machine; fix --host (PAYWATCH_SIMULATOR_HOST)`)
            : error,
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('payments API: no TCP address');
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    server,
    port: address.port,
    url: `http://${hostForUrl}:${address.port}`,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The route template of a path, for labels (never the raw path: loan refs would explode cardinality). */
function routeOf(path: string): ApiRoute | null {
  if (path === '/api/payments') return '/api/payments';
  if (path.startsWith('/api/loans/')) return '/api/loans/:ref';
  if (path === '/api/login') return '/api/login';
  if (path === '/health') return '/health';
  return null;
}
