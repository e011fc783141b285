// The proxy's HTTP contract with a canned Prometheus upstream (a local server answering fixed
// JSON, named as such): identity modes (with a mock Grafana serving its signing keys), whoami,
// rules/alerts/metadata filtering, own metrics, health, denial logs, upstream failures, reload.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { freePort } from '@paywatch/runtime';
import { startScopeProxy, type ScopeProxy } from '../src/server.ts';
import { REPO_POLICY, SECRET, form, rawRequest } from './fixture.ts';

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const alert = (labels: Record<string, string>, state = 'firing') => ({
  labels: { alertname: 'A', ...labels },
  annotations: { summary: `value for ${labels.branch ?? 'fleet'}` },
  state,
  value: '1e+00',
});
const ALERTS = [
  alert({ branch: 'BR0001' }),
  alert({ branch: 'BR0002' }),
  alert({}),
  alert({ branch: 'BR0001', officer: 'BR0001-FO01' }, 'pending'),
];

const FLEET = '{"metric":{"__name__":"paywatch:payment_actionable_failures_worst_branch:increase1h"},"value":[1,"3"]}';
const FLEET_ONLY = `{"status":"success","data":{"resultType":"vector","result":[${FLEET}]}}`;
const MISRECORDED = `{"status":"success","data":{"resultType":"vector","result":[${FLEET},{"metric":{"__name__":"x","branch":"BR0002"},"value":[1,"9"]},{"metric":{"__name__":"x","\\u0062ranch":"BR0003"},"value":[1,"8"]},{"metric":{"officer":"BR0001-FO01"},"value":[1,"1"]}]}}`;

/** A canned Prometheus: fixed answers, and it records what the proxy asked. */
function cannedPrometheus(seen: string[]) {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (data: unknown, status = 200) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(data));
      };
      switch (url.pathname) {
        case '/api/v1/status/buildinfo':
          return json({ status: 'success', data: { version: '2.42.0', revision: 'secret-rev', goVersion: 'go1.19' } });
        case '/api/v1/alerts':
          return json({ status: 'success', data: { alerts: ALERTS } });
        case '/api/v1/rules':
          return json({
            status: 'success',
            data: {
              groups: [
                {
                  name: 'g',
                  file: 'f',
                  rules: [
                    { type: 'alerting', name: 'A', query: 'x > 0', state: 'firing', alerts: ALERTS },
                    { type: 'recording', name: 'r', query: 'sum(x)' },
                  ],
                },
              ],
            },
          });
        case '/api/v1/metadata':
          return json({
            status: 'success',
            data: {
              payments_total: [{ type: 'counter', help: 'h', unit: '' }],
              'paywatch:payments:rate5m': [{ type: 'gauge', help: 'h', unit: '' }],
              db_up: [{ type: 'gauge', help: 'h', unit: '' }],
            },
          });
        case '/api/v1/label/__name__/values':
          return json({ status: 'success', data: ['payments_total'] });
        case '/api/v1/query':
          if (new URLSearchParams(body).get('query')?.includes('misrecorded')) {
            // A rule recorded against its contract: per-branch series, one with its label name
            // escaped (\u0062 is "b"), as any JSON encoder may write it.
            res.writeHead(200, { 'content-type': 'application/json' });
            return res.end(MISRECORDED);
          }
          if (new URLSearchParams(body).get('query')?.includes('compressed')) {
            // An upstream that compresses though nobody asked: its bytes hide every label.
            res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
            return res.end(gzipSync(MISRECORDED));
          }
          if (new URLSearchParams(body).get('query')?.includes('fleet_only')) {
            res.writeHead(200, { 'content-type': 'application/json' });
            return res.end(FLEET_ONLY);
          }
          if (new URLSearchParams(body).get('query')?.includes('boom'))
            return json({ status: 'error', errorType: 'internal', error: 'boom' }, 500);
          return json({ status: 'success', data: { resultType: 'vector', result: [] } });
        default:
          return json({ status: 'error', errorType: 'not_found', error: 'canned Prometheus has no ' + url.pathname }, 404);
      }
    });
  });
}

/** An identities file binding every policy login to the uid `u-<first part of the login>`. */
function bindEveryone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paywatch-identities-'));
  const file = join(dir, 'identities.json');
  const users = Object.fromEntries(
    ['meera.bm', 'ravi.fo', 'asha.exec', 'sunil.bm'].map((login) => [login, { uid: `u-${login.split('.')[0]}` }]),
  );
  writeFileSync(file, JSON.stringify({ users }));
  return file;
}

describe('scope proxy HTTP contract (canned Prometheus upstream)', () => {
  const seen: string[] = [];
  const logs: string[] = [];
  let upstream: Server;
  let proxy: ScopeProxy;
  let dir: string;
  let policyPath: string;
  before(async () => {
    upstream = cannedPrometheus(seen);
    const upstreamUrl = await listen(upstream);
    dir = mkdtempSync(join(tmpdir(), 'scope-proxy-http-'));
    policyPath = join(dir, 'policy.yml');
    writeFileSync(policyPath, readFileSync(REPO_POLICY, 'utf8'));
    proxy = await startScopeProxy({
      policyPath,
      upstream: upstreamUrl,
      port: await freePort(),
      secret: SECRET,
      log: (l) => logs.push(l),
      policyPollMs: 50,
    });
  });
  after(async () => {
    await proxy?.stop();
    upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('aggregate scope: per-branch series in an answer are dropped (escaped names too); clean answers relayed byte for byte', async () => {
    const ask = (query: string) =>
      rawRequest(proxy.url, { method: 'POST', path: '/api/v1/query', body: form([['query', query]]) }, 'vikram.viewer');
    const clean = await ask('fleet_only');
    assert.equal(clean.status, 200);
    assert.equal(clean.body, FLEET_ONLY);
    logs.length = 0;
    const leaky = await ask('misrecorded');
    assert.equal(leaky.status, 200);
    assert.deepEqual(leaky.json.data.result, [JSON.parse(FLEET)]);
    const logged = logs.map((l) => JSON.parse(l)).find((l) => /per-branch series dropped/.test(l.msg));
    assert.equal(logged?.dropped, 3);
    // A branch manager's answers are Prometheus's as received (the scope is in the query).
    const meera = await rawRequest(
      proxy.url,
      { method: 'POST', path: '/api/v1/query', body: form([['query', 'misrecorded']]) },
      'meera.bm',
    );
    assert.equal(meera.body, MISRECORDED);
    // A compressed answer is refused, not relayed unread; the proxy asked for none.
    const compressed = await ask('compressed');
    assert.equal(compressed.status, 502);
    assert.doesNotMatch(compressed.body, /BR000/);
    assert.ok(seen.some((line) => line.includes('compressed')));
  });

  test('whoami: role, scope, folders from the policy', async () => {
    const meera = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, 'meera.bm');
    assert.equal(meera.status, 200);
    assert.deepEqual(
      { ...meera.json.data, policy: undefined },
      {
        login: 'meera.bm',
        role: 'branch_manager',
        scope: { kind: 'branch', branches: ['BR0001'] },
        folders: ['branch'],
        dashboards: [],
        explore: false,
        grafanaRole: 'Viewer',
        boundBy: 'person',
        policy: undefined,
      },
    );
    const ravi = await rawRequest(proxy.url, { method: 'POST', path: '/api/v1/paywatch/whoami' }, 'ravi.fo');
    assert.deepEqual(ravi.json.data.scope, { kind: 'officer', branches: ['BR0001'], branch: 'BR0001', officer: 'BR0001-FO01' });
    const lakshmi = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, 'lakshmi.bm');
    assert.equal(lakshmi.json.data.boundBy, 'team:branch-managers-south');
    const viewer = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, 'vikram.viewer');
    assert.equal(viewer.json.data.scope.kind, 'aggregate');
    assert.ok(viewer.json.data.scope.metrics.includes('paywatch:payment_success_ratio:rate5m'));
    const admin = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, 'admin');
    assert.equal(admin.json.data.grafanaRole, 'Admin');
    assert.equal((await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, 'mallory')).status, 403);
  });

  test('alerts and rules are filtered to the scope; rule state follows the visible alerts', async () => {
    const alerts = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/alerts' }, 'meera.bm');
    assert.deepEqual(
      alerts.json.data.alerts.map((a: any) => a.labels.branch),
      ['BR0001', 'BR0001'],
    );
    const viewer = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/alerts' }, 'vikram.viewer');
    assert.deepEqual(
      viewer.json.data.alerts.map((a: any) => a.labels.branch ?? 'fleet'),
      ['fleet'],
    );
    const officer = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/rules' }, 'ravi.fo');
    const rule = officer.json.data.groups[0].rules[0];
    assert.equal(rule.alerts.length, 1);
    assert.equal(rule.state, 'pending');
    const exec = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/alerts' }, 'asha.exec');
    assert.equal(exec.json.data.alerts.length, 4);
    assert.equal((await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/rules?type=bogus' }, 'meera.bm')).status, 400);
  });

  test('metadata shows only metrics the caller can query', async () => {
    const viewer = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/metadata' }, 'vikram.viewer');
    assert.deepEqual(Object.keys(viewer.json.data), ['paywatch:payments:rate5m']);
    const bm = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/metadata' }, 'meera.bm');
    assert.deepEqual(Object.keys(bm.json.data), ['payments_total']);
    assert.ok(
      seen.some((s) => s.includes('/api/v1/label/__name__/values?match%5B%5D=%7Bbranch%3D%22BR0001%22%7D')),
      seen.join('\n'),
    );
  });

  test('buildinfo: shared secret only, version only', async () => {
    const info = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/status/buildinfo' });
    assert.equal(info.status, 200);
    assert.equal(info.json.data.version, '2.42.0');
    assert.equal(info.json.data.revision, '');
    assert.equal((await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/status/buildinfo' }, undefined, null)).status, 401);
  });

  test('upstream 5xx becomes 502 with a clear error; the query Prometheus gets is the rewritten one', async () => {
    const r = await rawRequest(proxy.url, { method: 'GET', path: `/api/v1/query?${form([['query', 'boom']])}` }, 'meera.bm');
    assert.equal(r.status, 502);
    assert.equal(r.json.status, 'error');
    assert.match(r.json.error, /upstream answered 500: boom/);
    assert.ok(
      seen.some((s) => s.includes('query=%7B__name__%3D%22boom%22%2C+branch%3D%22BR0001%22%7D')),
      seen.slice(-3).join('\n'),
    );
  });

  test('own metrics and health without auth; decisions counted; denials logged as JSON with who, what, why', async () => {
    await rawRequest(
      proxy.url,
      { method: 'GET', path: `/api/v1/query?${form([['query', 'label_replace(x, "branch", "BR0002", "", "")']])}` },
      'meera.bm',
    );
    const denial = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'denied' && l.login === 'meera.bm' && /branch/.test(l.reason));
    assert.ok(denial, logs.join('\n'));
    assert.equal(denial.role, 'branch_manager');
    assert.equal(denial.endpoint, 'query');
    assert.match(denial.query, /label_replace/);
    const metrics = await fetch(`${proxy.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /scope_proxy_requests_total\{role="branch_manager",endpoint="query",decision="denied"\} [1-9]/);
    assert.match(metrics, /scope_proxy_requests_total\{role="branch_manager",endpoint="whoami",decision="allowed"\} [1-9]/);
    assert.match(metrics, /scope_proxy_request_duration_seconds_bucket\{le="0.005",endpoint="query"\}/);
    assert.match(metrics, /^scope_proxy_policy_last_reload_success 1$/m);
    assert.doesNotMatch(metrics, /process_cpu|nodejs_/);
    const health = await fetch(`${proxy.url}/healthz`).then((r) => r.json() as Promise<any>);
    assert.equal(health.status, 'ok');
  });

  test('a bad policy edit keeps the last good policy, visible in metrics and logs', async () => {
    const good = readFileSync(policyPath, 'utf8');
    writeFileSync(policyPath, good.replace('scope: branch,', 'scope: branchy,'));
    let metrics = '';
    for (let i = 0; i < 100 && !/^scope_proxy_policy_last_reload_success 0$/m.test(metrics); i++) {
      await new Promise((r) => setTimeout(r, 50));
      metrics = await fetch(`${proxy.url}/metrics`).then((r) => r.text());
    }
    assert.match(metrics, /scope_proxy_policy_reloads_total\{result="failure"\} [1-9]/);
    assert.ok(logs.some((l) => /keeping the last good policy/.test(l) && /policy\.yml:\d+:\d+/.test(l)));
    // The unauthenticated health answer says a reload failed, but not what the policy holds.
    const health = await fetch(`${proxy.url}/healthz`).then((r) => r.text());
    assert.match(health, /"lastReloadOk":false/);
    assert.doesNotMatch(health, /branchy|policy\.yml:|meera|BR0/);
    // Requests keep being answered on the last good policy.
    const meera = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, 'meera.bm');
    assert.equal(meera.json.data.scope.kind, 'branch');
    writeFileSync(policyPath, good.replace('{ login: farhan.fin,    role: finance }', '{ login: farhan.fin,    role: viewer }'));
    for (let i = 0; i < 100 && !/^scope_proxy_policy_last_reload_success 1$/m.test(metrics); i++) {
      await new Promise((r) => setTimeout(r, 50));
      metrics = await fetch(`${proxy.url}/metrics`).then((r) => r.text());
    }
    const farhan = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, 'farhan.fin');
    assert.equal(farhan.json.data.role, 'viewer', logs.filter((l) => /policy/.test(l)).join('\n'));
    writeFileSync(policyPath, good);
  });

  test('a login outside ASCII, as Grafana sends it (its UTF-8 bytes), is matched to the policy', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'scope-proxy-utf8-'));
    const unicodePolicy = join(dir2, 'policy.yml');
    writeFileSync(
      unicodePolicy,
      readFileSync(REPO_POLICY, 'utf8').replace(
        'people:\n',
        'people:\n  - { login: रवि.अधिकारी, role: branch_manager, branches: [BR0004] }\n  - { login: josé.bm, role: branch_manager, branches: [BR0005] }\n',
      ),
    );
    const p2 = await startScopeProxy({
      policyPath: unicodePolicy,
      upstream: `http://127.0.0.1:${await freePort()}`,
      port: await freePort(),
      secret: SECRET,
      log: () => undefined,
      watchPolicy: false,
    });
    const asGrafanaSends = (login: string) => Buffer.from(login, 'utf8').toString('latin1');
    try {
      const hindi = await rawRequest(p2.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, asGrafanaSends('रवि.अधिकारी'));
      assert.equal(hindi.status, 200, hindi.body);
      assert.equal(hindi.json.data.login, 'रवि.अधिकारी');
      assert.deepEqual(hindi.json.data.scope, { kind: 'branch', branches: ['BR0004'] });
      // The same login in decomposed form (é as e + combining accent) is the same person.
      const jose = await rawRequest(p2.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, asGrafanaSends('jose\u0301.bm'));
      assert.deepEqual(jose.json?.data?.scope, { kind: 'branch', branches: ['BR0005'] }, jose.body);
      // Bytes that are not UTF-8 are refused, not guessed.
      const broken = await rawRequest(p2.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, '\xe0\xa4.bm');
      assert.equal(broken.status, 401);
    } finally {
      await p2.stop();
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  test('Prometheus down: 502, not a hang or a crash', async () => {
    const port = await freePort();
    const p2 = await startScopeProxy({
      policyPath,
      upstream: `http://127.0.0.1:${port}`,
      port: await freePort(),
      secret: SECRET,
      log: () => undefined,
      watchPolicy: false,
    });
    try {
      const r = await rawRequest(p2.url, { method: 'GET', path: `/api/v1/query?${form([['query', 'up']])}` }, 'asha.exec');
      assert.equal(r.status, 502);
      assert.match(r.json.error, /unreachable/);
    } finally {
      await p2.stop();
    }
  });

  test('configuration mistakes stop the start', async () => {
    await assert.rejects(
      startScopeProxy({ policyPath, upstream: 'http://127.0.0.1:9090', secret: 'short', port: 0, log: () => undefined }),
      /at least 16/,
    );
    await assert.rejects(
      startScopeProxy({
        policyPath: join(dir, 'missing.yml'),
        upstream: 'http://127.0.0.1:9090',
        secret: SECRET,
        port: 0,
        log: () => undefined,
      }),
      /cannot read/,
    );
    await assert.rejects(
      startScopeProxy({ policyPath, upstream: 'http://127.0.0.1:9090/api/v1/', secret: SECRET, port: 0, log: () => undefined }),
      /base URL/,
    );
  });
});

describe('identity: signed tokens (mock Grafana serving /api/signing-keys/keys)', () => {
  let grafana: Server;
  let grafanaUrl: string;
  let upstream: Server;
  let upstreamUrl: string;
  let signingKey: CryptoKey;
  let otherKey: CryptoKey;
  let rsaKey: CryptoKey;
  before(async () => {
    const es = await generateKeyPair('ES256', { extractable: true });
    const rs = await generateKeyPair('RS256', { extractable: true });
    signingKey = es.privateKey as CryptoKey;
    rsaKey = rs.privateKey as CryptoKey;
    otherKey = (await generateKeyPair('ES256')).privateKey as CryptoKey;
    const keys = [
      { ...(await exportJWK(es.publicKey)), kid: 'grafana-1', alg: 'ES256', use: 'sig' },
      { ...(await exportJWK(rs.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' },
    ];
    grafana = createServer((req, res) => {
      if (req.url === '/api/signing-keys/keys') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys }));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    grafanaUrl = await listen(grafana);
    upstream = cannedPrometheus([]);
    upstreamUrl = await listen(upstream);
  });
  after(() => {
    grafana?.close();
    upstream?.close();
  });

  // Grafana's ID token names the user by uid (`identifier`) besides the login; these tests bind
  // each login to the uid `u-<first part of the login>` (identity.test.ts tests the binding itself).
  const token = (
    key: CryptoKey,
    claims: Record<string, unknown>,
    options: { alg?: string; kid?: string; exp?: string | number; aud?: string } = {},
  ) =>
    new SignJWT({ type: 'user', identifier: `u-${String(claims.username ?? claims.login ?? '').split('.')[0]}`, ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: options.kid ?? 'grafana-1', typ: 'jwt' })
      .setIssuer(grafanaUrl)
      .setAudience(options.aud ?? 'org:1')
      .setSubject('user:u1')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(key);

  test('mock Grafana: X-Grafana-Id verified against the JWKS; the login comes from the token', async () => {
    const proxy = await startScopeProxy({
      policyPath: REPO_POLICY,
      upstream: upstreamUrl,
      port: await freePort(),
      secret: SECRET,
      log: () => undefined,
      watchPolicy: false,
      identityMode: 'grafana-id',
      identity: { jwksUrl: `${grafanaUrl}/api/signing-keys/keys`, issuer: grafanaUrl, audience: 'org:1', identitiesFile: bindEveryone() },
    });
    const who = (headers: Record<string, string>, login?: string, secret: string | null = SECRET) =>
      rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami', headers }, login, secret);
    try {
      const good = await who({ 'X-Grafana-Id': await token(signingKey, { username: 'meera.bm', type: 'user' }) });
      assert.equal(good.status, 200, good.body);
      assert.equal(good.json.data.login, 'meera.bm');
      const legacyClaim = await who({ 'X-Grafana-Id': await token(signingKey, { login: 'ravi.fo' }) });
      assert.equal(legacyClaim.json.data.login, 'ravi.fo');
      const agreeing = await who({ 'X-Grafana-Id': await token(signingKey, { username: 'meera.bm' }) }, 'meera.bm');
      assert.equal(agreeing.status, 200);
      const refused: Array<[string, Promise<Awaited<ReturnType<typeof who>>>]> = [
        ['no token, only the forgeable header', who({}, 'asha.exec')],
        ['header disagrees with the token', who({ 'X-Grafana-Id': await token(signingKey, { username: 'meera.bm' }) }, 'asha.exec')],
        [
          'expired',
          who({ 'X-Grafana-Id': await token(signingKey, { username: 'meera.bm' }, { exp: Math.floor(Date.now() / 1000) - 120 }) }),
        ],
        ['signed by another key', who({ 'X-Grafana-Id': await token(otherKey, { username: 'asha.exec' }) })],
        [
          'RS256 where ES256 is required',
          who({ 'X-Grafana-Id': await token(rsaKey, { username: 'asha.exec' }, { alg: 'RS256', kid: 'idp-1' }) }),
        ],
        ['wrong audience (another org)', who({ 'X-Grafana-Id': await token(signingKey, { username: 'asha.exec' }, { aud: 'org:2' }) })],
        [
          'unsigned (alg none)',
          who({
            'X-Grafana-Id': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ username: 'asha.exec', exp: 9999999999, aud: 'org:1', iss: grafanaUrl })).toString('base64url')}.`,
          }),
        ],
        ['garbage', who({ 'X-Grafana-Id': 'not-a-jwt' })],
        ['valid token, no shared secret', who({ 'X-Grafana-Id': await token(signingKey, { username: 'meera.bm' }) }, undefined, null)],
        ['valid token for someone not in the policy', who({ 'X-Grafana-Id': await token(signingKey, { username: 'mallory' }) })],
      ];
      for (const [what, pending] of refused) {
        const r = await pending;
        assert.ok(r.status === 401 || r.status === 403, `${what}: ${r.status} ${r.body}`);
        assert.equal(r.json.status, 'error');
      }
    } finally {
      await proxy.stop();
    }
  });

  test('mock identity provider: forwarded OAuth access token (RS256) with preferred_username', async () => {
    const proxy = await startScopeProxy({
      policyPath: REPO_POLICY,
      upstream: upstreamUrl,
      port: await freePort(),
      secret: SECRET,
      log: () => undefined,
      watchPolicy: false,
      identityMode: 'oauth',
      identity: { jwksUrl: `${grafanaUrl}/api/signing-keys/keys`, issuer: grafanaUrl },
    });
    try {
      const t = await token(rsaKey, { preferred_username: 'sunil.bm' }, { alg: 'RS256', kid: 'idp-1' });
      const r = await rawRequest(
        proxy.url,
        { method: 'GET', path: '/api/v1/paywatch/whoami', headers: { Authorization: `Bearer ${t}` } },
        undefined,
      );
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(r.json.data.scope, { kind: 'branch', branches: ['BR0002', 'BR0003'] });
      const none = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami' }, 'sunil.bm');
      assert.equal(none.status, 401);
    } finally {
      await proxy.stop();
    }
  });
});

describe('CLI', () => {
  const main = new URL('../src/main.ts', import.meta.url).pathname;
  const run = async (args: string[], env: Record<string, string>) => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
      env: { ...process.env, PAYWATCH_PROXY_SECRET: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    return { child, output: () => output, exited: once(child, 'exit').then(([code]) => code as number) };
  };
  test('a bad policy stops the start with the line of each problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scope-proxy-cli-'));
    try {
      writeFileSync(
        join(dir, 'policy.yml'),
        readFileSync(REPO_POLICY, 'utf8').replace('role: branch_manager, branches: [BR0001]', 'role: branch_manger, branches: [BR0001]'),
      );
      const r = await run(['--policy', join(dir, 'policy.yml'), '--upstream', 'http://127.0.0.1:9', '--port', '0'], {
        PAYWATCH_PROXY_SECRET: SECRET,
      });
      assert.equal(await r.exited, 2);
      assert.match(r.output(), /policy\.yml:\d+:\d+: people\[5\]\.role: unknown role "branch_manger"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('no secret, no start', async () => {
    const r = await run(['--policy', REPO_POLICY, '--upstream', 'http://127.0.0.1:9', '--port', '0'], {});
    assert.equal(await r.exited, 2);
    assert.match(r.output(), /no shared secret/);
  });
  test('starts from flags and env, serves /healthz, stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scope-proxy-cli-'));
    const port = await freePort();
    try {
      writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
      const r = await run(['--secret-file', join(dir, 'secret'), '--port', String(port)], {
        PAYWATCH_PROXY_POLICY: REPO_POLICY,
        PAYWATCH_PROXY_UPSTREAM: 'http://127.0.0.1:9',
      });
      let health: Response | undefined;
      for (let i = 0; i < 100 && !health?.ok; i++) {
        await new Promise((res) => setTimeout(res, 100));
        health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      }
      assert.ok(health?.ok, r.output());
      r.child.kill('SIGTERM');
      assert.equal(await r.exited, 0);
      assert.match(r.output(), /"msg":"listening"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
