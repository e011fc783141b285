// The part the four exporters share: the pg pool, the poll loop with its watermark, the exporter's
// own health metrics, and the HTTP server that answers scrapes from the last poll's results.
//
// Scrapes never touch the database. The database is read on an interval (poll), inside one
// read-only REPEATABLE READ transaction so all of a poll's queries see the same snapshot, and the
// rendered text of the database-derived families is cached until the next poll. A scrape costs
// writing that cached text plus prom-client's few process metrics, whatever the table sizes.
import { once } from 'node:events';
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import express from 'express';
import pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  EXPORTER_LAST_SUCCESS_TIMESTAMP_SECONDS,
  EXPORTER_POLL_DURATION_SECONDS,
  EXPORTER_POLL_ERRORS_TOTAL,
  EXPORTER_POOL_CLIENTS,
  EXPORTER_SOURCE_UP,
  promOptions,
} from '@paywatch/contract';
import { redact } from '@paywatch/database';
import type { Collector, PollWindow, Queryable, ViewRequirement } from './collector.ts';
import { ConfigError, resolveOptions, type ExporterName, type ExporterOptions, type ResolvedOptions } from './config.ts';
import { renderFamilies } from './exposition.ts';

/** The IST business day: the contract's "today" for collections and targets. IST has no DST. */
export const BUSINESS_TIME_ZONE = 'Asia/Kolkata';

export interface RunningExporter {
  name: ExporterName;
  /** http://host:port of the exporter (GET /metrics, GET /healthz). */
  url: string;
  port: number;
  /** Polls the database now (after any poll in flight); resolves true when it succeeded. */
  poll(): Promise<boolean>;
  /** The current exposition, as a scrape would get it. */
  metrics(): Promise<string>;
  /** Whether the last poll succeeded. */
  sourceUp(): boolean;
  stop(): Promise<void>;
}

/** PostgreSQL errors that no retry fixes: the configuration is wrong. */
const FATAL_SQLSTATES: Record<string, string> = {
  '28P01': 'the password was refused: check the user and password in DATABASE_URL',
  '28000': 'the server refused this user: check the user in DATABASE_URL and pg_hba.conf',
  '3D000': 'the database does not exist: check the database name in DATABASE_URL',
  '42501': 'permission denied: grant the exporter role SELECT on the paywatch.* views (docs/schema.md)',
};

function describe(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return e?.message ? e.message : String(error);
}

/** A message saying what to fix when the error is a configuration mistake, else undefined. */
function fatalReason(error: unknown, databaseUrl: string): string | undefined {
  if (error instanceof ConfigError) return error.message;
  const e = error as { code?: string; message?: string; hostname?: string };
  if (e?.code && FATAL_SQLSTATES[e.code]) return `${FATAL_SQLSTATES[e.code]} (${redact(databaseUrl)}: ${e.message})`;
  if (e?.code === 'ENOTFOUND') return `database host not found: check the host in DATABASE_URL (${redact(databaseUrl)})`;
  return undefined;
}

/** Every exporter reads the business clock; collectors add the views of their domain. */
const CLOCK_VIEW: ViewRequirement = { view: 'paywatch.clock', columns: ['now'] };

async function checkViews(db: Queryable, collectors: Collector[]): Promise<void> {
  for (const requirements of [[CLOCK_VIEW], ...collectors.map((collector) => collector.requires)]) {
    for (const { view, columns } of requirements) {
      const found = await db.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [view]);
      if (!found.rows[0]?.oid) {
        throw new ConfigError(
          `view ${view} not found: run the migrations (database/migrations) or create the view described in docs/schema.md`,
        );
      }
      const sample = (await db.query(`SELECT * FROM ${view} WHERE false`)) as unknown as { fields: Array<{ name: string }> };
      const have = new Set(sample.fields.map((field) => field.name));
      const missing = columns.filter((column) => !have.has(column));
      if (missing.length) {
        throw new ConfigError(`view ${view} has no column ${missing.join(', ')}: give it the columns described in docs/schema.md`);
      }
    }
  }
}

export async function runExporter(
  name: ExporterName,
  options: ExporterOptions,
  makeCollectors: (options: ResolvedOptions) => Collector[],
): Promise<RunningExporter> {
  const config = resolveOptions(name, options);
  const { log } = config;
  const collectors = makeCollectors(config);
  const families = collectors.flatMap((collector) => collector.families);

  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: config.poolMax,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // A connection that hangs (network cut without a reset) must fail the poll, not stall it.
    query_timeout: 60_000,
    keepAlive: true,
    application_name: `paywatch-exporter-${name}`,
  });
  // An idle connection dropped by the server: the next poll reports the outage, nothing to do here.
  pool.on('error', () => {});

  // The exporter's own health, with prom-client, in a registry per exporter (tests and the stack
  // run several exporters in one process).
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // These three are gauges named `_total`, which `promtool check metrics` rejects; the same
  // numbers are in nodejs_active_handles / nodejs_active_requests / nodejs_active_resources by type.
  for (const lintFailing of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(lintFailing);
  }
  const labels = { exporter: name };
  const sourceUpGauge = new Gauge({ ...promOptions(EXPORTER_SOURCE_UP), registers: [registry] });
  const pollDuration = new Histogram({ ...promOptions(EXPORTER_POLL_DURATION_SECONDS), registers: [registry] });
  const pollErrors = new Counter({ ...promOptions(EXPORTER_POLL_ERRORS_TOTAL), registers: [registry] });
  const lastSuccess = new Gauge({ ...promOptions(EXPORTER_LAST_SUCCESS_TIMESTAMP_SECONDS), registers: [registry] });
  new Gauge({
    ...promOptions(EXPORTER_POOL_CLIENTS),
    registers: [registry],
    collect() {
      this.set({ exporter: name, state: 'total' }, pool.totalCount);
      this.set({ exporter: name, state: 'idle' }, pool.idleCount);
      this.set({ exporter: name, state: 'waiting' }, pool.waitingCount);
    },
  });
  sourceUpGauge.set(labels, 0);
  pollErrors.inc(labels, 0);
  lastSuccess.set(labels, 0);

  let watermark = '-infinity';
  let today: string | undefined;
  let viewsChecked = false;
  let sourceUp: boolean | undefined;
  let downSince = 0;
  let cached = renderFamilies(families);
  let polls = 0;
  let lastPollSeconds = 0;

  async function pollOnce(): Promise<void> {
    const started = performance.now();
    const client = await pool.connect();
    const applies: Array<() => void> = [];
    let window: PollWindow;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        if (!viewsChecked) {
          await checkViews(client, collectors);
          for (const collector of collectors) await collector.inspect?.(client, log);
        }
        // The window's upper bound is the database's own clock minus the safety lag (rows
        // committed up to that long after their timestamp are still counted; the tradeoff is in
        // exporters/README.md, "Counting"), never before the watermark (a clock stepping back
        // must not make counters go back).
        const clock = await client.query<{ now: string; to: string; today: string; today_start: string }>(
          `SELECT w.now::text AS now, w.upper::text AS "to",
                  (w.upper AT TIME ZONE '${BUSINESS_TIME_ZONE}')::date::text AS today,
                  (((w.upper AT TIME ZONE '${BUSINESS_TIME_ZONE}')::date)::timestamp AT TIME ZONE '${BUSINESS_TIME_ZONE}')::text AS today_start
           FROM (SELECT c.now, GREATEST(c.now - make_interval(secs => $1::float8), $2::timestamptz) AS upper
                 FROM paywatch.clock c) w`,
          [config.safetyLagSeconds, watermark],
        );
        const row = clock.rows[0]!;
        const baseline = watermark === '-infinity';
        window = {
          from: watermark,
          to: row.to,
          now: row.now,
          baseline,
          today: row.today,
          todayStart: row.today_start,
          newDay: !baseline && row.today !== today,
        };
        for (const collector of collectors) applies.push(await collector.poll(client, window));
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
      client.release();
    } catch (error) {
      // A connection that failed is not given back to the pool.
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    // Only a poll that read everything changes anything.
    for (const apply of applies) apply();
    viewsChecked = true;
    watermark = window.to;
    today = window.today;
    cached = renderFamilies(families);
    const seconds = (performance.now() - started) / 1000;
    pollDuration.observe(labels, seconds);
    polls++;
    lastPollSeconds = seconds;
    if (window.baseline) {
      const series = families.reduce((total, family) => total + family.size, 0);
      log(
        `${name} exporter: loaded the database's totals up to ${window.to} in ${seconds.toFixed(2)} s (${series} series); polling every ${config.pollIntervalSeconds} s`,
      );
    }
  }

  function recordSuccess(): void {
    lastSuccess.set(labels, Date.now() / 1000);
    sourceUpGauge.set(labels, 1);
    if (sourceUp === false) {
      log(
        `${name} exporter: database reachable again after ${Math.round((Date.now() - downSince) / 1000)} s; counters caught up from the watermark (nothing lost, nothing counted twice)`,
      );
    }
    sourceUp = true;
  }

  function recordFailure(error: unknown): void {
    pollErrors.inc(labels);
    sourceUpGauge.set(labels, 0);
    for (const collector of collectors) collector.sourceDown?.();
    cached = renderFamilies(families);
    // One line per transition, not one per failed poll.
    if (sourceUp !== false) {
      downSince = Date.now();
      const reason = fatalReason(error, config.databaseUrl) ?? `${describe(error)} (${redact(config.databaseUrl)})`;
      log(
        `${name} exporter: database unavailable: ${reason}; serving the last values with paywatch_exporter_source_up 0, retrying every ${config.pollIntervalSeconds} s`,
      );
    }
    sourceUp = false;
  }

  async function pollSafely(): Promise<boolean> {
    try {
      await pollOnce();
      recordSuccess();
      return true;
    } catch (error) {
      recordFailure(error);
      return false;
    }
  }

  let inflight: Promise<boolean> = Promise.resolve(true);
  const poll = () => (inflight = inflight.then(pollSafely, pollSafely));

  // First poll before listening, so the first scrape has the database's totals. A configuration
  // mistake stops here; an unreachable database does not (it may come up after the exporter).
  try {
    await pollOnce();
    recordSuccess();
  } catch (error) {
    const fatal = fatalReason(error, config.databaseUrl);
    if (fatal) {
      await pool.end().catch(() => {});
      throw new ConfigError(`${name} exporter: ${fatal}`);
    }
    recordFailure(error);
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/metrics', async (_request, response, next) => {
    try {
      const tail = Buffer.from(await registry.metrics());
      const body = cached; // this poll's buffers, even if the next poll replaces them meanwhile
      response.setHeader('Content-Type', registry.contentType);
      response.setHeader('Content-Length', body.reduce((total, buffer) => total + buffer.length, 0) + tail.length);
      response.cork();
      for (const buffer of body) response.write(buffer);
      response.end(tail);
    } catch (error) {
      next(error);
    }
  });
  app.get('/healthz', (_request, response) => {
    // The process is alive and serving; the database's state is in the metrics (source_up), so a
    // database outage does not get the exporter restarted (which would not help).
    response.json({ exporter: name, status: 'ok', sourceUp: sourceUp === true, watermark, polls, lastPollSeconds });
  });

  const server: Server = app.listen(config.port, config.host);
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  } catch (error) {
    await pool.end().catch(() => {});
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new ConfigError(`${name} exporter: port ${config.port} on ${config.host} is in use: choose another with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new ConfigError(`${name} exporter: cannot listen on ${config.host}: check --host`);
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    if (stopped) return;
    await poll();
    if (!stopped) timer = setTimeout(loop, config.pollIntervalSeconds * 1000);
  };
  timer = setTimeout(loop, config.pollIntervalSeconds * 1000);

  return {
    name,
    url: `http://${host}:${port}`,
    port,
    poll,
    async metrics() {
      return Buffer.concat(cached).toString('utf8') + (await registry.metrics());
    },
    sourceUp: () => sourceUp === true,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      await inflight.catch(() => {});
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end().catch(() => {});
    },
  };
}
