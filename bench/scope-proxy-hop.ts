// The scope proxy's hop on its own: CPU per request and latency against a canned upstream that
// answers at once (so Prometheus's own work and its variance are out of the picture), beside a
// bare Node.js forwarding hop and, optionally, another checkout's proxy. Where the proxy's CPU
// goes: add BENCH_HOP_PROFILE=<dir> for a V8 CPU profile of the proxy process.
//
//   npx tsx bench/scope-proxy-hop.ts
//   BENCH_HOP_REQUESTS=2000 BENCH_HOP_ROUNDS=4 BENCH_HOP_ANSWER_BYTES=3000 BENCH_HOP_LOGIN=meera.bm
//   BENCH_HOP_QUERY='...' BENCH_BASELINE=<another checkout's root> BENCH_HOP_PROFILE=/tmp/prof
//
// Every process is started here on 127.0.0.1 free ports and stopped at the end; the client sends
// BENCH_HOP_REQUESTS requests per path and round, 6 at a time (a browser's connections per host).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@paywatch/runtime';
import { BARE_HOP } from './bare-hop.ts'; // the same control as bench/scope-proxy.ts

const REQUESTS = Number(process.env.BENCH_HOP_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_HOP_ROUNDS ?? 4);
const ANSWER_BYTES = Number(process.env.BENCH_HOP_ANSWER_BYTES ?? 3000);
const LOGIN = process.env.BENCH_HOP_LOGIN ?? 'meera.bm';
const QUERY = process.env.BENCH_HOP_QUERY ?? 'sum by (status) (branch:payments:rate5m{branch=~"BR0001"}) * 60';
const BASELINE = process.env.BENCH_BASELINE;
const PROFILE = process.env.BENCH_HOP_PROFILE;
const CONCURRENCY = 6;
const SECRET = 'bench-only-shared-secret-000000';
const ROOT = new URL('..', import.meta.url).pathname;
const POLICY = join(ROOT, 'policy/policy.yml');

// A range answer of about ANSWER_BYTES (one series), as Prometheus would send it.
const points = Array.from(
  { length: Math.max(1, Math.floor(ANSWER_BYTES / 28)) },
  (_, i) => `[${1.7e9 + i * 60},"${(i * 0.37).toFixed(3)}"]`,
);
const ANSWER = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"status":"success"},"values":[${points.join(',')}]}]}}`;

/** Answers every request with ANSWER at once, after reading it. */
const CANNED = `
const body = require('node:fs').readFileSync(process.argv[1]);
require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => { s.writeHead(200, { 'content-type': 'application/json' }); s.end(body); }); }).listen(Number(process.argv[2]), '127.0.0.1');
`;

interface Target {
  name: string;
  child: ChildProcess;
  port: number;
  asUser: boolean;
}

/** This process's and its children's CPU milliseconds so far (Linux /proc). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function waitReady(port: number, path: string, headers: Record<string, string> = {}) {
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(1000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing ready on port ${port}`);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-hop-'));
  const children: ChildProcess[] = [];
  try {
    writeFileSync(join(dir, 'answer.json'), ANSWER);
    const upstreamPort = await freePort();
    const start = (args: string[], env: NodeJS.ProcessEnv = process.env) => {
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      return child;
    };
    const targets: Target[] = [];
    targets.push({
      name: 'canned upstream',
      child: start(['-e', CANNED, join(dir, 'answer.json'), String(upstreamPort)]),
      port: upstreamPort,
      asUser: false,
    });
    const proxy = async (name: string, main: string, profile?: string) => {
      const port = await freePort();
      const args = [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), '--import', 'tsx', main];
      args.push('--policy', POLICY, '--upstream', `http://127.0.0.1:${upstreamPort}`, '--port', String(port));
      targets.push({ name, child: start(args, { ...process.env, PAYWATCH_PROXY_SECRET: SECRET }), port, asUser: true });
    };
    await proxy('scope proxy', join(ROOT, 'scope-proxy/src/main.ts'), PROFILE);
    if (BASELINE) await proxy('scope proxy (baseline)', join(BASELINE, 'scope-proxy/src/main.ts'));
    const hopPort = await freePort();
    targets.push({ name: 'bare hop', child: start(['-e', BARE_HOP, String(upstreamPort), String(hopPort)]), port: hopPort, asUser: false });
    await waitReady(upstreamPort, '/');
    for (const t of targets) if (t.asUser) await waitReady(t.port, '/healthz');
    await waitReady(hopPort, '/');

    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const body = new URLSearchParams({ query: QUERY, start: '1700000000', end: '1700086400', step: '60' }).toString();
    const ask = (t: Target) =>
      new Promise<number>((resolve, reject) => {
        const headers: Record<string, string | number> = {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        };
        if (t.asUser) Object.assign(headers, { 'X-Paywatch-Proxy-Secret': SECRET, 'X-Grafana-User': LOGIN });
        const t0 = performance.now();
        const r = request({ host: '127.0.0.1', port: t.port, method: 'POST', path: '/api/v1/query_range', agent, headers }, (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${t.name}: ${res.statusCode}`)),
          );
        });
        r.on('error', reject);
        r.end(body);
      });
    const run = async (t: Target, n: number) => {
      const times: number[] = [];
      let sent = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (sent++ < n) times.push(await ask(t));
        }),
      );
      times.sort((a, b) => a - b);
      return times[Math.floor(times.length / 2)]!;
    };
    for (const t of targets) await run(t, 300); // warm up (JIT, pools)
    const load0 = loadavg();
    const p50: Record<string, number[]> = {};
    const cpu: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (let j = 0; j < targets.length; j++) {
        const t = targets[(round + j) % targets.length]!;
        const before = cpuMs(t.child.pid!);
        (p50[t.name] ??= []).push(await run(t, REQUESTS));
        cpu[t.name] = (cpu[t.name] ?? 0) + cpuMs(t.child.pid!) - before;
      }
    }
    const load1 = loadavg();
    console.log(
      `\nScope proxy hop — ${new Date().toISOString()} — ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} vCPU, node ${process.version}`,
    );
    console.log(
      `load average (1/5/15 min) ${load0.map((v) => v.toFixed(2)).join(' / ')} at start, ${load1.map((v) => v.toFixed(2)).join(' / ')} at the end; ${ROUNDS} rounds x ${REQUESTS} requests per path, ${CONCURRENCY} at a time; answer ${ANSWER.length.toLocaleString('en')} bytes; ${LOGIN}: ${QUERY}\n`,
    );
    console.log('| path | CPU ms per request (the process answering the client) | p50 ms per round |');
    console.log('|---|---:|---|');
    for (const t of targets)
      console.log(
        `| ${t.name} | ${(cpu[t.name]! / (ROUNDS * REQUESTS)).toFixed(3)} | ${p50[t.name]!.map((v) => v.toFixed(2)).join(' / ')} |`,
      );
    agent.destroy();
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    // Let the profiled proxy write its profile on the way out.
    await new Promise((r) => setTimeout(r, PROFILE ? 2000 : 200));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
