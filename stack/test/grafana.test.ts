// Role filtering through a real Grafana: the local stack (in-process, small) with Grafana started
// from provisioning/, plugin/dist and docker/grafana/grafana.ini, the scope proxy in grafana-id
// mode, access sync run against Grafana's real API; then, logged in as each demo person with their
// password (basic auth, as the API allows), the paths a person or an attacker can take.
//
// Needs a Grafana OSS 12 server binary: GRAFANA_BIN or `grafana` on PATH (README "Get Grafana").
// None can be had on the machine this was written on (the Go module proxy refuses
// github.com/grafana/grafana, Debian has no package), so there the suite is skipped, saying why.
// The same attacks run there against the proxy with a mock Grafana ID-token signer
// (scope-proxy/test/identity.test.ts) and against a recorded Grafana API (access-sync.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findTool } from '@paywatch/runtime';
import { panelQueries, type PanelQuery, type QueryIndex } from '../../plugin/src/dashboards/queries.ts';
import { loadPolicy } from '../src/access/policy.ts';
import { folderUid } from '../src/access/desired.ts';
import { repoRoot } from '../src/paths.ts';
import { consoleProgress, startStack, type RunningStack } from '../src/stack.ts';
import { stackTestConfig, waitForData } from './support/running-stack.ts';

const grafanaBin = (() => {
  try {
    return findTool('grafana');
  } catch {
    return undefined;
  }
})();
const NO_GRAFANA =
  'no Grafana server binary here (GRAFANA_BIN or grafana on PATH; README "Get Grafana"): the Go module proxy refuses github.com/grafana/grafana and Debian has no package';

const DATASOURCE = 'paywatch-prometheus';
const PASSWORD = 'paywatch-demo';
const ADMIN_PASSWORD = process.env.GF_SECURITY_ADMIN_PASSWORD ?? 'admin';
const policy = loadPolicy();
const index = JSON.parse(readFileSync(join(repoRoot, 'plugin', 'src', 'dashboards', 'index.json'), 'utf8')) as QueryIndex;

/** One person per role, and the variables their dashboards open with. */
const PEOPLE: Record<string, { login: string; vars: Record<string, string> }> = {
  executive: { login: 'asha.exec', vars: {} },
  finance: { login: 'farhan.fin', vars: {} },
  branch_manager: { login: 'meera.bm', vars: { branch: 'BR0001' } },
  cashier: { login: 'kavya.cashier', vars: { branch: 'BR0001' } },
  field_officer: { login: 'ravi.fo', vars: { officer: 'BR0001-FO01' } },
  devops: { login: 'devi.ops', vars: {} },
  viewer: { login: 'vikram.viewer', vars: {} },
};
const MAY_BE_EMPTY = new Set(['Active critical alerts', 'Active alerts', 'Branches with overdue reconciliations or exceptions']);

interface Reply {
  status: number;
  text: string;
  json: any; // the Grafana API answers many shapes; each test reads the fields it asserts
}

/** A series as Grafana's data frames carry it: labels and values, comparable with deepEqual. */
interface Series {
  labels: Record<string, string>;
  values: unknown[];
}

// Each test is skipped, with the reason, where there is no Grafana: counted as skipped, not passed.
const real = { skip: grafanaBin ? false : NO_GRAFANA };

describe('through a real Grafana', () => {
  let work: string;
  let stack: RunningStack;
  let grafana: string;
  let at: number;

  before(async () => {
    if (!grafanaBin) return;
    work = mkdtempSync(join(tmpdir(), 'paywatch-grafana-'));
    const config = await stackTestConfig({
      PAYWATCH_DATA_DIR: join(work, 'data'),
      PAYWATCH_BRANCHES: '4',
      PAYWATCH_OFFICERS: '3',
      PAYWATCH_BACKFILL_DAYS: '1',
    });
    config.speed = 20;
    config.paymentsPerBranch = 5000;
    const saved = process.env.PAYWATCH_DEMO_PASSWORD;
    delete process.env.PAYWATCH_DEMO_PASSWORD; // the demo people get paywatch-demo
    try {
      stack = await startStack(
        config,
        consoleProgress(() => undefined),
      );
    } finally {
      if (saved !== undefined) process.env.PAYWATCH_DEMO_PASSWORD = saved;
    }
    assert.ok(stack.urls.grafana, 'the stack started Grafana');
    grafana = stack.urls.grafana!;
    await waitForData(stack.urls.prometheus!, [
      'branch:payment_success_ratio:rate5m{branch="BR0001"}',
      'officer:field_collections:increase1d{officer="BR0001-FO01"}',
      'paywatch:availability:ratio_avg5m',
    ]);
    at = Math.floor(Date.now() / 1000);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  });

  after(async () => {
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function call(
    who: { login: string; password?: string } | { token: string } | null,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Reply> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (who && 'token' in who) headers.authorization = `Bearer ${who.token}`;
    else if (who) headers.authorization = `Basic ${Buffer.from(`${who.login}:${who.password ?? PASSWORD}`).toString('base64')}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${grafana}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, text, json };
  }
  const as = (login: string) => ({ login, password: login === 'admin' ? ADMIN_PASSWORD : PASSWORD });
  const admin = () => as('admin');

  /** A panel query as the browser sends it: /api/ds/query with the dashboard's data source. */
  async function dsQuery(
    who: Parameters<typeof call>[0],
    expr: string,
    instant: boolean,
  ): Promise<{ status: number; series: Series[]; error?: string }> {
    const reply = await call(who, 'POST', '/api/ds/query', {
      queries: [
        {
          refId: 'A',
          datasource: { type: 'prometheus', uid: DATASOURCE },
          expr,
          instant,
          range: !instant,
          intervalMs: 60_000,
          maxDataPoints: 60,
          format: 'time_series',
        },
      ],
      from: String((at - 3600) * 1000),
      to: String(at * 1000),
    });
    const result = reply.json?.results?.A;
    const series: Series[] = [];
    for (const frame of result?.frames ?? []) {
      const fields = (frame.schema?.fields ?? []) as Array<{ type: string; labels?: Record<string, string> }>;
      fields.forEach((field, i) => {
        if (field.type === 'number') series.push({ labels: field.labels ?? {}, values: frame.data?.values?.[i] ?? [] });
      });
    }
    series.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
    return {
      status: result?.status ?? reply.status,
      series,
      ...(result?.error || reply.status >= 400 ? { error: String(result?.error ?? reply.text) } : {}),
    };
  }
  const hasData = (series: Series[]) => series.some((s) => s.values.some((v) => v !== null && !Number.isNaN(v)));
  const ask = (login: string, query: PanelQuery) => dsQuery(as(login), query.expr, !!query.instant);
  const whoamiPath = `/api/datasources/proxy/uid/${DATASOURCE}/api/v1/paywatch/whoami`;

  test(
    "real Grafana: the app's whoami through the data proxy and through a resource call is each person as the policy says",
    real,
    async () => {
      for (const [role, person] of Object.entries(PEOPLE)) {
        for (const path of [whoamiPath, `/api/datasources/uid/${DATASOURCE}/resources/api/v1/paywatch/whoami`]) {
          const reply = await call(as(person.login), 'GET', path);
          assert.equal(reply.status, 200, `${person.login} ${path}: ${reply.text}`);
          const who = reply.json.data ?? reply.json;
          assert.equal(who.login, person.login);
          assert.equal(who.role, role);
          assert.deepEqual(who.folders, policy.roles[role]!.folders);
        }
      }
    },
  );

  test(
    'real Grafana: /api/ds/query carries who is asking (the same query counts 1 branch for meera.bm, 4 for asha.exec)',
    real,
    async () => {
      const count = async (login: string) =>
        (await dsQuery(as(login), 'count(count by (branch) (payments_total))', true)).series[0]?.values.at(-1);
      assert.equal(await count('meera.bm'), 1);
      assert.equal(await count('asha.exec'), 4);
    },
  );

  test('real Grafana: every panel query of the dashboards each role may open has data', real, async () => {
    for (const dashboard of index.dashboards) {
      for (const role of dashboard.roles) {
        const person = PEOPLE[role];
        if (!person) continue;
        const empty = new Set<string>();
        const withData = new Set<string>();
        for (const query of panelQueries(index, person.vars, (d) => d.uid === dashboard.uid)) {
          const answer = await ask(person.login, query);
          assert.equal(answer.status, 200, `${dashboard.uid} "${query.panelTitle}" as ${person.login}: ${answer.error}`);
          (hasData(answer.series) ? withData : empty).add(query.panelTitle);
        }
        assert.deepEqual(
          [...empty].filter((t) => !withData.has(t) && !MAY_BE_EMPTY.has(t)),
          [],
          `${dashboard.uid} as ${person.login}: panels without data`,
        );
      }
    }
  });

  test('real Grafana: another branch or officer typed into a variable changes nothing (differential oracle)', real, async () => {
    const cases: Array<[string, string, Record<string, string>, Record<string, string>]> = [
      ['sunil.bm', 'paywatch-branch', { branch: 'BR0001' }, { branch: 'BR9999' }],
      ['anita.fo', 'paywatch-field', { officer: 'BR0001-FO01' }, { officer: 'BR9999-FO99' }],
    ];
    for (const [login, uid, other, nowhere] of cases) {
      const attempts = panelQueries(index, other, (d) => d.uid === uid);
      const baselines = panelQueries(index, nowhere, (d) => d.uid === uid);
      for (const [i, query] of attempts.entries()) {
        const attempt = await ask(login, query);
        assert.deepEqual(attempt.series, (await ask(login, baselines[i]!)).series, `${login} "${query.panelTitle}": ${query.expr}`);
      }
    }
  });

  test('real Grafana: folders and dashboards a role may not open answer 403 or 404, and search lists only its own', real, async () => {
    for (const [role, person] of Object.entries(PEOPLE)) {
      const folders = policy.roles[role]!.folders;
      for (const dashboard of index.dashboards) {
        const reply = await call(as(person.login), 'GET', `/api/dashboards/uid/${dashboard.uid}`);
        if (folders.includes(dashboard.folder)) assert.equal(reply.status, 200, `${person.login} opens ${dashboard.uid}`);
        else assert.ok(reply.status === 403 || reply.status === 404, `${person.login} must not open ${dashboard.uid}: ${reply.status}`);
      }
      for (const folder of ['executive', 'business', 'branch', 'field', 'operations', 'status']) {
        const reply = await call(as(person.login), 'GET', `/api/folders/${folderUid(folder)}`);
        if (!folders.includes(folder))
          assert.ok(reply.status === 403 || reply.status === 404, `${person.login} folder ${folder}: ${reply.status}`);
      }
      const found = ((await call(as(person.login), 'GET', '/api/search?tag=paywatch')).json as Array<{ uid: string }>)
        .map((d) => d.uid)
        .sort();
      assert.deepEqual(
        found,
        index.dashboards
          .filter((d) => folders.includes(d.folder))
          .map((d) => d.uid)
          .sort(),
        `${person.login} search`,
      );
    }
  });

  test('real Grafana: Explore is allowed exactly where the policy says', real, async () => {
    for (const [role, person] of Object.entries(PEOPLE)) {
      const actions = (await call(as(person.login), 'GET', '/api/access-control/user/actions')).json as Record<string, unknown>;
      assert.equal('datasources:explore' in actions, policy.roles[role]!.explore === true, `${person.login} (${role}) explore`);
    }
  });

  test("real Grafana: no path shows another branch's alerts", real, async () => {
    for (const login of ['meera.bm', 'ravi.fo', 'vikram.viewer']) {
      const datasources = (await call(as(login), 'GET', '/api/datasources')).json as Array<{ type: string }> | undefined;
      assert.ok(!(datasources ?? []).some((ds) => ds.type === 'alertmanager'), `${login}: no Alertmanager data source`);
      const paths = [
        '/api/datasources/proxy/uid/paywatch-alertmanager/api/v2/alerts',
        '/api/alertmanager/grafana/api/v2/alerts',
        '/api/prometheus/grafana/api/v1/rules',
        `/api/prometheus/${DATASOURCE}/api/v1/rules`,
        `/api/prometheus/${DATASOURCE}/api/v1/alerts`,
        `/api/datasources/proxy/uid/${DATASOURCE}/api/v1/rules`,
        `/api/datasources/proxy/uid/${DATASOURCE}/api/v1/alerts`,
      ];
      const own = login === 'meera.bm' || login === 'ravi.fo' ? 'BR0001' : '';
      for (const path of paths) {
        const reply = await call(as(login), 'GET', path);
        const others = [...reply.text.matchAll(/BR\d{4}/g)].map((m) => m[0]).filter((branch) => branch !== own);
        assert.deepEqual([...new Set(others)], [], `${login} ${path} (${reply.status}) names other branches`);
      }
    }
  });

  test("real Grafana: a person who renames their login to someone else's gets none of their scope", real, async () => {
    const created = await call(admin(), 'POST', '/api/admin/users', {
      login: 'mallory',
      email: 'mallory@elsewhere.example',
      name: 'Mallory',
      password: 'mallory-pass-123',
    });
    assert.equal(created.status, 200, created.text);
    const meera = await call(as('meera.bm'), 'PUT', '/api/user', { login: 'meera.k', email: 'meera.bm@paywatch.example', name: 'Meera' });
    assert.equal(meera.status, 200, meera.text);
    const mallory = { login: 'mallory', password: 'mallory-pass-123' };
    const renamed = await call(mallory, 'PUT', '/api/user', { login: 'meera.bm', email: 'mallory@elsewhere.example', name: 'Mallory' });
    assert.equal(renamed.status, 200, `Grafana lets a user take a free login: ${renamed.text}`);
    try {
      const as_meera = { login: 'meera.bm', password: 'mallory-pass-123' };
      assert.equal((await call(as_meera, 'GET', whoamiPath)).status, 403);
      const answer = await dsQuery(as_meera, 'sum by (branch) (payments_total)', true);
      assert.equal(hasData(answer.series), false, 'no numbers for the impostor');
    } finally {
      await call({ login: 'meera.bm', password: 'mallory-pass-123' }, 'PUT', '/api/user', {
        login: 'mallory',
        email: 'mallory@elsewhere.example',
        name: 'Mallory',
      });
      await call({ login: 'meera.k', password: PASSWORD }, 'PUT', '/api/user', {
        login: 'meera.bm',
        email: 'meera.bm@paywatch.example',
        name: 'Meera',
      });
    }
  });

  test(
    'real Grafana: anonymous requests, public dashboards, snapshots, service-account tokens and API keys get nothing',
    real,
    async () => {
      assert.equal((await call(null, 'GET', whoamiPath)).status, 401);
      assert.equal((await call(null, 'POST', '/api/ds/query', { queries: [] })).status, 401);
      const publicDashboard = await call(admin(), 'POST', '/api/dashboards/uid/paywatch-executive/public-dashboards', {
        isEnabled: true,
        share: 'public',
      });
      assert.ok(publicDashboard.status >= 400, `public dashboards are off: ${publicDashboard.status} ${publicDashboard.text}`);
      const snapshot = await call(admin(), 'POST', '/api/snapshots', { dashboard: { title: 'x', panels: [] }, expires: 60 });
      assert.ok(snapshot.status >= 400, `snapshots are off: ${snapshot.status}`);
      const apiKey = await call(admin(), 'POST', '/api/auth/keys', { name: 'probe', role: 'Admin' });
      assert.ok(apiKey.status >= 400, `API keys cannot be made: ${apiKey.status}`);
      const account = await call(admin(), 'POST', '/api/serviceaccounts', { name: 'paywatch-probe', role: 'Admin' });
      assert.equal(account.status, 201, account.text);
      const token = await call(admin(), 'POST', `/api/serviceaccounts/${account.json.id}/tokens`, { name: 'probe' });
      assert.equal(token.status, 200, token.text);
      const bearer = { token: token.json.key as string };
      assert.equal((await call(bearer, 'GET', whoamiPath)).status, 403, 'a service account is not a person of the policy');
      assert.equal(hasData((await dsQuery(bearer, 'sum by (branch) (payments_total)', true)).series), false);
    },
  );
});
