// The local stack from a clean checkout: `git clone` of this repository's HEAD, the installed npm
// packages linked in (no network), then `stack/src/cli/start.ts` (what `npm start` runs) on free
// ports with a fresh data directory, a small fleet and two days of history. It must come up with
// every Prometheus target up and the rules loaded, and the scope proxy must answer the same query
// differently for an executive and for a branch manager. Ctrl-C (SIGINT) must stop everything.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { parse } from 'yaml';
import { SignJWT, importJWK, type JWK } from 'jose';
import { readIdentities } from '@paywatch/scope-proxy';
import { WORKING_HOURS_START } from '@paywatch/simulator';
import { istParts, WORKING_HOURS } from '@paywatch/simulator/model';
import { PORTS, DEMO_PROXY_SECRET, type ServiceName } from '../src/config.ts';
import { repoRoot } from '../src/paths.ts';
import { freePort, waitFor } from '@paywatch/runtime';
import { stopGroup } from './support/running-stack.ts';

describe('npm start from a clean checkout', () => {
  let work: string;
  const grafanaRecord = () => join(work, 'grafana-launch.json');
  let checkout: string;
  let child: ChildProcess;
  let output = '';
  const ports = {} as Record<ServiceName, number>;
  const url = (name: ServiceName) => `http://127.0.0.1:${ports[name]}`;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'paywatch-stack-'));
    checkout = join(work, 'paywatch');
    const clone = spawnSync('git', ['clone', '--quiet', '--shared', repoRoot, checkout], { encoding: 'utf8' });
    assert.equal(clone.status, 0, clone.stderr);
    // The npm packages as `npm ci` would install them, hard-linked (workspace links are relative,
    // so they point into the clone).
    const copy = spawnSync('cp', ['-al', join(repoRoot, 'node_modules'), join(checkout, 'node_modules')], { encoding: 'utf8' });
    assert.equal(copy.status, 0, copy.stderr);
    // The plugin's packages too (npm test installed them), so that npm start, finding a Grafana and
    // no plugin/dist, only builds the app rather than downloading its packages again.
    const pluginPackages = spawnSync('cp', ['-al', join(repoRoot, 'plugin', 'node_modules'), join(checkout, 'plugin', 'node_modules')], {
      encoding: 'utf8',
    });
    assert.equal(pluginPackages.status, 0, `${pluginPackages.stderr} (run npm test, which installs the plugin's packages first)`);
    // No Grafana server can run here: a stand-in binary records how it was launched and answers
    // the access sync with the recorded Grafana API.
    const grafanaHome = join(work, 'grafana-home');
    mkdirSync(join(grafanaHome, 'conf'), { recursive: true });
    writeFileSync(join(grafanaHome, 'conf', 'defaults.ini'), '');
    const fakeGrafana = join(work, 'grafana');
    const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    writeFileSync(
      fakeGrafana,
      `#!/bin/sh\nexec "${process.execPath}" --import ${tsxLoader} "${join(checkout, 'stack', 'test', 'support', 'fake-grafana.ts')}" "$@"\n`,
      { mode: 0o755 },
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PAYWATCH_DATA_DIR: join(work, 'data'),
      PAYWATCH_BRANCHES: '4',
      PAYWATCH_OFFICERS: '3',
      PAYWATCH_BACKFILL_DAYS: '2',
      // As every stack test: the live business in its weekday working hours, whatever the hour.
      PAYWATCH_SIMULATOR_START: WORKING_HOURS_START,
      GRAFANA_BIN: fakeGrafana,
      GRAFANA_HOME: grafanaHome,
      FAKE_GRAFANA_RECORD: grafanaRecord(),
      FORCE_COLOR: '0',
    };
    delete env.DATABASE_URL;
    delete env.PAYWATCH_GRAFANA;
    for (const [name, spec] of Object.entries(PORTS) as Array<[ServiceName, (typeof PORTS)[ServiceName]]>) {
      ports[name] = await freePort();
      env[spec.env] = String(ports[name]);
    }
    child = spawn(process.execPath, ['--import', 'tsx', join(checkout, 'stack', 'src', 'cli', 'start.ts')], {
      cwd: checkout,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let exited = false;
    child.on('exit', () => (exited = true));
    await waitFor(
      () => {
        if (exited) throw new Error(`npm start exited early:\n${output}`);
        return output.includes('Paywatch is running');
      },
      { timeoutMs: 240_000, intervalMs: 500, what: `the stack to start; output so far:\n${output}` },
    );
  });

  after(async () => {
    await stopGroup(child);
    rmSync(work, { recursive: true, force: true });
  });

  test('it says what it does and where to look', () => {
    assert.match(output, /\[\d+\] starting the embedded database/);
    assert.match(output, /backfilling 2 days of simulated history: ok, [\d,]+ samples/);
    assert.ok(output.includes(`Prometheus       ${url('prometheus')}`), output);
    assert.ok(output.includes(url('scopeProxy')));
  });

  test('PAYWATCH_SIMULATOR_START=working-hours: the live simulation runs in weekday working hours', async () => {
    const state = (await (await fetch(`${url('api')}/`)).json()) as { simulated_time: string; speed: number };
    const { weekday, hourOfDay } = istParts(Date.parse(state.simulated_time));
    // Started within WORKING_HOURS; minutes have passed since, at the simulator's speed (1 here).
    assert.equal(state.speed, 1);
    assert.ok(
      weekday >= 1 && weekday <= 5 && hourOfDay >= WORKING_HOURS.from && hourOfDay < WORKING_HOURS.to + 1,
      `simulated ${state.simulated_time}: weekday ${weekday}, ${hourOfDay.toFixed(2)} h IST`,
    );
  });

  test('Prometheus reports every target up and the rules loaded', async () => {
    const targets = await waitFor(
      async () => {
        const body = (await (await fetch(`${url('prometheus')}/api/v1/targets`)).json()) as {
          data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> };
        };
        const active = body.data.activeTargets;
        return active.length > 0 && active.every((t) => t.health === 'up') ? active : false;
      },
      { timeoutMs: 120_000, intervalMs: 1000, what: 'every target up' },
    );
    const jobs = new Set(targets.map((t) => t.labels.job));
    for (const job of [
      'payments-api',
      'payments',
      'lms',
      'rfid',
      'pool',
      'scope-proxy',
      'prometheus',
      'alertmanager',
      'blackbox',
      'node',
      'postgres',
    ])
      assert.ok(jobs.has(job), `job ${job} is scraped`);
    // postgres_exporter reaches the system of record (the embedded server here) and runs its queries.
    const pg = (await (
      await fetch(`${url('prometheus')}/api/v1/query?query=${encodeURIComponent('pg_up{job="postgres"} + on() pg_lock_waits_sessions')}`)
    ).json()) as { data: { result: Array<{ value: [number, string] }> } };
    assert.deepEqual(
      pg.data.result.map((r) => r.value[1]),
      ['1'],
      'pg_up is 1 and the extra queries answer (no lock waits)',
    );

    const expected = readdirSync(join(checkout, 'prometheus', 'rules'))
      .filter((f) => f.endsWith('.yml'))
      .flatMap(
        (f) =>
          (parse(readFileSync(join(checkout, 'prometheus', 'rules', f), 'utf8')) as { groups: Array<{ name: string; rules: unknown[] }> })
            .groups,
      );
    const rules = (await (await fetch(`${url('prometheus')}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ name: string; rules: Array<{ health: string; name: string; lastError?: string }> }> };
    };
    assert.deepEqual(rules.data.groups.map((g) => g.name).sort(), expected.map((g) => g.name).sort(), 'every rule group is loaded');
    assert.equal(
      rules.data.groups.reduce((n, g) => n + g.rules.length, 0),
      expected.reduce((n, g) => n + g.rules.length, 0),
    );
    const broken = rules.data.groups.flatMap((g) => g.rules).filter((r) => r.health === 'err');
    assert.deepEqual(
      broken.map((r) => `${r.name}: ${r.lastError}`),
      [],
    );
  });

  // With Grafana, the proxy trusts only Grafana's signed ID token, for the user access sync bound.
  test("the scope proxy answers the same query differently for an executive and a branch manager (ID tokens of the stand-in Grafana's mock signer)", async () => {
    const history = JSON.parse(readFileSync(join(work, 'data', 'prometheus', 'backfill.json'), 'utf8')) as { endSeconds: number };
    const launched = JSON.parse(readFileSync(grafanaRecord(), 'utf8')) as { env: Record<string, string>; signingKey: JWK };
    const key = await importJWK(launched.signingKey, 'ES256');
    const bound = readIdentities(join(work, 'data', 'grafana', 'identities.json'));
    const idToken = (login: string, uid: string) =>
      new SignJWT({ identifier: uid, type: 'user', username: login })
        .setProtectedHeader({ alg: 'ES256', kid: launched.signingKey.kid!, typ: 'jwt' })
        .setIssuer(launched.env.GF_SERVER_ROOT_URL!)
        .setAudience('org:1')
        .setSubject('user:1')
        .setExpirationTime('5m')
        .sign(key);
    const ask = async (login: string, uid = bound.get(login)?.uid ?? 'unbound', extra: Record<string, string> = {}) =>
      fetch(`${url('scopeProxy')}/api/v1/query`, {
        method: 'POST',
        headers: {
          'X-Grafana-Id': await idToken(login, uid),
          'X-Paywatch-Proxy-Secret': DEMO_PROXY_SECRET,
          'content-type': 'application/x-www-form-urlencoded',
          ...extra,
        },
        body: new URLSearchParams({ query: 'sum by (branch) (payment_amount_total)', time: String(history.endSeconds) }),
      });
    const branches = async (login: string) => {
      const response = await ask(login);
      assert.equal(response.status, 200, `${login}: ${await response.clone().text()}`);
      const body = (await response.json()) as { data: { result: Array<{ metric: { branch: string } }> } };
      return body.data.result.map((r) => r.metric.branch).sort();
    };
    assert.deepEqual(await branches('asha.exec'), ['BR0001', 'BR0002', 'BR0003', 'BR0004'], 'the executive sees every branch');
    assert.deepEqual(await branches('meera.bm'), ['BR0001'], 'the branch manager of BR0001 sees BR0001 only');
    assert.equal((await ask('asha.exec', bound.get('meera.bm')!.uid!)).status, 403, 'meera renamed to asha.exec gets nothing');
    const headerOnly = await fetch(`${url('scopeProxy')}/api/v1/query?query=up`, {
      headers: { 'X-Grafana-User': 'asha.exec', 'X-Paywatch-Proxy-Secret': DEMO_PROXY_SECRET },
    });
    assert.equal(headerOnly.status, 401, 'the forgeable user header alone gets nothing when Grafana runs');
    const anonymous = await fetch(`${url('scopeProxy')}/api/v1/query?query=up`, {
      headers: { 'X-Paywatch-Proxy-Secret': DEMO_PROXY_SECRET },
    });
    assert.ok(anonymous.status >= 400, 'nobody unidentified');
  });

  test("the first start's dashboards have history up to the start: no hole before the first live data", async () => {
    const history = JSON.parse(readFileSync(join(work, 'data', 'prometheus', 'backfill.json'), 'utf8')) as {
      endSeconds: number;
      liveStartSeconds: number;
    };
    assert.ok(
      history.liveStartSeconds - history.endSeconds < 600,
      `the history ends ${history.liveStartSeconds - history.endSeconds} s before Prometheus first started`,
    );
    const query = async (expr: string, time: number) => {
      const body = (await (
        await fetch(`${url('prometheus')}/api/v1/query?${new URLSearchParams({ query: expr, time: String(time) })}`)
      ).json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result;
    };
    // The recorded series the dashboards read, every 5 minutes of the 3 hours before the start.
    for (const rule of ['paywatch:payment_amount_inr:rate5m', 'paywatch:availability:ratio_avg5m', 'paywatch:payments:rate5m']) {
      const holes: string[] = [];
      for (let t = history.endSeconds - 3 * 3600; t <= history.endSeconds; t += 300)
        if (!(await query(rule, t)).length) holes.push(new Date(t * 1000).toISOString());
      assert.deepEqual(holes, [], `${rule} has a value at every 5-minute step up to the start`);
    }
    // ... and on into the live data, the same series (a counter reset at the boundary, as after an exporter restart).
    const live = await waitFor(
      async () =>
        Number((await query('timestamp(paywatch:payment_amount_inr:rate5m)', Date.now() / 1000))[0]?.value[1] ?? 0) >
        history.liveStartSeconds,
      { timeoutMs: 120_000, intervalMs: 2000, what: 'a live evaluation of the revenue rate' },
    );
    assert.ok(live);
    const now = Math.floor(Date.now() / 1000);
    const both = await query(`count_over_time(lms_posting_queue_depth[${now - (history.endSeconds - 3600)}s])`, now);
    assert.equal(both.length, 1, 'history and live scrapes are one series (same labels)');
    assert.ok(
      Number(both[0]!.value[1]) >= 24 + 1,
      `the last hour of history (every 150 s) and the live scrapes: ${both[0]!.value[1]} samples`,
    );
    const [last] = await query('timestamp(lms_posting_queue_depth)', now);
    assert.ok(Number(last?.value[1]) > history.liveStartSeconds, 'the series goes on with live scrapes');
  });

  test('Grafana is started with provisioning, the app, per-audience dashboards and the proxy secret; access sync runs', () => {
    const launched = JSON.parse(readFileSync(grafanaRecord(), 'utf8')) as {
      argv: string[];
      env: Record<string, string>;
      dashboards: Record<string, string[]>;
      plugin: string | null;
    };
    assert.ok(launched.argv.includes(`--config=${join(checkout, 'docker', 'grafana', 'grafana.ini')}`), launched.argv.join(' '));
    assert.equal(launched.env.GF_PATHS_PROVISIONING, join(checkout, 'provisioning'));
    assert.equal(launched.env.GF_SERVER_HTTP_ADDR, '127.0.0.1');
    assert.equal(launched.env.PAYWATCH_SCOPE_PROXY_URL, url('scopeProxy'), 'the data source points at the scope proxy');
    assert.equal(launched.env.PAYWATCH_PROXY_SECRET, DEMO_PROXY_SECRET);
    assert.equal(
      launched.env.PAYWATCH_ALERTMANAGER_URL,
      undefined,
      "no Alertmanager data source: it would show every branch's alerts to everyone",
    );
    assert.ok(!Object.values(launched.env).includes(url('prometheus')), 'Grafana is not told where Prometheus is');
    assert.deepEqual(Object.keys(launched.dashboards).sort(), ['branch', 'business', 'executive', 'field', 'operations', 'status']);
    for (const [folder, files] of Object.entries(launched.dashboards)) assert.ok(files.length > 0, `folder ${folder} has its dashboards`);
    // A fresh clone has no plugin/dist: npm start built it because there is a Grafana to load it.
    assert.match(output, /building the Paywatch app for Grafana/);
    assert.equal(launched.plugin, join(checkout, 'plugin', 'dist'));
    assert.ok(existsSync(join(checkout, 'plugin', 'dist', 'plugin.json')), 'the built app has its plugin.json');
    assert.match(output, /access sync: Grafana users, teams and folder permissions from policy\/policy.yml: ok/);
    assert.ok(output.includes(`Grafana          ${url('grafana')}`));
    assert.equal(launched.env.GF_SERVER_ROOT_URL, `${url('grafana')}/`, 'the ID token issuer the scope proxy expects');
    // The banner ends with Grafana and one demo login per role.
    const banner = output.slice(output.lastIndexOf('Ctrl-C stops everything.'));
    for (const login of ['asha.exec', 'meera.bm', 'ravi.fo', 'vikram.viewer', 'devi.ops', 'farhan.fin'])
      assert.ok(banner.includes(login), `banner names ${login}`);
    assert.match(banner, /password paywatch-demo/);
  });

  test('a payment of a new branch committed with completed_at 10 minutes in the past reaches payments_total once, without a restart', async () => {
    const db = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${ports.database}/postgres` });
    await db.connect();
    const started = Date.now();
    try {
      // Ten minutes before the business clock (the simulator's), as a late webhook would deliver it.
      await db.query(`INSERT INTO branches (code, name, region) VALUES ('BR9901', 'Late Webhook Branch', 'North')`);
      await db.query(
        `INSERT INTO payments (branch, channel, status, amount_inr, loan_ref, created_at, completed_at)
         SELECT 'BR9901', 'upi', 'success', 1234.5, 'LN-LATE', now - interval '11 minutes', now - interval '10 minutes' FROM paywatch.clock`,
      );
    } finally {
      await db.end();
    }
    const query = async (promql: string) => {
      const body = (await (await fetch(`${url('prometheus')}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      return body.data.result;
    };
    const seen = await waitFor(async () => ((await query('payments_total{branch="BR9901", status="success"} > 0')).length ? true : false), {
      timeoutMs: 300_000,
      intervalMs: 2000,
      what: 'the late payment in payments_total',
    });
    assert.ok(seen);
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`# the late payment of BR9901 reached Prometheus's payments_total ${seconds} s after its commit`);
    // Two more scrapes later it is still exactly one payment, and it was counted as a late row.
    const scraped = (await query('timestamp(payments_total{branch="BR9901", channel="upi", status="success"})'))[0]!.value[1];
    await waitFor(
      async () => (await query('timestamp(payments_total{branch="BR9901", channel="upi", status="success"})'))[0]!.value[1] !== scraped,
      {
        timeoutMs: 120_000,
        intervalMs: 2000,
        what: 'another scrape',
      },
    );
    const counted = await query('payments_total{branch="BR9901"}');
    assert.deepEqual(
      counted.filter((r) => r.value[1] !== '0').map((r) => [r.metric.channel, r.metric.status, r.value[1]]),
      [['upi', 'success', '1']],
    );
    assert.equal(counted.length, 16, 'every channel x status of the new branch has a series (at 0 but this one)');
    assert.equal((await query('payment_amount_total{branch="BR9901", channel="upi"}'))[0]!.value[1], '1234.5');
    assert.ok(Number((await query('sum(paywatch_exporter_late_rows_total{view="payments"})'))[0]!.value[1]) >= 1, 'counted as a late row');
  });

  test('Ctrl-C stops every process it started', async () => {
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, output.slice(-2000));
    assert.match(output, /stopped/);
    const listening = (port: number) =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
    for (const name of Object.keys(PORTS) as ServiceName[]) {
      assert.equal(await listening(ports[name]), false, `${name} no longer listens on ${ports[name]}`);
    }
    assert.ok(existsSync(join(work, 'data', 'prometheus', 'data')), 'the data directory stays for the next start');
    // The access sync made the stand-in Grafana match the policy.
    const state = (
      JSON.parse(readFileSync(grafanaRecord(), 'utf8')) as { state: { users: Array<{ login: string }>; teams: Array<{ name: string }> } }
    ).state;
    assert.ok(state.users.some((u) => u.login === 'meera.bm'));
    assert.ok(state.teams.some((t) => t.name === 'paywatch-branch-manager'));
  });
});

describe('npm start with DATABASE_URL (a real payments database)', () => {
  let child: ChildProcess;
  let output = '';
  let work: string;
  let database: { url: string; drop(): Promise<void> } | undefined;
  const ports = {} as Record<ServiceName, number>;

  before(async () => {
    const { createTestDatabase } = await import('@paywatch/testing');
    database = await createTestDatabase('stack_real_db');
    work = mkdtempSync(join(tmpdir(), 'paywatch-realdb-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PAYWATCH_DATA_DIR: join(work, 'data'),
      DATABASE_URL: database.url,
      PAYWATCH_GRAFANA: '0',
    };
    for (const [name, spec] of Object.entries(PORTS) as Array<[ServiceName, (typeof PORTS)[ServiceName]]>) {
      ports[name] = await freePort();
      env[spec.env] = String(ports[name]);
    }
    child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'stack', 'src', 'cli', 'start.ts')], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
        return output.includes('Paywatch is running');
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'the stack on DATABASE_URL to start' },
    );
  });

  after(async () => {
    await stopGroup(child);
    await database?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('uses that database: no embedded database, no simulator, no simulated history; exporters scraped', async () => {
    assert.doesNotMatch(output, /embedded database|simulator|backfilling/);
    assert.match(output, /connecting to DATABASE_URL: ok/);
    const targets = await waitFor(
      async () => {
        const body = (await (await fetch(`http://127.0.0.1:${ports.prometheus}/api/v1/targets`)).json()) as {
          data: { activeTargets: Array<{ labels: Record<string, string>; health: string }> };
        };
        const active = body.data.activeTargets;
        return active.length > 0 && active.every((t) => t.health === 'up') ? active : false;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'every target up' },
    );
    const jobs = new Set(targets.map((t) => t.labels.job));
    for (const job of ['payments', 'lms', 'rfid', 'pool', 'scope-proxy']) assert.ok(jobs.has(job), `job ${job}`);
    assert.ok(!jobs.has('payments-api'), 'the simulated payments API is not scraped');
  });
});
