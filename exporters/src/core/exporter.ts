// The part the four exporters share: the pg pool, the poll loop with its watermark, the exporter's
// own health metrics, and the HTTP server that answers scrapes from the last poll's results.
//
// Scrapes never touch the database. The database is read on an interval (poll), inside one
// read-only REPEATABLE READ transaction so all of a poll's queries see the same snapshot, and the
// rendered text of the database-derived families is cached until the next poll, plain and
// gzipped. A scrape costs writing that cached text plus prom-client's few process metrics,
// whatever the table sizes. The server is node:http itself: two routes do not need a framework,
// and loading express took a quarter of an exporter's start-up CPU.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  APP_POOLS,
  EXPORTER_LAST_SUCCESS_TIMESTAMP_SECONDS,
  EXPORTER_POLL_DURATION_SECONDS,
  EXPORTER_POLL_ERRORS_TOTAL,
  EXPORTER_LATE_ROWS_TOTAL,
  EXPORTER_POOL_CLIENTS,
  EXPORTER_ROWS_REFUSED_TOTAL,
  EXPORTER_ROW_LATENESS_SECONDS,
  EXPORTER_SOURCE_BEHIND,
  EXPORTER_SOURCE_UP,
  DEFAULT_METRICS_LEFT_OUT,
  promOptions,
} from '@paywatch/contract';
import { redact } from '@paywatch/database';
import type { Collector, PollWindow, Queryable, ViewRequirement } from './collector.ts';
import { ConfigError, resolveOptions, type ExporterName, type ExporterOptions, type ResolvedOptions } from './config.ts';
import {
  bucketColumns,
  bucketValues,
  counterFor,
  gaugeFor,
  gzipFamilies,
  histogramFor,
  nextTurn,
  renderFamiliesInTurns,
} from './exposition.ts';

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

/** An error that came from the database or the connection (not from the exporter's own code). */
function isSourceError(error: unknown): boolean {
  const e = error as { code?: unknown; severity?: unknown };
  return typeof e?.code === 'string' || typeof e?.severity === 'string' || /connect|terminat|timeout|ECONN/i.test(describe(error));
}

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

/** The column that gives a view's rows their commit order (docs/schema.md, "Reading in commit order"). */
export const COMMIT_ORDER_COLUMN = 'recorded_xid';

/** pg type OIDs of the columns the exporters compute with. */
const TIMESTAMPTZ = 1184;
const XID8 = 5069;

/** PostgreSQL 13 brought xid8 and pg_snapshot, which commit-order reads need. */
const COMMIT_ORDER_SERVER_VERSION = 130000;

interface SourceShape {
  /** Counted views read in commit order (they have recorded_xid and the server has pg_snapshot). */
  commitOrder: Set<string>;
}

/**
 * Checks that every view and column the collectors need exists with a usable type, and finds
 * which counted views can be read in commit order. Each mistake gets a message naming it.
 */
async function checkViews(db: Queryable, collectors: Collector[]): Promise<SourceShape> {
  const types = new Map<string, Map<string, number>>();
  for (const requirements of [[CLOCK_VIEW], ...collectors.map((collector) => collector.requires)]) {
    for (const { view, columns } of requirements) {
      const found = await db.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [view]);
      if (!found.rows[0]?.oid) {
        throw new ConfigError(
          `view ${view} not found: run the migrations (database/migrations) or create the view described in docs/schema.md`,
        );
      }
      const sample = (await db.query(`SELECT * FROM ${view} WHERE false`)) as unknown as {
        fields: Array<{ name: string; dataTypeID: number }>;
      };
      const have = new Map(sample.fields.map((field) => [field.name, field.dataTypeID]));
      types.set(view, have);
      const missing = columns.filter((column) => !have.has(column));
      if (missing.length) {
        throw new ConfigError(`view ${view} has no column ${missing.join(', ')}: give it the columns described in docs/schema.md`);
      }
    }
  }
  const timestamp = (view: string, column: string) => {
    const type = types.get(view)?.get(column);
    if (type !== undefined && type !== TIMESTAMPTZ) {
      throw new ConfigError(
        `column ${column} of view ${view} is not a timestamptz (pg type ${type}): give it the type described in docs/schema.md (a timestamp without time zone: \`${column} AT TIME ZONE '<its zone>'\`)`,
      );
    }
  };
  timestamp(CLOCK_VIEW.view, 'now');
  const version = Number((await db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]?.v ?? 0);
  const commitOrder = new Set<string>();
  for (const { view, time } of collectors.flatMap((collector) => collector.counts ?? [])) {
    timestamp(view, time);
    const type = types.get(view)?.get(COMMIT_ORDER_COLUMN);
    if (type === undefined || version < COMMIT_ORDER_SERVER_VERSION) continue;
    if (type !== XID8) {
      throw new ConfigError(
        `column ${COMMIT_ORDER_COLUMN} of view ${view} is not an xid8 (pg type ${type}): set it with pg_current_xact_id() as docs/schema.md describes, or leave it out to read the view by time`,
      );
    }
    commitOrder.add(view);
  }
  return { commitOrder };
}

/** A text PostgreSQL produced (a timestamp, a snapshot) as an SQL literal. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** `paywatch.payments` → `payments`: the `view` label. */
function viewLabel(view: string): string {
  return view.replace(/^paywatch\./, '');
}

/** One poll's exposition: the text as buffers to write one after the other, and the same gzipped. */
interface Exposition {
  plain: Buffer[];
  gzip: Buffer[];
}

/** Whether an Accept-Encoding header takes gzip (Prometheus sends `gzip`; `gzip;q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.find((param) => param.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}

/** How late rows are metered: a cheap aggregate over the rows this poll counts. */
const LATENESS_BUCKETS = EXPORTER_ROW_LATENESS_SECONDS.buckets;

export async function runExporter(
  name: ExporterName,
  options: ExporterOptions,
  makeCollectors: (options: ResolvedOptions) => Collector[],
): Promise<RunningExporter> {
  const config = resolveOptions(name, options);
  const { log } = config;
  const collectors = makeCollectors(config);
  const counted = collectors.flatMap((collector) => collector.counts ?? []);

  // The core's own database-derived families: late rows, refused rows, a source behind.
  const lateRows = counterFor(EXPORTER_LATE_ROWS_TOTAL);
  const lateness = histogramFor(EXPORTER_ROW_LATENESS_SECONDS);
  const refusedRows = counterFor(EXPORTER_ROWS_REFUSED_TOTAL);
  const sourceBehind = gaugeFor(EXPORTER_SOURCE_BEHIND);
  for (const { view } of counted) {
    lateRows.add([name, viewLabel(view)], 0);
    lateness.add([name, viewLabel(view)], [], 0, 0);
  }
  sourceBehind.set([name], 0);
  const families = [...collectors.flatMap((collector) => collector.families), lateRows, lateness, refusedRows, sourceBehind];

  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: config.poolMax,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // A connection that hangs (network cut without a reset) must fail the poll, not stall it.
    query_timeout: 60_000,
    keepAlive: true,
    application_name: APP_POOLS.exporter(name).application,
  });
  // An idle connection dropped by the server: the next poll reports the outage, nothing to do here.
  pool.on('error', () => {});

  // The exporter's own health, with prom-client, in a registry per exporter (tests and the stack
  // run several exporters in one process).
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of DEFAULT_METRICS_LEFT_OUT) registry.removeSingleMetric(name);
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

  /** The time watermark: the previous poll's upper edge (views read by time). */
  let watermark = '-infinity';
  /** The commit-order watermark: the previous poll's snapshot and its xmin (views read in commit order). */
  let snapshot: { text: string; xmin: string } | undefined;
  let shape: SourceShape | undefined;
  let today: string | undefined;
  let sourceUp: boolean | undefined;
  let downSince = 0;
  let behind = false;
  let clockBehind = false;
  /** What scrapes are served: the last exposition built (expose()). */
  let cached: Exposition = { plain: [], gzip: [] };

  /**
   * The one way the families' `{plain, gzip}` is built (at start, after each poll, when the
   * source goes down): their changes rendered in turns, then compressed in turns. Scrapes get the
   * previous text until the new one is rendered; the plain text is served from then on, and the
   * gzipped copy once compressed, right after: a scrape asking gzip (Prometheus) gets the previous
   * values until then, never a mix of two. Resolves, after the gzip, with the performance.now()
   * time the plain text was served. Nothing may change the families meanwhile: polls (and with
   * them source-down updates) run one at a time.
   */
  async function expose(): Promise<number> {
    const plain = await renderFamiliesInTurns(families);
    const served = performance.now();
    cached = { plain, gzip: cached.gzip };
    cached = { plain, gzip: await gzipFamilies(families) };
    return served;
  }
  await expose();
  let polls = 0;
  let lastPollSeconds = 0;
  /** Where the last successful poll's time went, in ms (on /healthz: the benchmark reports it). */
  let lastPollPhases = { read: 0, apply: 0, render: 0, gzip: 0 };

  async function pollOnce(): Promise<void> {
    const started = performance.now();
    const client = await pool.connect();
    // A checked-out client has no 'error' listener of the pool's: without this one, a connection
    // terminated mid-poll (failover, pg_terminate_backend) would be an uncaught 'error' that ends
    // the process. The query in flight fails too, and that fails the poll.
    const onClientError = () => {};
    client.on('error', onClientError);
    const applies: Array<() => void> = [];
    const refusals: Array<{ view: string; reason: string; rows: number }> = [];
    let window: PollWindow;
    let next: { text: string; xmin: string } | undefined;
    let late: Array<{ view: string; row: Record<string, unknown> }> = [];
    let nowBehind = false;
    let clockNowBehind = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        if (!shape) {
          shape = await checkViews(client, collectors);
          for (const collector of collectors) await collector.inspect?.(client, log);
          logShape(shape);
        }
        const commitOrder = shape.commitOrder;
        // The time window's upper bound is the business clock minus the safety lag (rows
        // committed up to that long after their timestamp are still counted by views read by
        // time), never before the watermark (a clock stepping back must not make counters go
        // back). Views read in commit order do not depend on the clock at all.
        const clock = await client.query<{
          now: string;
          to: string;
          today: string;
          today_start: string;
          behind: boolean;
          snapshot: string | null;
          xmin: string | null;
        }>(
          `SELECT w.now::text AS now, w.upper::text AS "to", w.raw < $2::timestamptz AS behind,
                  (w.raw AT TIME ZONE '${BUSINESS_TIME_ZONE}')::date::text AS today,
                  (((w.raw AT TIME ZONE '${BUSINESS_TIME_ZONE}')::date)::timestamp AT TIME ZONE '${BUSINESS_TIME_ZONE}')::text AS today_start,
                  ${commitOrder.size ? 'pg_current_snapshot()::text' : 'NULL::text'} AS snapshot,
                  ${commitOrder.size ? 'pg_snapshot_xmin(pg_current_snapshot())::text' : 'NULL::text'} AS xmin
           FROM (SELECT c.now, c.now - make_interval(secs => $1::float8) AS raw,
                        GREATEST(c.now - make_interval(secs => $1::float8), $2::timestamptz) AS upper
                 FROM paywatch.clock c) w`,
          [config.safetyLagSeconds, watermark],
        );
        const row = clock.rows[0];
        if (!row || clock.rows.length > 1 || row.now === null) {
          throw new Error(
            `paywatch.clock returned ${clock.rows.length} rows${row && row.now === null ? ' (now is NULL)' : ''}: it must return exactly one row with the business clock (on a real database CREATE VIEW paywatch.clock AS SELECT now() AS now; docs/schema.md)`,
          );
        }
        clockNowBehind = row.behind;
        const baseline = watermark === '-infinity';
        if (row.snapshot && row.xmin) {
          next = { text: row.snapshot, xmin: row.xmin };
          if (snapshot) {
            // Does this snapshot see everything the previous one saw? Not when the exporter now
            // reads a replica that lags behind the server it read before (failover): counting
            // then waits, so that nothing is counted twice when the replica catches up.
            const covers = await client.query<{ covers: boolean }>(
              `SELECT pg_snapshot_xmax(c) >= pg_snapshot_xmax(p)
                      AND NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(c) x
                                      WHERE x < pg_snapshot_xmax(p) AND x NOT IN (SELECT pg_snapshot_xip(p))) AS covers
               FROM (SELECT $1::pg_snapshot AS c, $2::pg_snapshot AS p) s`,
              [next.text, snapshot.text],
            );
            nowBehind = !covers.rows[0]?.covers;
          }
        }
        const previous = snapshot;
        window = {
          from: watermark,
          to: row.to,
          now: row.now,
          baseline,
          today: row.today,
          todayStart: row.today_start,
          newDay: !baseline && row.today !== today,
          counted(view, time) {
            if (commitOrder.has(view)) {
              if (baseline || !previous) return 'true';
              if (nowBehind) return 'false';
              return `(${COMMIT_ORDER_COLUMN} >= ${literal(previous.xmin)}::xid8 AND NOT pg_visible_in_snapshot(${COMMIT_ORDER_COLUMN}, ${literal(previous.text)}::pg_snapshot))`;
            }
            if (baseline) return `(${time} <= ${literal(row.to)}::timestamptz)`;
            return `(${time} > ${literal(watermark)}::timestamptz AND ${time} <= ${literal(row.to)}::timestamptz)`;
          },
          refuse(view, reason, rows) {
            if (rows > 0) refusals.push({ view, reason, rows });
          },
        };
        for (const collector of collectors) applies.push(await collector.poll(client, window));
        // How late the rows read in commit order came: rows whose timestamp was already behind
        // the previous poll's time edge would have been missed by a read by time.
        if (!baseline && previous && !nowBehind) {
          for (const { view, time } of counted) {
            if (!commitOrder.has(view)) continue;
            const result = await client.query(
              `SELECT count(*) AS n, count(*) FILTER (WHERE at <= $2::timestamptz) AS late, coalesce(sum(seconds), 0)::float8 AS seconds,
                      ${bucketColumns('seconds', LATENESS_BUCKETS)}
               FROM (SELECT ${time} AS at, greatest(0, extract(epoch FROM $1::timestamptz - ${time}))::float8 AS seconds
                     FROM ${view} WHERE ${window.counted(view, time)} AND ${time} IS NOT NULL) r`,
              [row.now, watermark],
            );
            late.push({ view, row: result.rows[0] ?? {} });
          }
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
      client.removeListener('error', onClientError);
      client.release();
    } catch (error) {
      // A connection that failed is not given back to the pool (and keeps its listener: a
      // destroyed connection may still report its end).
      client.release(error instanceof Error ? error : new Error(String(error)));
      late = [];
      throw error;
    }
    const read = performance.now();
    // Only a poll that read everything changes anything, and then all of it (appliers do not throw).
    // Scrapes are served between two collectors' appliers (they read the previous poll's text,
    // never the families): replacing ~15k officer gauges takes milliseconds.
    for (const apply of applies) {
      apply();
      await nextTurn();
    }
    for (const { view, row } of late) {
      const n = Number(row.n ?? 0);
      if (!n) continue;
      lateRows.add([name, viewLabel(view)], Number(row.late ?? 0));
      lateness.add([name, viewLabel(view)], bucketValues(row, LATENESS_BUCKETS), n, Number(row.seconds ?? 0));
    }
    if (refusals.length) {
      const byReason = new Map<string, number>();
      for (const { view, reason, rows } of refusals) {
        refusedRows.add([name, viewLabel(view), reason], rows);
        byReason.set(`${view} (${reason})`, (byReason.get(`${view} (${reason})`) ?? 0) + rows);
      }
      log(
        `${name} exporter: refused ${[...byReason]
          .sort()
          .map(([what, rows]) => `${rows} row(s) of ${what}`)
          .join(
            ', ',
          )}: not counted (paywatch_exporter_rows_refused_total); fix the rows or the view's mapping (docs/schema.md, "Rows the exporters refuse")`,
      );
    }
    if (nowBehind !== behind) {
      log(
        nowBehind
          ? `${name} exporter: the database has not yet committed everything already counted (a replica that lags behind the server read before?): counters wait for it to catch up, nothing is counted twice (paywatch_exporter_source_behind 1)`
          : `${name} exporter: the database caught up with what was counted; counting resumes`,
      );
    }
    behind = nowBehind;
    sourceBehind.set([name], behind ? 1 : 0);
    if (clockNowBehind && !clockBehind) {
      log(
        `${name} exporter: the business clock (paywatch.clock) is behind the last poll's edge ${watermark}: it jumped ahead before. Views read in commit order count on; views read by time wait until the clock passes that edge`,
      );
    }
    clockBehind = clockNowBehind;
    if (next && !behind) snapshot = next;
    watermark = window.to;
    today = window.today;
    // The poll's time: from its first query until its values are served. Compressing them is
    // the serving cache's work, timed apart (lastPollPhases.gzip on /healthz); the next poll
    // starts only after it.
    const applied = performance.now();
    const rendered = await expose();
    const seconds = (rendered - started) / 1000;
    pollDuration.observe(labels, seconds);
    polls++;
    lastPollSeconds = seconds;
    lastPollPhases = { read: read - started, apply: applied - read, render: rendered - applied, gzip: performance.now() - rendered };
    if (window.baseline) {
      const series = families.reduce((total, family) => total + family.size, 0);
      log(
        `${name} exporter: loaded the database's totals up to ${next ? `snapshot ${next.text}` : window.to} in ${seconds.toFixed(2)} s (${series} series); polling every ${config.pollIntervalSeconds} s`,
      );
    }
  }

  function logShape({ commitOrder }: SourceShape): void {
    const byTime = counted.filter(({ view }) => !commitOrder.has(view)).map(({ view }) => view);
    if (byTime.length) {
      log(
        `${name} exporter: ${byTime.join(', ')} ${byTime.length > 1 ? 'have' : 'has'} no ${COMMIT_ORDER_COLUMN} column (or the server is older than PostgreSQL 13): read by time with a ${config.safetyLagSeconds} s safety lag, so a row committed later than that after its timestamp is counted only at the next start; add the column (docs/schema.md, "Reading in commit order") to count every row once however late`,
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

  async function recordFailure(error: unknown): Promise<void> {
    pollErrors.inc(labels);
    sourceUpGauge.set(labels, 0);
    for (const collector of collectors) collector.sourceDown?.();
    await expose();
    // One line per transition, not one per failed poll.
    if (sourceUp !== false) {
      downSince = Date.now();
      const reason = fatalReason(error, config.databaseUrl) ?? `${describe(error)} (${redact(config.databaseUrl)})`;
      log(
        `${name} exporter: ${isSourceError(error) ? 'database unavailable' : 'poll failed'}: ${reason}; serving the last values with paywatch_exporter_source_up 0, retrying every ${config.pollIntervalSeconds} s`,
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
      await recordFailure(error);
      return false;
    }
  }

  let inflight: Promise<boolean> = Promise.resolve(true);
  const poll = () => (inflight = inflight.then(pollSafely, pollSafely));

  // Check the configuration before listening: a mistake (a missing view, refused credentials)
  // stops here; an unreachable database does not (it may come up after the exporter).
  try {
    const client = await pool.connect();
    const onClientError = () => {};
    client.on('error', onClientError);
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      shape = await checkViews(client, collectors);
      for (const collector of collectors) await collector.inspect?.(client, log);
      await client.query('COMMIT');
      client.removeListener('error', onClientError);
      client.release();
      logShape(shape);
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  } catch (error) {
    const fatal = fatalReason(error, config.databaseUrl);
    if (fatal) {
      await pool.end().catch(() => {});
      throw new ConfigError(`${name} exporter: ${fatal}`);
    }
    await recordFailure(error);
  }
  // Loading the totals (the first poll) can take long on a big table: the process serves
  // /metrics meanwhile, with paywatch_exporter_source_up 0, unless told to wait (tests).
  const loaded = shape ? poll() : Promise.resolve(false);
  if (config.waitForTotals) await loaded;

  async function serveMetrics(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = cached; // this poll's buffers, even if the next poll replaces them meanwhile
    const own = Buffer.from(await registry.metrics());
    // Prometheus asks for gzip: it gets the members gzipped once per poll, then its own few lines.
    const gzip = acceptsGzip(request.headers['accept-encoding']);
    const parts = gzip ? [...body.gzip, gzipSync(own, { level: 1 })] : [...body.plain, own];
    response.writeHead(200, {
      'Content-Type': registry.contentType,
      'Content-Length': parts.reduce((total, buffer) => total + buffer.length, 0),
      Vary: 'Accept-Encoding',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    response.cork();
    for (const buffer of parts) response.write(buffer);
    response.end();
  }

  function serveHealth(response: ServerResponse): void {
    // The process is alive and serving; the database's state is in the metrics (source_up), so a
    // database outage does not get the exporter restarted (which would not help).
    const body = JSON.stringify({
      exporter: name,
      status: 'ok',
      sourceUp: sourceUp === true,
      watermark,
      polls,
      lastPollSeconds,
      lastPollPhases,
    });
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  }

  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const known = path === '/metrics' || path === '/healthz';
    if (known && request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end(`${request.method} not allowed: GET ${path}\n`);
    } else if (path === '/metrics') {
      serveMetrics(request, response).catch((error: unknown) => {
        log(`${name} exporter: a scrape failed: ${describe(error)}`);
        if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain' });
        response.end();
      });
    } else if (path === '/healthz') {
      serveHealth(response);
    } else {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path} (the exporter serves /metrics and /healthz)\n`);
    }
  });
  server.listen(config.port, config.host);
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
      return Buffer.concat(cached.plain).toString('utf8') + (await registry.metrics());
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
