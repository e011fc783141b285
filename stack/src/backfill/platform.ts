// The platform's series at each step: the LMS outbox depth and health, the database server's
// connections as postgres_exporter reports them live (pg_up, pg_stat_activity_count by state,
// pg_settings_max_connections, job postgres: dashboards and the connections KPI read one source
// across history and live), the health probes (payments API, LMS, each gateway), and the payments API's request
// latency histogram, whose durations are drawn from the same model the live API sleeps by
// (simulator/src/model/api.ts: dbSeconds).
import {
  apiLoad,
  apiPaymentsPerHour,
  dbSeconds,
  GATEWAYS,
  inMaintenanceWindow,
  LOGIN_FAILURE_PROBABILITY,
  REQUESTS_PER_PAYMENT,
  Rng,
  within,
  type Episode,
  type Gateway,
} from '@paywatch/simulator/model';
import { JOBS, PORTS, POSTGRES_SERIES } from '@paywatch/contract';
import type { HistogramTracks, SeriesSet, Track } from './series.ts';

/** The payments API labels its own series service="payments-api", as its scrape job is named. */
const API_SERVICE = JOBS.paymentsApi.name;
/** The API's routes (as its route templates) and the method each answers. */
const API_METHOD: Record<keyof typeof REQUESTS_PER_PAYMENT, string> = {
  '/api/payments': 'POST',
  '/api/login': 'POST',
  '/api/loans/:ref': 'GET',
};
/** Server errors among API requests outside the maintenance window. */
const API_ERROR_SHARE = 0.0015;
/** Latency draws per route, status and step; the bucket shares of n requests follow these. */
const LATENCY_DRAWS = 40;
/**
 * The sessions postgres_exporter 0.11 reports for the system of record's database, by state
 * (pg_stat_activity_count keeps every state, at 0 when none); the embedded server's database is
 * `postgres`.
 */
const SESSION_STATES = ['active', 'idle', 'idle in transaction', 'idle in transaction (aborted)', 'fastpath function call', 'disabled'];
const DATABASE_NAME = 'postgres';

/** postgres_exporter's instance label: the stack's port for it unless the state names one. */
export const postgresInstance = (instances: { postgres?: string }) => instances.postgres ?? `127.0.0.1:${PORTS.postgres.port}`;
/** postgres_exporter's `server` label: the database server's host:port (the embedded server's by default). */
export const databaseServerOf = (instances: { databaseServer?: string }) => instances.databaseServer ?? `127.0.0.1:${PORTS.database.port}`;

export interface Platform {
  queueDepth: Track;
  lmsUp: Track;
  /** postgres_exporter's pg_up, pg_settings_max_connections and pg_stat_activity_count by state. */
  pgUp: Track;
  pgMaxConnections: Track;
  pgSessions: Map<string, Track>;
  probes: Array<{ service: string; gateway?: Gateway; track: Track }>;
  api: Array<{ route: keyof typeof REQUESTS_PER_PAYMENT; status: '200' | '500'; histogram: HistogramTracks; rng: Rng }>;
  /** Failed portal logins (only in a history with injected login bursts), with the bursts. */
  logins?: { failures: Track; bursts: Array<{ episode: Episode; perMinute: number }>; rng: Rng };
  /** Every fleet-wide track (they share one timeline). */
  tracks: Track[];
  /** Tracks also kept at the timeline's `logins` fine times (timeline.ts `fine`). */
  fineTracks: Track[];
}

export function openPlatform(
  series: SeriesSet,
  options: {
    seed: number;
    startSeconds: number;
    apiHost: string;
    databaseServer: string;
    failedLogins?: Array<{ episode: Episode; perMinute: number }>;
  },
): Platform {
  const server = { server: options.databaseServer };
  const pgSessions = new Map(
    SESSION_STATES.map((state) => [state, series.track(POSTGRES_SERIES.activity, { datname: DATABASE_NAME, state }, server)]),
  );
  // The blackbox job's targets and the labels its scrape config gives each (prometheus.yml).
  const targets: Array<{ service: string; gateway?: Gateway; target: string }> = [
    { service: 'payments-api', target: `http://${options.apiHost}/health` },
    { service: 'lms', target: `http://${options.apiHost}/lms/health` },
    ...GATEWAYS.map((gateway) => ({ service: 'gateway', gateway, target: `http://${options.apiHost}/gateways/${gateway}/health` })),
  ];
  const probes = targets.map((probe) => ({
    ...probe,
    track: series.track(
      'probe_success',
      {},
      { target: probe.target, service: probe.service, ...(probe.gateway ? { gateway: probe.gateway } : {}) },
    ),
  }));
  const api = (Object.keys(REQUESTS_PER_PAYMENT) as Array<keyof typeof REQUESTS_PER_PAYMENT>).flatMap((route) =>
    (['200', '500'] as const).map((status) => ({
      route,
      status,
      histogram: series.histogram('http_request_duration_seconds', { service: API_SERVICE, route, method: API_METHOD[route], status }),
      rng: Rng.of(options.seed, 'backfill', `api/${route}/${status}`, options.startSeconds),
    })),
  );
  const logins = options.failedLogins?.length
    ? {
        failures: series.track('auth_login_failures_total', { service: API_SERVICE }),
        bursts: options.failedLogins,
        rng: Rng.of(options.seed, 'backfill', 'api/login-failures', options.startSeconds),
      }
    : undefined;
  const platform = {
    queueDepth: series.track('lms_posting_queue_depth'),
    lmsUp: series.track('lms_up'),
    pgUp: series.track(POSTGRES_SERIES.up),
    pgMaxConnections: series.track(POSTGRES_SERIES.maxConnections, {}, server),
    pgSessions,
    probes,
    api,
  };
  return {
    ...platform,
    tracks: [
      platform.queueDepth,
      platform.lmsUp,
      platform.pgUp,
      platform.pgMaxConnections,
      ...pgSessions.values(),
      ...probes.map((p) => p.track),
      ...api.flatMap((a) => [...a.histogram.buckets, a.histogram.sum, a.histogram.count]),
      ...(logins ? [logins.failures] : []),
    ],
    logins,
    fineTracks: logins ? [logins.failures] : [],
  };
}

/** Gauges and probes as a scrape at t would read them. */
export function sampleGauges(
  platform: Platform,
  t: number,
  state: {
    queue: number;
    fleetSize: number;
    perBranchPerDay: number;
    lmsDown: Episode[];
    gatewayDown: Map<Gateway, Episode[]>;
    slowDatabase?: Episode[];
  },
): void {
  const ms = t * 1000;
  const lmsDown = within(state.lmsDown, ms);
  platform.queueDepth.value = Math.round(state.queue);
  platform.lmsUp.value = lmsDown ? 0 : 1;
  const load = apiLoad(ms, state.fleetSize, state.perBranchPerDay);
  // The server answers all along (no database outage is simulated); a busy hour uses more sessions.
  platform.pgUp.value = 1;
  platform.pgMaxConnections.value = 100;
  platform.pgSessions.get('active')!.value = Math.round(2 + 18 * load);
  platform.pgSessions.get('idle')!.value = Math.round(18 - 8 * load);
  platform.pgSessions.get('idle in transaction')!.value = load > 0.8 ? 1 : 0;
  for (const probe of platform.probes) {
    let up = true;
    // A slow database fails the API's health check as live (its query over the 1 s budget: 503).
    if (probe.service === 'payments-api') up = !inMaintenanceWindow(ms) && !within(state.slowDatabase ?? [], ms);
    else if (probe.service === 'lms') up = !lmsDown;
    else if (probe.gateway) up = !within(state.gatewayDown.get(probe.gateway)!, ms);
    probe.track.value = up ? 1 : 0;
  }
}

/** The API's requests over the step: traffic follows self-service payments, latency the live model. */
export function stepApi(
  platform: Platform,
  step: { mid: number; dtSeconds: number; fleetSize: number; perBranchPerDay: number; slowDatabase?: boolean },
): void {
  const load = apiLoad(step.mid, step.fleetSize, step.perBranchPerDay);
  const paymentsPerHour = apiPaymentsPerHour(step.mid, step.fleetSize, step.perBranchPerDay);
  const errorShare = inMaintenanceWindow(step.mid) ? 1 : API_ERROR_SHARE;
  const draws: number[] = [];
  for (const entry of platform.api) {
    const perStep = paymentsPerHour * REQUESTS_PER_PAYMENT[entry.route] * (step.dtSeconds / 3600);
    const n = entry.rng.poisson(perStep * (entry.status === '500' ? errorShare : 1 - errorShare));
    if (!n) continue;
    draws.length = 0;
    for (let i = 0; i < Math.min(n, LATENCY_DRAWS); i++) draws.push(dbSeconds(entry.rng, entry.route, load, !!step.slowDatabase));
    const { bounds, buckets, sum, count } = entry.histogram;
    buckets.forEach((bucket, i) => {
      const le = bounds[i] ?? Infinity;
      bucket.value += Math.round((n * draws.filter((d) => d <= le).length) / draws.length);
    });
    count.value += n;
    sum.value += (n * draws.reduce((a, b) => a + b, 0)) / draws.length;
  }
  if (platform.logins) {
    // Customers' own typos at the model's odds, plus a burst's guesses while one is on.
    const logins = paymentsPerHour * REQUESTS_PER_PAYMENT['/api/login'] * (step.dtSeconds / 3600);
    const burst = platform.logins.bursts.filter((b) => within([b.episode], step.mid)).reduce((sum, b) => sum + b.perMinute, 0);
    platform.logins.failures.value += platform.logins.rng.poisson(logins * LOGIN_FAILURE_PROBABILITY + (burst * step.dtSeconds) / 60);
  }
}
