// Scope proxy benchmark: the real dashboards' panel queries, as each role runs them, through the
// proxy and straight to Prometheus in the same run, over data at production cardinality; and
// rewrites per second of never-seen dashboard queries on one core.
//
//   npx tsx bench/scope-proxy.ts
//   BENCH_ROUNDS=100 BENCH_REFRESHES=30 BENCH_HOURS=3 BENCH_BRANCHES=500 BENCH_OFFICERS=30 to change the size
//   BENCH_PART=http or BENCH_PART=rewrites to run one part; BENCH_BASELINE=<another checkout's root>
//   to run that checkout's proxy beside this one (before and after in one run); BENCH_PLP=0 to
//   leave prom-label-proxy out
//   BENCH_DATA=<folder> keeps the backfilled TSDB there for the next run (while iterating);
//   BENCH_ONLY=asha.exec,vikram.viewer runs those users' dashboards only; BENCH_PROFILE=<folder>
//   writes a V8 CPU profile of each scope proxy process
//
// What it does (docs/benchmarks.md, "Scope proxy", says how to read the result):
// 1. writes OpenMetrics text for BENCH_BRANCHES branches x BENCH_OFFICERS officers with the label
//    sets of docs/metrics.md (raw exporter series with job/instance, and the recording-rule series
//    the dashboards read, backfilled directly), one sample every 60 s for BENCH_HOURS hours, and
//    backfills a TSDB with `promtool tsdb create-blocks-from openmetrics`;
// 2. starts Prometheus on it and the proxy as its own process through its CLI with policy/policy.yml
//    (and the baseline proxy, two controls: a bare Node.js hop and the floor hop with raw sockets,
//    bench/bare-hop.ts; and for the single-label scopes prom-label-proxy
//    enforcing the same matcher: tools/prom-label-proxy, built once from the Go module proxy);
// 3. for each dashboard and a user of a role that opens it, sends every panel query (from
//    plugin/src/dashboards/index.json, variables substituted as Grafana does) as Grafana would:
//    POST query_range over the dashboard's time range at its step, or POST query (instant) at the
//    end of the range; straight to Prometheus and through each hop, the order rotating; then
//    whole-dashboard refreshes (all panels, 6 at a time) the same ways;
// 4. counts rewrites per second in this single thread (never-seen, never-seen shape and memoised),
//    and again with the hand-written reader off (the grammar's parse alone: before and after in one
//    process); BENCH_REWRITE_MS=500 makes that part short while iterating.
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { panelQueries, type PanelQuery, type QueryIndex, type Variables } from '../plugin/src/dashboards/queries.ts';
import { loadPolicyFile, readerStats, rewriteQuery, useFastReader, type Scope } from '@paywatch/scope-proxy';
import { eachAtOnce, freePort, importOpenMetrics, startPrometheus, startService, requireTool } from '@paywatch/runtime';
import { BARE_HOP, FLOOR_HOP } from './bare-hop.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const REFRESHES = Number(process.env.BENCH_REFRESHES ?? 30);
const HOURS = Number(process.env.BENCH_HOURS ?? 3);
const BRANCHES = Number(process.env.BENCH_BRANCHES ?? 500);
const OFFICERS = Number(process.env.BENCH_OFFICERS ?? 30);
const REWRITE_MS = Number(process.env.BENCH_REWRITE_MS ?? 2000);
/** `http` or `rewrites` to run one part only (default both). */
const PART = process.env.BENCH_PART ?? 'all';
/** Another checkout's root (e.g. main's) whose proxy runs beside this one: before and after in one run. */
const BASELINE = process.env.BENCH_BASELINE;
/** BENCH_PLP=0 leaves prom-label-proxy out (it is built from the Go module proxy on first use). */
const PLP = process.env.BENCH_PLP !== '0';
/**
 * A folder that keeps the backfilled TSDB between runs (made on the first run, reused while the
 * size settings match): iterating on the proxy then skips the minutes of writing and backfilling.
 */
const DATA = process.env.BENCH_DATA;
/** Comma-separated logins (e.g. asha.exec,vikram.viewer): only those users' dashboards. */
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean);
/** A folder for a V8 CPU profile of each scope proxy process (node --cpu-prof), written when it stops. */
const PROFILE = process.env.BENCH_PROFILE;
/** Seconds between samples of the synthetic data (production scrapes every 15 s; see the docs). */
const RESOLUTION = 60;
/** Concurrent panel queries in a dashboard refresh (a browser's connections per host over HTTP/1.1). */
const CONCURRENCY = 6;
const SECRET = 'bench-only-shared-secret-000000';
const ROOT = new URL('..', import.meta.url).pathname;
const POLICY = join(ROOT, 'policy/policy.yml');
const MAIN = join(ROOT, 'scope-proxy/src/main.ts');
const DASHBOARDS = join(ROOT, 'plugin/src/dashboards');

const started = performance.now();
function progress(message: string) {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Data: the label sets of docs/metrics.md at production cardinality.

const CHANNELS = ['cash', 'upi', 'upi_autopay', 'qr', 'bbps', 'nach', 'card', 'netbanking'];
const REASONS = ['insufficient_funds', 'mandate_error', 'gateway_timeout', 'declined', 'otp_failed', 'technical_error', 'cancelled'];
const OTP = ['verified', 'failed', 'expired'];

const branchCode = (b: number) => `BR${String(b).padStart(4, '0')}`;
const officerCode = (b: number, o: number) => `${branchCode(b)}-FO${String(o).padStart(2, '0')}`;

/** A deterministic pseudo-random number in [0, 1) from integers. */
function noise(...xs: number[]): number {
  let h = 2166136261;
  for (const x of xs) h = Math.imul(h ^ (x | 0), 16777619) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
  return (h >>> 8) / 16777216;
}

type Value = (i: number) => number;

/** Writes families of series (all samples of a series together, in time order) as OpenMetrics. */
class Exposition {
  private readonly out;
  private buffer: string[] = [];
  private family = '';
  series = 0;
  samples = 0;
  constructor(
    path: string,
    private readonly times: number[],
  ) {
    this.out = createWriteStream(path);
  }

  async add(name: string, labels: Record<string, string>, value: Value) {
    if (name !== this.family) {
      this.buffer.push(`# TYPE ${name} unknown`);
      this.family = name;
    }
    let text = '';
    for (const key in labels) text += `${text ? ',' : ''}${key}="${labels[key]}"`;
    const prefix = `${name}{${text}} `;
    for (let i = 0; i < this.times.length; i++) {
      const v = value(i);
      this.buffer.push(`${prefix}${Number.isInteger(v) ? v : v.toFixed(4)} ${this.times[i]}`);
    }
    this.series++;
    this.samples += this.times.length;
    if (this.buffer.length > 200_000) await this.flush();
  }

  async flush() {
    if (this.buffer.length === 0) return;
    const text = `${this.buffer.join('\n')}\n`;
    this.buffer = [];
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  async close() {
    this.buffer.push('# EOF');
    await this.flush();
    this.out.end();
    await once(this.out, 'finish');
  }
}

const counter =
  (start: number, perStep: number): Value =>
  (i) =>
    Math.round(start + perStep * i);
const gauge =
  (base: number, spread: number, seed: number): Value =>
  (i) =>
    Math.round(base + spread * noise(seed, i >> 3));
const ratio =
  (base: number, spread: number, seed: number): Value =>
  (i) =>
    base + spread * noise(seed, i);

async function writeData(path: string, end: number) {
  const steps = Math.floor((HOURS * 3600) / RESOLUTION);
  const times: number[] = [];
  for (let i = 0; i <= steps; i++) times.push(end - (steps - i) * RESOLUTION);
  const x = new Exposition(path, times);
  const payments = { job: 'payments', instance: '127.0.0.1:9401' };
  const lms = { job: 'lms', instance: '127.0.0.1:9402' };
  const pool = { job: 'pool', instance: '127.0.0.1:9404' };
  const api = { job: 'payments-api', instance: '127.0.0.1:9400' };
  const node = { job: 'node', instance: '127.0.0.1:9100' };
  const B = Array.from({ length: BRANCHES }, (_, i) => i + 1);
  const O = Array.from({ length: OFFICERS }, (_, i) => i + 1);
  // Raw exporter series (as scraped: job and instance labels too).
  for (const b of B)
    for (const [c, channel] of CHANNELS.entries())
      for (const status of ['success', 'failed'])
        await x.add(
          'payments_total',
          { branch: branchCode(b), channel, status, ...payments },
          counter(1000 * noise(b, c), status === 'success' ? 2 + 6 * noise(b, c, 1) : 0.3 * noise(b, c, 2)),
        );
  for (const b of B)
    for (const [c, channel] of CHANNELS.entries())
      await x.add(
        'payment_amount_total',
        { branch: branchCode(b), channel, ...payments },
        counter(1e7 * noise(b, c), 3000 + 9000 * noise(b, c, 3)),
      );
  for (const b of B)
    for (const [c, channel] of CHANNELS.entries())
      for (const [r, reason] of REASONS.entries())
        await x.add(
          'payment_failures_total',
          { branch: branchCode(b), channel, reason, ...payments },
          counter(50 * noise(b, c, r), 0.05 * noise(b, c, r, 4)),
        );
  for (const b of B)
    for (const [c, channel] of CHANNELS.entries())
      await x.add('payments_pending', { branch: branchCode(b), channel, ...payments }, gauge(2, 20, b * 10 + c));
  for (const b of B)
    for (const o of O)
      for (const [k, otp] of OTP.entries())
        await x.add(
          'field_collections_total',
          { branch: branchCode(b), officer: officerCode(b, o), otp, ...payments },
          counter(200 * noise(b, o, k), k === 0 ? 0.2 : 0.01),
        );
  for (const b of B)
    for (const o of O)
      await x.add(
        'field_collection_amount_total',
        { branch: branchCode(b), officer: officerCode(b, o), ...payments },
        counter(1e6 * noise(b, o), 500 + 1000 * noise(b, o, 5)),
      );
  for (const b of B)
    for (const o of O)
      await x.add(
        'field_collections_unconfirmed',
        { branch: branchCode(b), officer: officerCode(b, o), ...payments },
        gauge(0, 6, b * 100 + o),
      );
  for (const name of ['reconciliation_pending', 'reconciliation_overdue', 'reconciliation_exceptions_open'])
    for (const b of B)
      await x.add(name, { branch: branchCode(b), ...payments }, gauge(0, name === 'reconciliation_pending' ? 30 : 4, b + name.length));
  for (const b of B)
    await x.add('branch_collected_today_inr', { branch: branchCode(b), ...payments }, counter(2e5 * noise(b, 7), 400 * noise(b, 8)));
  for (const b of B)
    await x.add('branch_daily_target_inr', { branch: branchCode(b), ...payments }, () => 500_000 + 1000 * Math.round(500 * noise(b, 9)));
  for (const b of B) await x.add('lms_posting_queue_depth_by_branch', { branch: branchCode(b), ...lms }, gauge(0, 8, b + 11));
  for (const b of B)
    for (const outcome of ['posted', 'failed'])
      await x.add(
        'lms_postings_total',
        { branch: branchCode(b), outcome, ...lms },
        counter(5000 * noise(b, 12), outcome === 'posted' ? 3 : 0.02),
      );
  // Recording-rule series the dashboards read, backfilled directly (no job/instance: aggregated).
  for (const b of B)
    for (const [c, channel] of CHANNELS.entries())
      for (const status of ['success', 'failed'])
        await x.add(
          'branch_channel:payments:rate5m',
          { branch: branchCode(b), channel, status },
          ratio(status === 'success' ? 0.05 : 0.002, 0.05, b * 100 + c),
        );
  for (const b of B)
    for (const status of ['success', 'failed'])
      await x.add('branch:payments:rate5m', { branch: branchCode(b), status }, ratio(status === 'success' ? 0.4 : 0.01, 0.2, b + 13));
  for (const b of B) await x.add('branch:collections_vs_target:ratio', { branch: branchCode(b) }, ratio(0.2, 0.7, b + 14));
  for (const b of B)
    for (const o of O)
      for (const [k, otp] of OTP.entries())
        await x.add(
          'officer:field_collections:increase1d',
          { branch: branchCode(b), officer: officerCode(b, o), otp },
          gauge(k === 0 ? 20 : 0, k === 0 ? 20 : 2, b * 1000 + o * 10 + k),
        );
  for (const b of B)
    for (const o of O)
      await x.add(
        'officer:field_collection_amount_inr:increase1d',
        { branch: branchCode(b), officer: officerCode(b, o) },
        gauge(10_000, 90_000, b * 1000 + o),
      );
  for (const [c, channel] of CHANNELS.entries())
    for (const status of ['success', 'failed'])
      await x.add('channel:payments:rate5m', { channel, status }, ratio(status === 'success' ? 25 : 1, 10, c + 15));
  for (const [c, channel] of CHANNELS.entries())
    await x.add('channel:payment_success_ratio:rate5m', { channel }, ratio(0.93, 0.06, c + 16));
  for (const [c, channel] of CHANNELS.entries())
    await x.add('channel:payment_amount_inr:rate5m', { channel }, ratio(20_000, 30_000, c + 17));
  for (const [r, reason] of REASONS.entries()) await x.add('reason:payment_failures:increase1h', { reason }, gauge(10, 100, r + 18));
  for (const status of ['success', 'failed'])
    await x.add('paywatch:payments:rate5m', { status }, ratio(status === 'success' ? 200 : 6, 40, status.length));
  const fleet: Array<[string, number, number]> = [
    ['paywatch:payment_success_ratio:rate5m', 0.95, 0.04],
    ['paywatch:payment_realtime_success_ratio:rate5m', 0.985, 0.01],
    ['paywatch:payment_amount_inr:rate5m', 200_000, 50_000],
    ['paywatch:payment_processing_seconds:avg5m', 1.5, 1],
    ['paywatch:payment_actionable_failures_worst_branch:increase1h', 3, 8],
    ['paywatch:api_request_duration_seconds:p95_5m', 0.2, 0.2],
    ['paywatch:api_error_ratio:rate5m', 0.002, 0.004],
    ['paywatch:availability:ratio_avg5m', 0.99, 0.01],
    ['paywatch:lms_posting_queue_depth:max5m', 5, 40],
    ['paywatch:rfid_success_ratio:rate5m', 0.98, 0.02],
    ['paywatch:db_connections_used:ratio', 0.3, 0.2],
  ];
  for (const [k, [name, base, spread]] of fleet.entries()) await x.add(name, {}, ratio(base, spread, 100 + k));
  // Alerts and the operations dashboard's fleet series.
  for (const [name, severity, branch] of [
    ['PaymentSuccessRateLow', 'critical', ''],
    ['ReconciliationOverdue', 'warning', 'BR0001'],
    ['LmsPostingFailures', 'critical', 'BR0002'],
  ] as const) {
    await x.add('ALERTS', { alertname: name, alertstate: 'firing', severity, ...(branch ? { branch } : {}) }, () => 1);
  }
  for (const target of [payments, lms, pool, api, node, { job: 'rfid', instance: '127.0.0.1:9403' }]) await x.add('up', target, () => 1);
  for (const target of ['payments-api', 'lms', 'gateway-card', 'gateway-netbanking', 'gateway-upi'])
    await x.add('probe_success', { job: 'blackbox', instance: '127.0.0.1:9115', target }, () => 1);
  await x.add('db_up', pool, () => 1);
  await x.add('lms_up', lms, () => 1);
  for (const exporter of ['payments', 'lms', 'rfid', 'pool'])
    await x.add('paywatch_exporter_source_up', { exporter, job: exporter, instance: '127.0.0.1:9401' }, () => 1);
  await x.add('lms_posting_queue_depth', lms, gauge(0, 40, 19));
  await x.add('lms_posting_oldest_pending_seconds', lms, gauge(0, 120, 20));
  for (const state of ['active', 'idle', 'idle_in_transaction', 'other'])
    await x.add('db_connections', { state, ...pool }, gauge(1, 20, state.length));
  await x.add('db_max_connections', pool, () => 100);
  await x.add('db_connections_waiting', pool, gauge(0, 2, 21));
  await x.add('db_longest_transaction_seconds', pool, gauge(0, 5, 22));
  for (const state of ['total', 'idle', 'waiting'])
    await x.add('app_db_pool_clients', { service: 'payments-api', state, ...api }, gauge(0, 10, state.length));
  await x.add('app_db_pool_max', { service: 'payments-api', ...api }, () => 10);
  for (const exporter of ['payments', 'lms', 'rfid', 'pool']) {
    for (const [k, le] of ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'].entries())
      await x.add(
        'paywatch_exporter_poll_duration_seconds_bucket',
        { exporter, le, job: exporter, instance: '127.0.0.1:9401' },
        counter(0, 0.1 + k * 0.1),
      );
    await x.add(
      'paywatch_exporter_last_success_timestamp_seconds',
      { exporter, job: exporter, instance: '127.0.0.1:9401' },
      (i) => times[i]! - 5,
    );
  }
  const routes = ['/api/payments', '/api/loans/:ref', '/api/login', '/health'];
  for (const route of routes)
    for (const status of ['200', '400', '500'])
      for (const [k, le] of ['0.025', '0.05', '0.1', '0.25', '0.5', '1', '2', '5', '10', '+Inf'].entries())
        await x.add(
          'http_request_duration_seconds_bucket',
          { service: 'payments-api', route, method: 'POST', status, le, ...api },
          counter(0, (status === '200' ? 2 : 0.05) * (k + 1)),
        );
  for (const route of routes)
    for (const status of ['200', '400', '500'])
      await x.add(
        'http_request_duration_seconds_count',
        { service: 'payments-api', route, method: 'POST', status, ...api },
        counter(0, status === '200' ? 20 : 0.5),
      );
  for (const gateway of ['card', 'netbanking', 'upi'])
    for (const outcome of ['success', 'declined', 'timeout', 'error'])
      for (const [k, le] of ['0.1', '0.25', '0.5', '1', '2', '5', '10', '30', '+Inf'].entries())
        await x.add(
          'payment_gateway_request_duration_seconds_bucket',
          { gateway, outcome, le, ...api },
          counter(0, (outcome === 'success' ? 1 : 0.05) * (k + 1)),
        );
  for (const route of routes)
    for (const kind of ['server_error', 'timeout', 'dependency'])
      await x.add('http_request_errors_total', { service: 'payments-api', route, kind, ...api }, counter(0, 0.02));
  for (const route of routes) await x.add('http_rate_limited_total', { service: 'payments-api', route, ...api }, counter(0, 0.01));
  await x.add('auth_login_failures_total', { service: 'payments-api', ...api }, counter(0, 0.05));
  for (const cpu of ['0', '1'])
    for (const mode of ['idle', 'user', 'system', 'iowait', 'irq', 'softirq', 'steal', 'nice'])
      await x.add('node_cpu_seconds_total', { cpu, mode, ...node }, counter(1e5, mode === 'idle' ? 40 : 3));
  await x.add('node_memory_MemAvailable_bytes', node, gauge(8e9, 4e9, 23));
  await x.add('node_memory_MemTotal_bytes', node, () => 24e9);
  for (const [device, mountpoint, fstype] of [
    ['/dev/vda', '/', 'ext4'],
    ['/dev/vdb', '/data', 'xfs'],
    ['tmpfs', '/run', 'tmpfs'],
  ]) {
    await x.add(
      'node_filesystem_avail_bytes',
      { device: device!, mountpoint: mountpoint!, fstype: fstype!, ...node },
      gauge(5e10, 1e10, device!.length),
    );
    await x.add('node_filesystem_size_bytes', { device: device!, mountpoint: mountpoint!, fstype: fstype!, ...node }, () => 2.5e11);
  }
  await x.close();
  return { series: x.series, samples: x.samples };
}

// ---------------------------------------------------------------------------------------------
// Scenarios: each dashboard as a user of a role that opens it.

interface Scenario {
  name: string;
  login: string;
  dashboard: string;
  queries: PanelQuery[];
  /** The dashboard's default time range. */
  rangeSeconds: number;
  step: number;
  /** prom-label-proxy's flags enforcing the same label matcher, where one label is the whole scope. */
  plp?: string[];
}

function seconds(text: string): number {
  const m = /^now-(\d+)([mhd])$/.exec(text);
  if (!m) throw new Error(`unsupported dashboard time ${text}`);
  return Number(m[1]) * { m: 60, h: 3600, d: 86400 }[m[2] as 'm' | 'h' | 'd'];
}

interface IndexWithFiles extends QueryIndex {
  dashboards: Array<QueryIndex['dashboards'][number] & { file: string }>;
}

function scenarios(index: IndexWithFiles): Scenario[] {
  const wanted: Array<{ uid: string; login: string; who: string; branch?: string[]; officer?: string; plp?: string[] }> = [
    { uid: 'paywatch-executive', login: 'asha.exec', who: 'executive, all branches' },
    { uid: 'paywatch-business', login: 'farhan.fin', who: 'finance, all branches' },
    {
      uid: 'paywatch-branch',
      login: 'meera.bm',
      who: 'branch manager, 1 branch',
      branch: ['BR0001'],
      plp: ['-label', 'branch', '-label-value', 'BR0001'],
    },
    {
      uid: 'paywatch-branch',
      login: 'sunil.bm',
      who: 'branch manager, 2 branches',
      branch: ['BR0002', 'BR0003'],
      plp: ['-label', 'branch', '-label-value', 'BR0002', '-label-value', 'BR0003'],
    },
    // Officer codes carry their branch's (BR0001-FO01), so the officer label alone scopes the
    // same series as our branch + officer pair.
    {
      uid: 'paywatch-field',
      login: 'ravi.fo',
      who: 'field officer',
      officer: 'BR0001-FO01',
      plp: ['-label', 'officer', '-label-value', 'BR0001-FO01'],
    },
    { uid: 'paywatch-operations', login: 'devi.ops', who: 'devops, all' },
    { uid: 'paywatch-status', login: 'vikram.viewer', who: 'viewer, aggregate series only' },
  ];
  return wanted
    .filter((w) => !ONLY || ONLY.includes(w.login))
    .map((w) => {
      const dashboard = index.dashboards.find((d) => d.uid === w.uid);
      if (!dashboard) throw new Error(`no dashboard ${w.uid}`);
      const json = JSON.parse(readFileSync(join(DASHBOARDS, dashboard.file), 'utf8')) as { time?: { from?: string }; title?: string };
      const rangeSeconds = seconds(json.time?.from ?? 'now-24h');
      // Grafana's step: range / ~1,000 points, rounded (24 h: 1m; 6 h: 20s), never below the data
      // source's scrape interval (60 s for this data); $__rate_interval = max(step + scrape, 4 x scrape).
      const step = Math.max(RESOLUTION, rangeSeconds >= 86_400 ? 60 : 20);
      const vars: Variables = {
        range: `${rangeSeconds / 3600}h`,
        interval: `${step / 60}m`,
        rateInterval: `${Math.max(step + RESOLUTION, 4 * RESOLUTION) / 60}m`,
      };
      if (w.branch) vars.branch = w.branch;
      if (w.officer) vars.officer = w.officer;
      const queries = panelQueries(index, vars, (d) => d.uid === w.uid);
      return {
        name: `${json.title ?? w.uid} — ${w.login} (${w.who})`,
        login: w.login,
        dashboard: w.uid,
        queries,
        rangeSeconds,
        step,
        ...(w.plp ? { plp: w.plp } : {}),
      };
    });
}

// ---------------------------------------------------------------------------------------------

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Answer {
  ms: number;
  bytes: number;
  raw: Buffer;
}

/** One way to Prometheus the benchmark times: straight, or through one of the hops. */
interface Path {
  key: 'direct' | 'proxy' | 'base' | 'hop' | 'floor' | 'plp';
  url: string;
  /** Sends the data source's secret and this user (the scope proxies only). */
  asUser: boolean;
}

/** What a path is called in the tables. */
const PATH_NAMES: Record<Path['key'], string> = {
  direct: 'direct',
  proxy: 'scope proxy',
  base: 'scope proxy (baseline)',
  hop: 'bare hop',
  floor: 'floor hop',
  plp: 'prom-label-proxy',
};

type Times = Partial<Record<Path['key'], number[]>>;

interface Row {
  scenario: Scenario;
  paths: Path['key'][];
  times: Times;
  perQuery: Array<{ times: Times; bytes: number; series: number; same: Partial<Record<Path['key'], boolean>> }>;
  refresh: Times;
}

const push = (t: Times, key: Path['key'], ms: number) => (t[key] ??= []).push(ms);
const p50 = (t: Times, key: Path['key']) => (t[key]?.length ? percentile(t[key]!, 50) : NaN);

async function main() {
  const index = JSON.parse(readFileSync(join(DASHBOARDS, 'index.json'), 'utf8')) as IndexWithFiles;
  const load0 = loadavg();
  const http = PART === 'rewrites' ? undefined : await measureHttp(index);
  const loadHttp = loadavg();
  const rewrites = PART === 'http' ? undefined : await measureRewrites(index);
  const loadEnd = loadavg();

  // ---- report
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const fmtLoad = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  console.log(`\nScope proxy benchmark — ${new Date().toISOString()} — ${cpu}, ${cpus().length} vCPU, node ${process.version}`);
  console.log(
    `load average (1/5/15 min): ${fmtLoad(load0)} at start, ${fmtLoad(loadHttp)} after the HTTP part, ${fmtLoad(loadEnd)} at the end`,
  );
  if (http) reportHttp(http);
  if (rewrites) reportRewrites(rewrites);
}

async function measureHttp(index: IndexWithFiles) {
  const all = scenarios(index);
  const dir = DATA ?? mkdtempSync(join(tmpdir(), 'bench-scope-proxy-'));
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  const services: Array<Awaited<ReturnType<typeof startService>>> = [];
  try {
    const { end, data } = await backfilled(dir);
    progress('starting Prometheus and the proxy (its own process, its CLI, policy/policy.yml)');
    prometheus = await startPrometheus({ dir, config: 'global: {}\n' });
    const upstream = prometheus.url;
    /** A Node.js process of this benchmark's on a free port, ready when `ready` answers. */
    const startNode = async (name: string, args: (port: number) => string[], ready: string, env?: NodeJS.ProcessEnv) => {
      const port = await freePort();
      services.push(
        await startService({ name, command: process.execPath, args: args(port), env, readyUrl: `http://127.0.0.1:${port}${ready}` }),
      );
      return `http://127.0.0.1:${port}`;
    };
    const startProxy = (name: string, main: string) =>
      startNode(
        name,
        (port) => [
          ...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir', join(PROFILE, name)] : []),
          '--import',
          'tsx',
          main,
          '--policy',
          POLICY,
          '--upstream',
          upstream,
          '--port',
          String(port),
        ],
        '/healthz',
        { ...process.env, PAYWATCH_PROXY_SECRET: SECRET },
      );
    const proxyUrl = await startProxy('scope-proxy', MAIN);
    // Before/after in one run: another checkout's proxy (e.g. main's) beside this one.
    const baseUrl = BASELINE ? await startProxy('scope-proxy-baseline', join(BASELINE, 'scope-proxy/src/main.ts')) : undefined;
    // The two controls (bench/bare-hop.ts): forwarding processes with no checks at all.
    const startHop = (name: string, script: string) =>
      startNode(name, (port) => ['-e', script, String(new URL(upstream).port), String(port)], '/-/ready');
    const hopUrl = await startHop('bare-hop', BARE_HOP);
    const floorUrl = await startHop('floor-hop', FLOOR_HOP);

    // The same client for every path: node:http, keep-alive, no compression (identical requests
    // but for the scope proxy's two headers). One pool per target.
    const agents = new Map<string, Agent>();
    const ask = (path: Path, q: PanelQuery, scenario: Scenario) =>
      new Promise<Answer>((resolve, reject) => {
        const base = path.url;
        const url = new URL(base);
        let agent = agents.get(base);
        if (!agent) agents.set(base, (agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })));
        const params: Record<string, string> = q.instant
          ? { query: q.expr, time: String(end) }
          : { query: q.expr, start: String(end - scenario.rangeSeconds), end: String(end), step: String(scenario.step) };
        const body = new URLSearchParams(params).toString();
        const headers: Record<string, string | number> = {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        };
        if (path.asUser) Object.assign(headers, { 'X-Paywatch-Proxy-Secret': SECRET, 'X-Grafana-User': scenario.login });
        const t0 = performance.now();
        const req = request(
          { host: url.hostname, port: url.port, method: 'POST', path: q.instant ? '/api/v1/query' : '/api/v1/query_range', agent, headers },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const ms = performance.now() - t0;
              const raw = Buffer.concat(chunks);
              resolve({ ms, bytes: raw.length, raw });
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    /** The answer's result as a set of series (the order of an instant vector is not guaranteed). */
    const canonical = (a: Answer, what: string) => {
      const json = JSON.parse(a.raw.toString('utf8')) as { status: string; data?: { result: unknown } };
      if (json.status !== 'success') throw new Error(`${what}: ${a.raw.toString('utf8').slice(0, 300)}`);
      const result = json.data?.result;
      return {
        text: Array.isArray(result)
          ? result
              .map((r) => JSON.stringify(r))
              .sort()
              .join('\n')
          : JSON.stringify(result),
        series: Array.isArray(result) ? result.length : 1,
      };
    };

    const rows: Row[] = [];
    for (const scenario of all) {
      const paths: Path[] = [
        { key: 'direct', url: upstream, asUser: false },
        { key: 'proxy', url: proxyUrl, asUser: true },
      ];
      if (baseUrl) paths.push({ key: 'base', url: baseUrl, asUser: true });
      paths.push({ key: 'hop', url: hopUrl, asUser: false }, { key: 'floor', url: floorUrl, asUser: false });
      // prom-label-proxy where one label scopes the user as ours does (same matcher, same answers).
      let plp: Awaited<ReturnType<typeof startService>> | undefined;
      if (scenario.plp && PLP) {
        const port = await freePort();
        plp = await startService({
          name: 'prom-label-proxy',
          command: requireTool('promLabelProxy'),
          args: ['-insecure-listen-address', `127.0.0.1:${port}`, '-upstream', upstream, ...scenario.plp],
          readyUrl: `http://127.0.0.1:${port}/api/v1/query?query=vector(1)`,
        });
        paths.push({ key: 'plp', url: `http://127.0.0.1:${port}`, asUser: false });
      }
      progress(
        `${scenario.name}: ${scenario.queries.length} panel queries x ${ROUNDS} rounds (+${WARMUP} warm-up), each ${paths.map((p) => PATH_NAMES[p.key]).join(', ')}`,
      );
      const row: Row = { scenario, paths: paths.map((p) => p.key), times: {}, perQuery: [], refresh: {} };
      // First: every hop must answer each panel exactly as Prometheus does for this user.
      for (const q of scenario.queries) {
        const d = canonical(await ask(paths[0]!, q, scenario), `${q.expr} direct`);
        const same: Partial<Record<Path['key'], boolean>> = {};
        for (const p of paths.slice(1)) same[p.key] = canonical(await ask(p, q, scenario), `${q.expr} via ${p.key}`).text === d.text;
        row.perQuery.push({ times: {}, bytes: 0, series: d.series, same });
      }
      // Each panel query every way back to back, the order rotating.
      for (let round = -WARMUP; round < ROUNDS; round++) {
        for (let k = 0; k < scenario.queries.length; k++) {
          const q = scenario.queries[k]!;
          for (let j = 0; j < paths.length; j++) {
            const path = paths[(((round + k + j) % paths.length) + paths.length) % paths.length]!;
            const a = await ask(path, q, scenario);
            if (round < 0) continue;
            push(row.times, path.key, a.ms);
            push(row.perQuery[k]!.times, path.key, a.ms);
            if (path.key === 'direct') row.perQuery[k]!.bytes = a.bytes;
          }
        }
      }
      // Whole-dashboard refreshes: every panel, CONCURRENCY at a time, as a browser loads it.
      const refresh = async (path: Path) => {
        const t0 = performance.now();
        await eachAtOnce(scenario.queries, CONCURRENCY, (q) => ask(path, q, scenario));
        return performance.now() - t0;
      };
      for (let round = -2; round < REFRESHES; round++) {
        for (let j = 0; j < paths.length; j++) {
          const path = paths[(((round + j) % paths.length) + paths.length) % paths.length]!;
          const ms = await refresh(path);
          if (round >= 0) push(row.refresh, path.key, ms);
        }
      }
      await plp?.stop();
      const d50 = p50(row.times, 'direct');
      progress(
        `  p50 ${paths.map((p) => `${p.key} ${p50(row.times, p.key).toFixed(2)} ms (${(p50(row.times, p.key) / d50).toFixed(2)}x)`).join(', ')}; refresh p50 ${paths.map((p) => `${p.key} ${p50(row.refresh, p.key).toFixed(1)}`).join(' / ')} ms`,
      );
      rows.push(row);
    }
    // Why the aggregate scope costs what it costs: the same instant query straight to Prometheus
    // with each of the matchers the proxy adds (or used to add) for a viewer, alone and together.
    progress('aggregate scope: cost of each matcher, straight to Prometheus');
    const allow = AGGREGATE.map((m) => m.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')).join('|');
    const metric = 'paywatch:availability:ratio_avg5m';
    const fieldQuery = (extra: string) => `sum({__name__="officer:field_collections:increase1d", officer="BR0001-FO01"${extra}})`;
    const branchQuery = (extra: string) => `sum({__name__="branch:payments:rate5m", branch=~"BR0001"${extra}})`;
    const variants: Array<[string, string]> = [
      ['as written', metric],
      ['+ __name__ allow-list (what the proxy sends)', `{__name__="${metric}", __name__=~"${allow}"}`],
      ['+ branch=""', `{__name__="${metric}", branch=""}`],
      ['+ officer=""', `{__name__="${metric}", officer=""}`],
      ['+ all three (what the proxy sent before December)', `{__name__="${metric}", __name__=~"${allow}", branch="", officer=""}`],
      // The scoped roles' matchers on a dashboard query: a field officer's own `officer="…"` used to
      // be repeated by the proxy (an identical matcher is now written once), and a branch manager's
      // `branch=~"BR0001"` from Grafana's variable sits beside the proxy's `branch="BR0001"`.
      ['field officer: `sum(officer:field_collections:increase1d{officer="BR0001-FO01"})` as written', fieldQuery('')],
      ['field officer: + branch="BR0001" (what the proxy sends now)', fieldQuery(', branch="BR0001"')],
      [
        'field officer: + branch="BR0001", officer="BR0001-FO01" (what it sent before: officer twice)',
        fieldQuery(', branch="BR0001", officer="BR0001-FO01"'),
      ],
      ['branch manager: `sum(branch:payments:rate5m{branch=~"BR0001"})` as written', branchQuery('')],
      ['branch manager: + branch="BR0001" (what the proxy sends)', branchQuery(', branch="BR0001"')],
    ];
    const matcherCost: Array<{ name: string; p50: number }> = [];
    const viewer = all.find((sc) => sc.login === 'vikram.viewer')!;
    for (const [name, expr] of variants) {
      const q: PanelQuery = { ...viewer.queries[0]!, expr, instant: true };
      const times: number[] = [];
      for (let i = -5; i < 100; i++) {
        const a = await ask({ key: 'direct', url: upstream, asUser: false }, q, viewer);
        if (i >= 0) times.push(a.ms);
      }
      matcherCost.push({ name, p50: percentile(times, 50) });
    }
    for (const agent of agents.values()) agent.destroy();
    return { rows, matcherCost, metric, data };
  } finally {
    // Nothing else of ours runs while rewrites are counted (Prometheus compacts and the proxy
    // collects garbage in the background otherwise).
    for (const s of services.reverse()) await s.stop();
    await prometheus?.stop();
    if (!DATA) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The TSDB for this run's size settings in `dir`: written and backfilled now, or (BENCH_DATA) the
 * one an earlier run left there with the same settings. Returns the data's last timestamp.
 */
async function backfilled(dir: string): Promise<{ end: number; data: { series: number; samples: number } }> {
  const settings = JSON.stringify({ HOURS, BRANCHES, OFFICERS, RESOLUTION });
  const stamp = join(dir, 'bench-data.json');
  if (DATA) {
    try {
      const kept = JSON.parse(readFileSync(stamp, 'utf8')) as { settings: string; end: number; data: { series: number; samples: number } };
      if (kept.settings === settings) {
        progress(`reusing the backfilled data in ${dir} (${kept.data.series.toLocaleString('en')} series)`);
        return kept;
      }
    } catch {
      // nothing kept yet
    }
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  const end = Math.floor(Date.now() / 1000 / RESOLUTION) * RESOLUTION - 120;
  progress(`writing ${HOURS} h of synthetic data, ${BRANCHES} branches x ${OFFICERS} officers, one sample every ${RESOLUTION} s`);
  const data = await writeData(join(dir, 'data.om'), end);
  progress(
    `${data.series.toLocaleString('en')} series, ${data.samples.toLocaleString('en')} samples (${(statSync(join(dir, 'data.om')).size / 1e9).toFixed(1)} GB of OpenMetrics); backfilling with promtool`,
  );
  await importOpenMetrics(join(dir, 'data.om'), join(dir, 'data'));
  rmSync(join(dir, 'data.om'));
  if (DATA) writeFileSync(stamp, JSON.stringify({ settings, end, data }));
  return { end, data };
}

function reportHttp({ rows, matcherCost, metric, data }: Awaited<ReturnType<typeof measureHttp>>) {
  console.log(
    `data: ${data.series.toLocaleString('en')} series (${BRANCHES} branches x ${OFFICERS} officers), ${HOURS} h at ${RESOLUTION} s, ${data.samples.toLocaleString('en')} samples; ${ROUNDS} rounds per panel query after ${WARMUP} warm-up rounds; ${REFRESHES} refreshes per dashboard${BASELINE ? `; baseline proxy from ${BASELINE}` : ''}\n`,
  );
  const hasBase = rows.some((r) => r.paths.includes('base'));
  console.log(
    `| dashboard — user (role, scope) | panel queries | requests | direct p50 ms | proxy p50 ms | p50 ratio (target <= 1.15x) | direct p95 ms | proxy p95 ms | added p50 ms |${hasBase ? ' baseline proxy p50 ms (ratio) |' : ''} bare hop p50 ms (ratio) | floor hop p50 ms (ratio) | answers identical |`,
  );
  console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|${hasBase ? '---:|' : ''}---:|---:|---:|`);
  for (const r of rows) {
    const d50 = p50(r.times, 'direct');
    const x50 = p50(r.times, 'proxy');
    const ratio = x50 / d50;
    const same = r.perQuery.filter((q) => q.same.proxy).length;
    const b50 = p50(r.times, 'base');
    const h50 = p50(r.times, 'hop');
    const f50 = p50(r.times, 'floor');
    console.log(
      `| ${r.scenario.name} | ${r.scenario.queries.length} | ${r.times.direct!.length} | ${d50.toFixed(2)} | ${x50.toFixed(2)} | ${ratio.toFixed(2)}x ${ratio <= 1.15 ? 'met' : 'not met'} | ${percentile(r.times.direct!, 95).toFixed(2)} | ${percentile(r.times.proxy!, 95).toFixed(2)} | ${(x50 - d50).toFixed(2)} |${hasBase ? ` ${b50.toFixed(2)} (${(b50 / d50).toFixed(2)}x) |` : ''} ${h50.toFixed(2)} (${(h50 / d50).toFixed(2)}x) | ${f50.toFixed(2)} (${(f50 / d50).toFixed(2)}x) | ${same}/${r.perQuery.length} |`,
    );
  }
  console.log(
    `\n| dashboard refresh (all panels, ${CONCURRENCY} at a time) — user | refreshes | direct p50 ms | proxy p50 ms | p50 ratio (target <= 1.15x) |${hasBase ? ' baseline proxy p50 ms (ratio) |' : ''} bare hop p50 ms (ratio) | floor hop p50 ms (ratio) | direct p95 ms | proxy p95 ms |`,
  );
  console.log(`|---|---:|---:|---:|---:|${hasBase ? '---:|' : ''}---:|---:|---:|---:|`);
  for (const r of rows) {
    const d50 = p50(r.refresh, 'direct');
    const x50 = p50(r.refresh, 'proxy');
    const b50 = p50(r.refresh, 'base');
    const h50 = p50(r.refresh, 'hop');
    const f50 = p50(r.refresh, 'floor');
    console.log(
      `| ${r.scenario.name} | ${r.refresh.direct!.length} | ${d50.toFixed(1)} | ${x50.toFixed(1)} | ${(x50 / d50).toFixed(2)}x ${x50 / d50 <= 1.15 ? 'met' : 'not met'} |${hasBase ? ` ${b50.toFixed(1)} (${(b50 / d50).toFixed(2)}x) |` : ''} ${h50.toFixed(1)} (${(h50 / d50).toFixed(2)}x) | ${f50.toFixed(1)} (${(f50 / d50).toFixed(2)}x) | ${percentile(r.refresh.direct!, 95).toFixed(1)} | ${percentile(r.refresh.proxy!, 95).toFixed(1)} |`,
    );
  }
  // prom-label-proxy: the same queries, the same run, the same label matcher on the same answers.
  const plpRows = rows.filter((r) => r.paths.includes('plp'));
  if (plpRows.length) {
    console.log(
      "\n| added latency per panel query at p50 (ms over direct; median over the dashboard's panel queries) — user | prom-label-proxy flags | panel queries | scope proxy added | prom-label-proxy added | goal: ours <= theirs | answers identical (ours / theirs) | refresh p50 ms: direct / ours / theirs |",
    );
    console.log('|---|---|---:|---:|---:|---|---|---|');
    for (const r of plpRows) {
      const ours = percentile(
        r.perQuery.map((q) => p50(q.times, 'proxy') - p50(q.times, 'direct')),
        50,
      );
      const theirs = percentile(
        r.perQuery.map((q) => p50(q.times, 'plp') - p50(q.times, 'direct')),
        50,
      );
      console.log(
        `| ${r.scenario.name} | \`${r.scenario.plp!.join(' ')}\` | ${r.perQuery.length} | ${ours.toFixed(3)} | ${theirs.toFixed(3)} | ${ours <= theirs ? 'met' : 'not met'} | ${r.perQuery.filter((q) => q.same.proxy).length}/${r.perQuery.length} / ${r.perQuery.filter((q) => q.same.plp).length}/${r.perQuery.length} | ${p50(r.refresh, 'direct').toFixed(1)} / ${p50(r.refresh, 'proxy').toFixed(1)} / ${p50(r.refresh, 'plp').toFixed(1)} |`,
      );
    }
  }
  console.log(`\n| instant query straight to Prometheus (viewer rows: \`${metric}\`) with | p50 ms |`);
  console.log('|---|---:|');
  for (const m of matcherCost) console.log(`| ${m.name} | ${m.p50.toFixed(2)} |`);
  console.log(
    `\n| panel query (user) | instant/range | series | answer KB | direct p50 ms | proxy p50 ms | ratio |${hasBase ? ' baseline p50 ms |' : ''} bare hop p50 ms | floor hop p50 ms | prom-label-proxy p50 ms |`,
  );
  console.log(`|---|---|---:|---:|---:|---:|---:|${hasBase ? '---:|' : ''}---:|---:|---:|`);
  for (const r of rows) {
    r.scenario.queries.forEach((q, i) => {
      const pq = r.perQuery[i]!;
      const d = p50(pq.times, 'direct');
      const x = p50(pq.times, 'proxy');
      const text = q.expr.length > 70 ? `${q.expr.slice(0, 67)}...` : q.expr;
      const plp = p50(pq.times, 'plp');
      console.log(
        `| \`${text.replaceAll('|', '\\|')}\` (${r.scenario.login}) | ${q.instant ? 'instant' : 'range'} | ${pq.series} | ${(pq.bytes / 1024).toFixed(1)} | ${d.toFixed(2)} | ${x.toFixed(2)} | ${(x / d).toFixed(2)} |${hasBase ? ` ${p50(pq.times, 'base').toFixed(2)} |` : ''} ${p50(pq.times, 'hop').toFixed(2)} | ${p50(pq.times, 'floor').toFixed(2)} | ${Number.isNaN(plp) ? '—' : plp.toFixed(2)} |`,
      );
    });
  }
  // Over every panel query of every scenario: how fast Prometheus is on them, and the overhead.
  const perQuery = rows.flatMap((r) =>
    r.perQuery.map((pq) => ({
      viewer: r.scenario.login === 'vikram.viewer',
      d: p50(pq.times, 'direct'),
      p: p50(pq.times, 'proxy'),
      h: p50(pq.times, 'hop'),
      f: p50(pq.times, 'floor'),
    })),
  );
  const median = (xs: number[]) => percentile(xs, 50);
  const slow = perQuery.filter((q) => q.d >= 2);
  console.log(
    `\npanel queries: ${perQuery.length}; Prometheus p50 under 0.5 ms: ${perQuery.filter((q) => q.d < 0.5).length}, 0.5-1 ms: ${perQuery.filter((q) => q.d >= 0.5 && q.d < 1).length}, 1-2 ms: ${perQuery.filter((q) => q.d >= 1 && q.d < 2).length}, 2 ms or more: ${slow.length}`,
  );
  console.log(
    `within 1.15x at p50: ${perQuery.filter((q) => q.p / q.d <= 1.15).length} of ${perQuery.length} (of the ${slow.length} taking Prometheus 2 ms or more: ${slow.filter((q) => q.p / q.d <= 1.15).length})`,
  );
  console.log(
    `added p50, median over panel queries: ${median(perQuery.map((q) => q.p - q.d)).toFixed(2)} ms; beyond the bare hop (all but the viewer): ${median(perQuery.filter((q) => !q.viewer).map((q) => q.p - q.h)).toFixed(2)} ms; the floor hop's added p50: ${median(perQuery.map((q) => q.f - q.d)).toFixed(2)} ms`,
  );
}

interface RateRow {
  name: string;
  queries: number | string;
  wall: number;
  cpu: number;
}

/**
 * Rewrites per second on one core (this process is single-threaded; Prometheus and the proxies
 * are stopped by now). Never seen: memo off, and each round is another branch's or officer's
 * user, so the text differs too (parse, check, scope, print, re-parse, verify, print again).
 * Never-seen shape: each query also made new in its structure (` + n`), so nothing learnt from
 * another user's query applies either.
 */
type Rewrite = typeof rewriteQuery;

async function measureRewrites(index: IndexWithFiles): Promise<RateRow[]> {
  // The baseline checkout's rewriter, in this process too: before and after on the same core.
  const baseline: Rewrite | undefined = BASELINE
    ? ((await import(join(BASELINE, 'scope-proxy/src/scope.ts'))) as { rewriteQuery: Rewrite }).rewriteQuery
    : undefined;
  progress(`rewrites per second, 3 x ${REWRITE_MS} ms per measurement`);
  const roleSets: Array<{ name: string; dashboard: string; scopeOf: (b: number) => Scope; vars: (b: number) => Variables }> = [
    {
      name: 'branch manager (branch dashboard, 1 branch)',
      dashboard: 'paywatch-branch',
      scopeOf: (b) => ({ kind: 'branch', branches: [branchCode(b)] }),
      vars: (b) => ({ branch: [branchCode(b)], rateInterval: '4m', range: '24h' }),
    },
    {
      name: 'branch manager (branch dashboard, 2 branches)',
      dashboard: 'paywatch-branch',
      scopeOf: (b) => ({ kind: 'branch', branches: [branchCode(b), branchCode((b % BRANCHES) + 1)] }),
      vars: (b) => ({ branch: [branchCode(b), branchCode((b % BRANCHES) + 1)], rateInterval: '4m', range: '24h' }),
    },
    {
      name: 'field officer (field dashboard)',
      dashboard: 'paywatch-field',
      scopeOf: (b) => ({ kind: 'officer', branch: branchCode(b), officer: officerCode(b, (b % OFFICERS) + 1) }),
      vars: (b) => ({ officer: officerCode(b, (b % OFFICERS) + 1), rateInterval: '4m', range: '24h' }),
    },
    {
      name: 'viewer (status dashboard, aggregate scope)',
      dashboard: 'paywatch-status',
      scopeOf: () => ({ kind: 'aggregate', metrics: [...AGGREGATE] }),
      vars: () => ({ rateInterval: '4m', range: '24h' }),
    },
    {
      name: 'executive (executive + business dashboards, scope all: parse and check only)',
      dashboard: 'exec+business',
      scopeOf: () => ({ kind: 'all' }),
      vars: () => ({ rateInterval: '4m', range: '24h' }),
    },
  ];
  const work = roleSets.map((r) => {
    const items: Array<{ scope: Scope; queries: string[] }> = [];
    for (let b = 1; b <= BRANCHES; b++) {
      const filter =
        r.dashboard === 'exec+business'
          ? (d: { uid: string }) => d.uid === 'paywatch-executive' || d.uid === 'paywatch-business'
          : (d: { uid: string }) => d.uid === r.dashboard;
      items.push({ scope: r.scopeOf(b), queries: panelQueries(index, r.vars(b), filter).map((q) => q.expr) });
    }
    return { ...r, items };
  });
  // Per second of wall-clock time and per second of this process's CPU time (user + system):
  // on a shared VM other processes take the core away now and then, which the first counts and
  // the second does not. Each figure is the median of 3 measurements.
  const rateOnce = (items: Array<{ scope: Scope; queries: string[] }>, cache: boolean, reshape: boolean, rewrite: Rewrite) => {
    let n = 0;
    let k = 0;
    let serial = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    while (performance.now() - t0 < REWRITE_MS) {
      const item = items[k++ % items.length]!;
      for (const q of item.queries) rewrite(reshape ? `${q} + ${++serial}` : q, item.scope, { cache });
      n += item.queries.length;
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { wall: n / wall, cpu: n / ((cpu.user + cpu.system) / 1e6) };
  };
  const rate = (items: Array<{ scope: Scope; queries: string[] }>, cache: boolean, reshape = false, rewrite: Rewrite = rewriteQuery) => {
    const runs = [
      rateOnce(items, cache, reshape, rewrite),
      rateOnce(items, cache, reshape, rewrite),
      rateOnce(items, cache, reshape, rewrite),
    ];
    return {
      wall: Math.round(
        percentile(
          runs.map((r) => r.wall),
          50,
        ),
      ),
      cpu: Math.round(
        percentile(
          runs.map((r) => r.cpu),
          50,
        ),
      ),
    };
  };
  for (const rewrite of baseline ? [rewriteQuery, baseline] : [rewriteQuery])
    for (const w of work)
      for (let i = 0; i < 200; i++)
        for (const item of w.items.slice(0, 20)) for (const q of item.queries) rewrite(q, item.scope, { cache: false }); // warm up the JIT
  const out: RateRow[] = work.map((w) => ({ name: `never seen: ${w.name}`, queries: w.items[0]!.queries.length, ...rate(w.items, false) }));
  const mixed = work.slice(0, 4).flatMap((w) => w.items);
  out.push({ name: 'never seen: the four scoped roles above, mixed', queries: '—', ...rate(mixed, false) });
  out.push({
    name: 'never-seen shape (each query + n): branch manager, 1 branch',
    queries: work[0]!.items[0]!.queries.length,
    ...rate(work[0]!.items, false, true),
  });
  out.push({ name: 'never-seen shape (each query + n): the four scoped roles, mixed', queries: '—', ...rate(mixed, false, true) });
  // Which reader read them: every panel query and its printed rewrite should take the fast reader
  // (scope-proxy/src/fast-parser.ts); the grammar path reads only what it declines.
  const paths = readerStats();
  progress(
    `reads so far: ${paths.fast.toLocaleString('en')} by the fast reader, ${paths.grammar.toLocaleString('en')} by the grammar path`,
  );
  // Before and after in this process: the same rewriter with the fast reader off (the grammar's
  // LR parse for the caller's text and for the verification, as before issue 13's parser).
  useFastReader(false);
  out.push({ name: 'grammar path only (fast reader off): never seen, the four scoped roles, mixed', queries: '—', ...rate(mixed, false) });
  out.push({
    name: 'grammar path only (fast reader off): never-seen shape, the four scoped roles, mixed',
    queries: '—',
    ...rate(mixed, false, true),
  });
  useFastReader(true);
  if (baseline) {
    out.push({ name: 'baseline: never seen, the four scoped roles, mixed', queries: '—', ...rate(mixed, false, false, baseline) });
    out.push({ name: 'baseline: never-seen shape, the four scoped roles, mixed', queries: '—', ...rate(mixed, false, true, baseline) });
  }
  const memo = work[0]!.items.slice(0, 1);
  rate(memo, true);
  out.push({
    name: 'repeated (memoised (query, scope) -> rewrite), branch dashboard',
    queries: work[0]!.items[0]!.queries.length,
    ...rate(memo, true),
  });
  return out;
}

function reportRewrites(rows: RateRow[]) {
  console.log(
    `\n| rewrites on one core (median of 3 x ${REWRITE_MS} ms) | queries per user | per wall-clock second | per CPU second | target >= 50,000/s |`,
  );
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows)
    console.log(
      `| ${r.name} | ${r.queries} | ${r.wall.toLocaleString('en')} | ${r.cpu.toLocaleString('en')} | ${r.wall >= 50_000 ? 'met' : r.cpu >= 50_000 ? 'met per CPU second, not per wall-clock second' : 'not met'} |`,
    );
}

/** The viewer's allow-list, read from the policy the proxy uses (by its own loader). */
const AGGREGATE = loadPolicyFile(POLICY).aggregateMetrics;

await main();
