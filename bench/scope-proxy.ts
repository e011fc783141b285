// Scope proxy benchmark: dashboard-shaped queries through the proxy vs straight to Prometheus in
// the same run, and rewrites per second on one core.
//   npx tsx bench/scope-proxy.ts            (BENCH_ROUNDS=300 BENCH_BRANCHES=100 to change the size)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { rewriteQuery, type Scope } from '../scope-proxy/src/scope.ts';
import { startPrometheus } from '../stack/src/servers.ts';
import { freePort, startService } from '../stack/src/process.ts';
import { requireTool } from '../stack/src/tools.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const BRANCHES = Number(process.env.BENCH_BRANCHES ?? 100);
const STEP = 30;
const SPAN = 3 * 3600;
const SECRET = 'bench-only-shared-secret-000000';
const POLICY = new URL('../policy/policy.yml', import.meta.url).pathname;
const MAIN = new URL('../scope-proxy/src/main.ts', import.meta.url).pathname;

/** A day-shaped data set: BRANCHES branches, officers, channels, the recording-rule series. */
function exposition(end: number): string {
  const families = new Map<string, string[]>();
  const add = (name: string, labels: Record<string, string>, value: (i: number) => number) => {
    const text = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
    const lines = families.get(name) ?? [];
    for (let t = end - SPAN, i = 0; t <= end; t += STEP, i++) lines.push(`${name}{${text}} ${value(i)} ${t}`);
    families.set(name, lines);
  };
  for (let b = 1; b <= BRANCHES; b++) {
    const branch = `BR${String(b).padStart(4, '0')}`;
    for (const channel of ['cash', 'upi', 'qr', 'nach']) {
      add('payments_total', { branch, channel, status: 'success' }, (i) => i * (b % 7 + 3));
      add('payments_total', { branch, channel, status: 'failed' }, (i) => Math.floor(i / 10) * (b % 3 + 1));
      add('payment_amount_total', { branch, channel }, (i) => i * 1500 * (b % 5 + 1));
    }
    for (let o = 1; o <= 5; o++) {
      const officer = `${branch}-FO${String(o).padStart(2, '0')}`;
      add('field_collections_total', { branch, officer, otp: 'verified' }, (i) => i * o);
      add('field_collections_total', { branch, officer, otp: 'failed' }, (i) => Math.floor(i / 20));
      add('field_collection_amount_total', { branch, officer }, (i) => i * 700 * o);
    }
    add('branch:payment_success_ratio:rate5m', { branch }, (i) => 0.95 + (i % 5) / 100);
    add('reconciliation_pending', { branch }, (i) => (i + b) % 9);
    for (const le of ['0.1', '0.3', '1', '+Inf']) add('rfid_verification_duration_seconds_bucket', { branch, le }, (i) => i * (Number(le) > 0.2 ? 4 : 2));
  }
  const out: string[] = [];
  for (const [name, lines] of families) {
    out.push(`# TYPE ${name} unknown`);
    for (const line of lines) out.push(line);
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

// What the branch dashboard asks for (as the branch manager meera.bm of BR0001): small answers,
// so Prometheus is fast and the proxy's fixed cost shows most.
const BRANCH_DASHBOARD = [
  'sum(rate(payments_total{branch="BR0001"}[5m]))',
  'sum by (channel) (rate(payments_total{branch="BR0001",status="success"}[5m])) / sum by (channel) (rate(payments_total{branch="BR0001"}[5m]))',
  'branch:payment_success_ratio:rate5m{branch="BR0001"}',
  'sum by (officer) (increase(field_collection_amount_total{branch="BR0001"}[1h]))',
  'histogram_quantile(0.95, sum by (le) (rate(rfid_verification_duration_seconds_bucket{branch="BR0001"}[5m])))',
  'reconciliation_pending{branch="BR0001"}',
  'sum(increase(payments_total{branch="BR0001",status="failed"}[1h]))',
  'sum(payment_amount_total{branch="BR0001"}) - sum(payment_amount_total{branch="BR0001"} offset 30m)',
];

// The same panels for a manager of two branches (sunil.bm): the scope becomes a regex matcher.
const TWO_BRANCH_DASHBOARD = BRANCH_DASHBOARD.map((q) => q.replaceAll('branch="BR0001"', 'branch=~"BR0002|BR0003"'));

// Executive / finance panels across every branch (asha.exec, scope all: parsed, not rewritten).
const FLEET_DASHBOARD = [
  'sum by (branch) (rate(payments_total[5m]))',
  'topk(10, sum by (branch) (increase(payment_amount_total[1h])))',
  'sum by (channel, status) (rate(payments_total[5m]))',
  'sum(rate(payments_total{status="success"}[5m])) / sum(rate(payments_total[5m]))',
  'histogram_quantile(0.95, sum by (le) (rate(rfid_verification_duration_seconds_bucket[5m])))',
  'sum by (branch) (increase(field_collection_amount_total[1h]))',
];

interface Scenario {
  name: string;
  login: string;
  queries: string[];
  rangeSeconds: number;
  step: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'branch dashboard, 1 branch (meera.bm)', login: 'meera.bm', queries: BRANCH_DASHBOARD, rangeSeconds: 3600, step: 30 },
  { name: 'branch dashboard, 2 branches (sunil.bm)', login: 'sunil.bm', queries: TWO_BRANCH_DASHBOARD, rangeSeconds: 3600, step: 30 },
  { name: 'executive dashboard, all branches (asha.exec)', login: 'asha.exec', queries: FLEET_DASHBOARD, rangeSeconds: 3 * 3600, step: 60 },
];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-scope-proxy-'));
  const end = Math.floor(Date.now() / 1000 / STEP) * STEP - 120;
  writeFileSync(join(dir, 'data.om'), exposition(end));
  const made = spawnSync(requireTool('promtool'), ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'data.om'), join(dir, 'data')], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(made.stderr);
  const prometheus = await startPrometheus({ dir, config: 'global: {}\n' });
  // The proxy as its own process, started by its CLI, as in production.
  const proxyPort = await freePort();
  const proxyService = await startService({
    name: 'scope-proxy',
    command: process.execPath,
    args: ['--import', 'tsx', MAIN, '--policy', POLICY, '--upstream', prometheus.url, '--port', String(proxyPort)],
    env: { ...process.env, PAYWATCH_PROXY_SECRET: SECRET },
    readyUrl: `http://127.0.0.1:${proxyPort}/healthz`,
  });
  const proxy = { url: `http://127.0.0.1:${proxyPort}`, stop: () => proxyService.stop() };
  // The same client for both paths: node:http, keep-alive, no compression (fetch would ask
  // Prometheus for gzip, which the proxy does not, and that would flatter the proxy).
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ask = (base: string, query: string, scenario: Scenario, login?: string) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(base);
      const body = new URLSearchParams({ query, start: String(end - scenario.rangeSeconds), end: String(end), step: String(scenario.step) }).toString();
      const headers: Record<string, string | number> = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) };
      if (login) Object.assign(headers, { 'X-Paywatch-Proxy-Secret': SECRET, 'X-Grafana-User': login });
      const started = performance.now();
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/api/v1/query_range', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - started;
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status: string; data?: { result: unknown[] } };
          if (json.status !== 'success' || !json.data?.result.length) reject(new Error(`${query} via ${base}: ${JSON.stringify(json).slice(0, 200)}`));
          else resolve(ms);
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  try {
    const results: Array<{ scenario: Scenario; direct: number[]; proxy: number[]; perQuery: Array<{ direct: number[]; proxy: number[] }> }> = [];
    for (const scenario of SCENARIOS) {
      const direct: number[] = [];
      const viaProxy: number[] = [];
      const perQuery = scenario.queries.map(() => ({ direct: [] as number[], proxy: [] as number[] }));
      for (let round = -30; round < ROUNDS; round++) {
        for (let q = 0; q < scenario.queries.length; q++) {
          const query = scenario.queries[q]!;
          const proxyFirst = (round + q) % 2 === 0;
          const a = proxyFirst ? await ask(proxy.url, query, scenario, scenario.login) : await ask(prometheus.url, query, scenario);
          const b = proxyFirst ? await ask(prometheus.url, query, scenario) : await ask(proxy.url, query, scenario, scenario.login);
          if (round < 0) continue; // warm-up
          const [p, d] = proxyFirst ? [a, b] : [b, a];
          viaProxy.push(p);
          direct.push(d);
          perQuery[q]!.proxy.push(p);
          perQuery[q]!.direct.push(d);
        }
      }
      results.push({ scenario, direct, proxy: viaProxy, perQuery });
    }
    // Rewrites per second on one core (this process is single-threaded).
    const scope: Scope = { kind: 'branch', branches: ['BR0001'] };
    const rate = (cache: boolean, unique: boolean) => {
      let n = 0;
      const started = performance.now();
      while (performance.now() - started < 3000) {
        for (const q of BRANCH_DASHBOARD) rewriteQuery(unique ? `${q} + ${n}` : q, scope, { cache });
        n += BRANCH_DASHBOARD.length;
      }
      return Math.round(n / ((performance.now() - started) / 1000));
    };
    for (const q of BRANCH_DASHBOARD) rewriteQuery(q, scope, { cache: false });
    const cold = rate(false, true);
    const warm = rate(true, false);

    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    console.log(`\nScope proxy benchmark — ${new Date().toISOString()} — ${cpu}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join('/')}, node ${process.version}`);
    console.log(`${BRANCHES} branches of data; query_range through the proxy and straight to Prometheus, alternating, ${ROUNDS} rounds per query after 30 warm-up rounds; proxy in its own process (its CLI); same keep-alive node:http client for both\n`);
    console.log('| scenario | requests | direct p50 ms | proxy p50 ms | p50 ratio | direct p95 ms | proxy p95 ms | added p50 ms |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      const d50 = percentile(r.direct, 50);
      const p50 = percentile(r.proxy, 50);
      console.log(`| ${r.scenario.name} | ${r.direct.length} | ${d50.toFixed(2)} | ${p50.toFixed(2)} | ${(p50 / d50).toFixed(2)}x | ${percentile(r.direct, 95).toFixed(2)} | ${percentile(r.proxy, 95).toFixed(2)} | ${(p50 - d50).toFixed(2)} |`);
    }
    console.log('\n| query (scenario) | direct p50 ms | proxy p50 ms | ratio |');
    console.log('|---|---:|---:|---:|');
    for (const r of results) {
      r.scenario.queries.forEach((q, i) => {
        const d = percentile(r.perQuery[i]!.direct, 50);
        const p = percentile(r.perQuery[i]!.proxy, 50);
        console.log(`| \`${q.length > 60 ? `${q.slice(0, 57)}...` : q}\` (${r.scenario.login}) | ${d.toFixed(2)} | ${p.toFixed(2)} | ${(p / d).toFixed(2)} |`);
      });
    }
    console.log('\n| rewrites on one core (branch dashboard queries) | per second | target >= 20,000/s |');
    console.log('|---|---:|---|');
    console.log(`| every query new: parse, scope, print, re-parse, verify | ${cold.toLocaleString('en')} | ${cold >= 20_000 ? 'met' : 'not met'} |`);
    console.log(`| dashboard repeats: memoised (query, scope) -> rewrite | ${warm.toLocaleString('en')} | ${warm >= 20_000 ? 'met' : 'not met'} |`);
  } finally {
    await proxy.stop();
    await prometheus.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
