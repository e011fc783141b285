// Starts the whole simulation in-process: the engine writing the business into the database on a
// simulated clock, the fake payments API on its port, and the traffic that drives that API.
import { checkConnection, createPool, migrate, redact } from '@paywatch/database';
import { APP_POOLS } from '@paywatch/contract';
import { PORTS } from '@paywatch/runtime';
import { startApi, DEMO_PASSWORD, type ApiServer, type SimulatedDecision } from './api.ts';
import { Engine, type PaymentRouter } from './engine.ts';
import {
  GATEWAYS,
  IST_OFFSET_MS,
  Rng,
  apiLoad,
  branchProfiles,
  istDate,
  LOGIN_FAILURE_PROBABILITY,
  loanRef,
  REQUESTS_PER_PAYMENT,
  workingHoursFrom,
  type Gateway,
} from './model/index.ts';
import { Scenarios, type ScenarioName, type ScenarioState } from './scenarios.ts';
import * as store from './store.ts';

export interface SimulatorOptions {
  /** postgres:// URL of the system of record (already migrated or not: migrations are applied). */
  databaseUrl: string;
  seed?: number;
  /** Branches (default 500). */
  branches?: number;
  /** Field officers per branch (default 30). */
  officersPerBranch?: number;
  /** Repayment attempts an average branch sees on a typical weekday (default 200). */
  paymentsPerBranchPerDay?: number;
  /** Simulated seconds per real second (default 1). */
  speed?: number;
  /**
   * Simulated start (epoch ms, ISO time, or WORKING_HOURS_START: now if the whole business is at
   * work, else when it next is); default now, or where a previous run on this database stopped.
   */
  start?: number | string;
  /** Drive time by hand with advanceTo() instead of the real clock (tests). */
  manualClock?: boolean;
  /** Payments API bind address (default 127.0.0.1) and port (default 9400; 0 = any free port). */
  host?: string;
  port?: number;
  /** Requests per real second the simulator sends its own API at peak load (default 25; 0 = none). */
  apiRate?: number;
  /** Size of the payments API's pg pool (default 10). */
  apiPoolMax?: number;
  /** Incidents drawn from the model happen by themselves (LMS downtime, reader outages, ...; default true). */
  incidents?: boolean;
  /** Scenarios to start at once, for `minutes` of wall-clock time. */
  scenarios?: Array<{ name: ScenarioName; minutes: number; gateway?: Gateway }>;
  /** Real ms between engine ticks (default 1000). */
  tickMs?: number;
  /** Real ms between progress lines (default 30000; 0 = none). */
  progressMs?: number;
  log?: (line: string) => void;
}

export interface Simulator {
  /** The payments API (and /metrics, /scenarios) base URL. */
  url: string;
  port: number;
  engine: Engine;
  scenarios: Scenarios;
  api: ApiServer;
  /** Current simulated time (epoch ms). */
  now(): number;
  /** Manual clock: simulate and write everything up to `ms`. */
  advanceTo(ms: number): Promise<void>;
  startScenario(name: ScenarioName, options: { minutes?: number; simulatedMs?: number; gateway?: Gateway }): ScenarioState;
  stopScenario(name: ScenarioName): boolean;
  stop(): Promise<void>;
}

export const DEFAULTS = {
  seed: 42,
  branches: 500,
  officersPerBranch: 30,
  paymentsPerBranchPerDay: 200,
  speed: 1,
  host: '127.0.0.1',
  port: PORTS.api.port,
  apiRate: 25,
  apiPoolMax: APP_POOLS.paymentsApi.size,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The start that puts the live business in its weekday working hours whatever the hour of the run (model/calendar.ts). */
export const WORKING_HOURS_START = 'working-hours';

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const log = options.log ?? ((line: string) => console.log(`[simulator] ${line}`));
  const seed = options.seed ?? DEFAULTS.seed;
  const speed = options.speed ?? DEFAULTS.speed;
  const perBranchPerDay = options.paymentsPerBranchPerDay ?? DEFAULTS.paymentsPerBranchPerDay;
  const apiRate = options.apiRate ?? DEFAULTS.apiRate;
  const apiPoolMax = options.apiPoolMax ?? DEFAULTS.apiPoolMax;
  const branches = branchProfiles({
    seed,
    branches: options.branches ?? DEFAULTS.branches,
    officersPerBranch: options.officersPerBranch ?? DEFAULTS.officersPerBranch,
  });
  const fleetSize = branches.reduce((sum, b) => sum + b.size, 0);
  const requestedStart =
    options.start === undefined
      ? undefined
      : typeof options.start === 'number'
        ? options.start
        : options.start === WORKING_HOURS_START
          ? workingHoursFrom(Date.now())
          : Date.parse(options.start);
  if (requestedStart !== undefined && Number.isNaN(requestedStart))
    throw new Error(`start ${JSON.stringify(options.start)} is not a time: use ISO 8601, e.g. 2026-03-02T09:00:00+05:30`);

  const enginePool = createPool(options.databaseUrl, {
    applicationName: APP_POOLS.simulator.application,
    max: APP_POOLS.simulator.size,
  });
  const apiPool = createPool(options.databaseUrl, {
    applicationName: APP_POOLS.paymentsApi.application,
    max: apiPoolMax,
    connectionTimeoutMillis: 2000,
  });
  const closePools = () => Promise.all([enginePool.end(), apiPool.end()]);
  let api: ApiServer | undefined;
  try {
    await checkConnection(enginePool, options.databaseUrl);
    for (const name of await migrate(enginePool)) log(`applied migration ${name}`);
    const stored = await store.prepareSimulatorState(enginePool, requestedStart ?? Date.now());
    // Never simulate a stretch of time twice on the same database: continue where the last run stopped when that is later.
    const start = Math.max(stored, requestedStart ?? (speed === 1 ? Date.now() : stored));
    if (stored > (requestedStart ?? stored))
      log(`this database was simulated up to ${new Date(stored).toISOString()}; continuing from there`);

    const scenarios = new Scenarios(seed, options.incidents ?? true);
    const engine = new Engine({ pool: enginePool, seed, branches, perBranchPerDay, scenarios, log });
    await engine.init(start);

    const realStart = Date.now();
    const simStart = engine.now;
    const now = () => (options.manualClock ? engine.now : simStart + (Date.now() - realStart) * speed);
    const describe = (ms: number) => `${istDate(ms)} ${new Date(ms + IST_OFFSET_MS).toISOString().slice(11, 16)} IST`;

    api = await startApi(
      {
        pool: apiPool,
        poolMax: apiPoolMax,
        seed,
        branchCodes: new Set(branches.map((b) => b.code)),
        fleetSize,
        perBranchPerDay,
        scenarios,
        now,
        speed,
        schedulePending: (payment, status, reason, at) => engine.schedule(payment, status, reason, at),
        onScenario: (action, name, detail) => log(`scenario ${name} ${action === 'start' ? 'started' : 'stopped'} ${detail}`),
        status: () => ({
          simulated_time: new Date(now()).toISOString(),
          speed,
          seed,
          branches: branches.length,
          officers_per_branch: options.officersPerBranch ?? DEFAULTS.officersPerBranch,
          written_up_to: new Date(engine.now).toISOString(),
          totals: engine.totals,
          active_scenarios: scenarios.list(now()).map((s) => s.name),
        }),
        log,
      },
      { host: options.host ?? DEFAULTS.host, port: options.port ?? DEFAULTS.port },
    );
    const apiUrl = api.url;

    for (const scenario of options.scenarios ?? []) {
      scenarios.start(scenario.name, engine.now, scenario.minutes * 60_000 * speed, scenario.gateway);
      log(`scenario ${scenario.name} started for ${scenario.minutes} min${scenario.gateway ? ` on ${scenario.gateway}` : ''}`);
    }

    // Self-service payments go through the real API (up to the API's share of apiRate); the rows are the ones the engine drew.
    const router: PaymentRouter = async (payments) =>
      Promise.all(
        payments.map(async (payment) => {
          const eventual = engine.eventualOutcome(payment);
          const simulated: SimulatedDecision = {
            status: payment.status,
            reason: payment.reason,
            gateway: payment.gateway,
            createdAt: payment.createdAt,
            completedAt: payment.completedAt,
            ...(eventual ? { eventual: { ...eventual, engineOwned: true } } : {}),
          };
          try {
            const response = await fetch(`${apiUrl}/api/payments`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-client-id': payment.loanRef },
              body: JSON.stringify({
                branch: payment.branch,
                channel: payment.channel,
                amount_inr: payment.amountInr,
                loan_ref: payment.loanRef,
                simulated,
              }),
              signal: AbortSignal.timeout(30_000),
            });
            const body = (await response.json().catch(() => ({}))) as { id?: number };
            return typeof body.id === 'number' ? body.id : null;
          } catch {
            return null;
          }
        }),
      );

    let stopped = false;
    let lastTick = Date.now();
    const traffic = startTraffic({
      url: apiUrl,
      seed,
      now,
      apiRate,
      fleetSize,
      perBranchPerDay,
      branches: branches.map((b) => b.code),
      isStopped: () => stopped,
    });

    let loop: Promise<void> = Promise.resolve();
    if (!options.manualClock) {
      if (apiRate > 0) engine.router = router;
      let failing = false;
      let behindWarned = 0;
      let routeCredit = 0;
      const progress = { at: Date.now(), payments: 0 };
      const progressMs = options.progressMs ?? 30_000;
      loop = (async () => {
        while (!stopped) {
          const tickStarted = Date.now();
          const realSeconds = (tickStarted - lastTick) / 1000;
          lastTick = tickStarted;
          // The API's share of the traffic accrues between batches (at speed 1 a batch is written every 10 s).
          routeCredit += apiRate * apiLoad(now(), fleetSize, perBranchPerDay) * realSeconds * (REQUESTS_PER_PAYMENT['/api/payments'] / 4.3);
          engine.routeBudget = Math.floor(routeCredit);
          try {
            if (await engine.advanceTo(now())) routeCredit -= engine.routeBudget;
            if (failing) log('database reachable again; simulation continues');
            failing = false;
          } catch (error) {
            if (!failing) log(`cannot write to the database (${(error as Error).message}); retrying every tick`);
            failing = true;
          }
          const behind = now() - engine.now;
          if (behind > 5 * 60_000 && Date.now() - behindWarned > 60_000) {
            log(
              `falling behind: written up to ${describe(engine.now)}, ${Math.round(behind / 1000)} simulated s behind the clock (speed ${speed} is too fast for this fleet on this database)`,
            );
            behindWarned = Date.now();
          }
          if (progressMs > 0 && Date.now() - progress.at >= progressMs) {
            const queue = await enginePool
              .query<{ n: number }>(`SELECT count(*)::int AS n FROM lms_postings WHERE status = 'pending'`)
              .catch(() => ({ rows: [{ n: NaN }] }));
            log(
              `${describe(engine.now)}: ${engine.totals.payments - progress.payments} payments in the last ${Math.round((Date.now() - progress.at) / 1000)} s ` +
                `(${engine.totals.payments} total), LMS queue ${queue.rows[0]?.n}, ${Math.round(engine.totals.writeMs / Math.max(1, engine.totals.batches))} ms/batch` +
                `${
                  scenarios.list(engine.now).length
                    ? `, scenarios: ${scenarios
                        .list(engine.now)
                        .map((s) => s.name)
                        .join(', ')}`
                    : ''
                }`,
            );
            progress.at = Date.now();
            progress.payments = engine.totals.payments;
          }
          await sleep(Math.max(0, (options.tickMs ?? 1000) - (Date.now() - tickStarted)));
        }
      })();
    }

    log(
      `simulating ${branches.length} branches × ${options.officersPerBranch ?? DEFAULTS.officersPerBranch} officers (seed ${seed}, speed ${speed}${options.manualClock ? ', manual clock' : ''}) ` +
        `from ${describe(engine.now)} into ${redact(options.databaseUrl)}; payments API on ${apiUrl}`,
    );

    const running = api;
    return {
      url: apiUrl,
      port: running.port,
      engine,
      scenarios,
      api: running,
      now,
      async advanceTo(ms: number) {
        if (!options.manualClock) throw new Error('advanceTo needs manualClock: true');
        await engine.advanceTo(ms);
      },
      startScenario(name, { minutes, simulatedMs, gateway }) {
        const duration = simulatedMs ?? (minutes ?? 15) * 60_000 * speed;
        const state = scenarios.start(name, options.manualClock ? engine.now : now(), duration, gateway);
        log(`scenario ${name} started until ${describe(state.end)}`);
        return state;
      },
      stopScenario(name) {
        const done = scenarios.stop(name, options.manualClock ? engine.now : now());
        if (done) log(`scenario ${name} stopped`);
        return done;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await loop;
        await traffic;
        await running.close();
        await closePools();
        log(`stopped at ${describe(engine.now)}: ${engine.totals.payments} payments written`);
      },
    };
  } catch (error) {
    await api?.close();
    await closePools().catch(() => {});
    throw error;
  }
}

/** A customer's own address (10.x.y.z, stable per customer), as the portal's load balancer would forward it. */
function customerAddress(user: string): string {
  let hash = 2166136261;
  for (let i = 0; i < user.length; i++) hash = Math.imul(hash ^ user.charCodeAt(i), 16777619);
  return `10.${(hash >>> 16) & 255}.${(hash >>> 8) & 255}.${hash & 255}`;
}

interface TrafficOptions {
  url: string;
  seed: number;
  now(): number;
  apiRate: number;
  fleetSize: number;
  perBranchPerDay: number;
  branches: string[];
  isStopped(): boolean;
}

/**
 * The portal's other traffic: loan look-ups and logins at the model's rhythm (a share of apiRate
 * at peak), a few wrong passwords, now and then a customer mistyping their password twice, and a
 * health check every 5 s. Each customer comes from an address of their own (X-Forwarded-For), as
 * through the portal's load balancer. A healthy business's traffic: no attack patterns, failed
 * logins far under the security alert's 5 a minute (the attacks are for tests and scenarios).
 * Bounded in flight so a slow database cannot pile requests up.
 */
async function startTraffic(options: TrafficOptions): Promise<void> {
  if (options.apiRate <= 0) return;
  const rng = Rng.of(options.seed, 'traffic', Date.now());
  const intervalMs = 250;
  let inFlight = 0;
  let lastHealth = 0;
  const send = (path: string, init?: RequestInit) => {
    if (inFlight >= 100) return;
    inFlight++;
    fetch(`${options.url}${path}`, { ...init, signal: AbortSignal.timeout(15_000) })
      .then((response) => response.arrayBuffer())
      .catch(() => {})
      .finally(() => inFlight--);
  };
  const login = (user: string, password: string) =>
    send('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': customerAddress(user) },
      body: JSON.stringify({ user, password }),
    });
  const shares = REQUESTS_PER_PAYMENT['/api/loans/:ref'] + REQUESTS_PER_PAYMENT['/api/login'];
  while (!options.isStopped()) {
    const load = Math.max(0.02, apiLoad(options.now(), options.fleetSize, options.perBranchPerDay));
    const count = rng.poisson(options.apiRate * load * (shares / 4.3) * (intervalMs / 1000));
    for (let i = 0; i < count; i++) {
      const branch = options.branches[rng.int(options.branches.length)]!;
      if (rng.chance(REQUESTS_PER_PAYMENT['/api/loans/:ref'] / shares)) {
        const customer = rng.int(4000);
        // A customer now and then mistypes their own loan number (404 from their own address).
        send(`/api/loans/${rng.chance(0.01) ? 'LN-UNKNOWN' : loanRef(branch, customer)}`, {
          headers: { 'x-forwarded-for': customerAddress(`customer-${branch}-${customer}`) },
        });
      } else {
        login(`customer-${branch}-${rng.int(4000)}`, rng.chance(LOGIN_FAILURE_PROBABILITY) ? 'wrong-password' : DEMO_PASSWORD);
      }
    }
    // About every 20 minutes a customer mistypes their password twice before getting it right.
    if (rng.chance(0.0002)) {
      const user = `customer-${options.branches[rng.int(options.branches.length)]}-${rng.int(4000)}`;
      for (const password of ['wrong-password', 'Wrong-password', DEMO_PASSWORD]) login(user, password);
    }
    if (Date.now() - lastHealth >= 5000) {
      lastHealth = Date.now();
      send('/health');
      send('/lms/health');
      for (const gateway of GATEWAYS) send(`/gateways/${gateway}/health`);
    }
    await sleep(intervalMs);
  }
  while (inFlight > 0) await sleep(50);
}
