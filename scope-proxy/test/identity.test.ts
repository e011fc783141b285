// Identity binding in grafana-id mode, against a mock Grafana ID-token signer (a local server
// publishing an ES256 key set at /api/signing-keys/keys and tokens shaped as Grafana 12 signs them:
// sub `user:<id>`, identifier = the user's uid, type, username = the login). Grafana itself cannot
// run on this machine (stack/test/grafana.test.ts runs the same attacks through a real one where it
// can). The attack: a Grafana user renames their login to a policy login, so Grafana's token carries
// that login; the proxy must give them nothing, because the login is bound to another user's uid.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type JWTVerifyGetKey } from 'jose';
import { freePort } from '@paywatch/runtime';
import {
  Identifier,
  VERIFIED_TOKEN_MAX_MS,
  parseIdentities,
  readIdentities,
  writeIdentities,
  type IdentityBinding,
} from '../src/identity.ts';
import { startScopeProxy, type ScopeProxy } from '../src/server.ts';
import { SECRET, form, rawRequest } from './fixture.ts';

const POLICY = `
roles:
  branch_manager: { scope: branch, folders: [branch] }
  executive: { scope: all, folders: [executive] }
aggregate_metrics: [paywatch:payments:rate5m]
people:
  - { login: meera.bm, role: branch_manager, branches: [BR0001] }
  - { login: asha.exec, role: executive }
  - { login: priya.bm, role: branch_manager, branches: [BR0042] }
  - { login: müller.bm, role: branch_manager, branches: [BR0007] }
  - { login: old.bm, role: branch_manager, branches: [BR0009] }
`;

describe('grafana-id identity binding (mock Grafana ID-token signer; Grafana cannot run here)', () => {
  let dir: string;
  let grafana: Server;
  let grafanaUrl: string;
  let upstream: Server;
  let upstreamUrl: string;
  let key: CryptoKey;
  let proxy: ScopeProxy;
  let identities: string;
  const seenQueries: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paywatch-identity-'));
    writeFileSync(join(dir, 'policy.yml'), POLICY);
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey as CryptoKey;
    const keys = [{ ...(await exportJWK(pair.publicKey)), kid: 'grafana-1', alg: 'ES256', use: 'sig' }];
    grafana = createServer((req, res) => {
      res.writeHead(req.url === '/api/signing-keys/keys' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys }));
    });
    grafana.listen(0, '127.0.0.1');
    await once(grafana, 'listening');
    grafanaUrl = `http://127.0.0.1:${(grafana.address() as AddressInfo).port}/`;
    // A canned Prometheus that records what reached it (named as such): any query that arrives
    // here was let through.
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seenQueries.push(new URLSearchParams(body).get('query') ?? '');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    identities = join(dir, 'identities.json');
    writeIdentities(
      identities,
      new Map<string, IdentityBinding>([
        ['meera.bm', { uid: 'uid-meera', id: 7, how: 'created' }],
        ['asha.exec', { uid: 'uid-asha', id: 3, how: 'created' }],
        ['müller.bm', { uid: 'uid-muller', how: 'created' }],
        ['old.bm', { id: 12, how: 'adopted' }],
      ]),
      grafanaUrl,
    );
    proxy = await startScopeProxy({
      policyPath: join(dir, 'policy.yml'),
      upstream: upstreamUrl,
      port: await freePort(),
      secret: SECRET,
      log: () => undefined,
      watchPolicy: false,
      identityMode: 'grafana-id',
      // Grafana 12's issuer is its root URL with the trailing slash.
      identity: { jwksUrl: `${grafanaUrl}api/signing-keys/keys`, issuer: grafanaUrl, audience: 'org:1', identitiesFile: identities },
    });
  });
  after(async () => {
    await proxy?.stop();
    grafana?.close();
    upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A token as Grafana 12 signs it for a user (or, with type, another kind of identity). */
  const grafanaToken = (user: { login: string; uid: string; id: number; type?: string }) =>
    new SignJWT({ identifier: user.uid, type: user.type ?? 'user', namespace: 'default', username: user.login, name: user.login })
      .setProtectedHeader({ alg: 'ES256', kid: 'grafana-1', typ: 'jwt' })
      .setIssuer(grafanaUrl)
      .setAudience('org:1')
      .setSubject(`${user.type ?? 'user'}:${user.id}`)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);

  const whoami = async (user: { login: string; uid: string; id: number; type?: string }) =>
    rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami', headers: { 'X-Grafana-Id': await grafanaToken(user) } });

  test('the user access sync bound gets their scope', async () => {
    const r = await whoami({ login: 'meera.bm', uid: 'uid-meera', id: 7 });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.data.login, 'meera.bm');
    assert.deepEqual(r.json.data.scope, { kind: 'branch', branches: ['BR0001'] });
  });

  test('a user who renamed their login to a bound policy login gets nothing, not even a query through', async () => {
    const mallory = { login: 'asha.exec', uid: 'uid-mallory', id: 40 };
    const r = await whoami(mallory);
    assert.equal(r.status, 403, r.body);
    assert.match(r.json.error, /not the user access sync bound to login "asha\.exec"/);
    const before = seenQueries.length;
    const q = await rawRequest(proxy.url, {
      method: 'POST',
      path: '/api/v1/query',
      body: form([['query', 'sum by (branch) (payments_total)']]),
      headers: { 'X-Grafana-Id': await grafanaToken(mallory) },
    });
    assert.equal(q.status, 403, q.body);
    assert.equal(seenQueries.length, before, 'nothing reached Prometheus');
  });

  test('a policy login with no Grafana user bound yet (between a policy edit and access sync) cannot be taken by renaming', async () => {
    const r = await whoami({ login: 'priya.bm', uid: 'uid-mallory', id: 40 });
    assert.equal(r.status, 403, r.body);
    assert.match(r.json.error, /not bound to a Grafana user yet: run access sync/);
  });

  test('the bound user keeps their scope under the login Grafana still has cached, and loses it under a new login', async () => {
    // Grafana caches a signed token for up to 10 minutes: just after a rename the token still
    // carries the old login, for the same uid. That is the same person, with their own scope.
    assert.equal((await whoami({ login: 'meera.bm', uid: 'uid-meera', id: 7 })).status, 200);
    const renamed = await whoami({ login: 'meera.k', uid: 'uid-meera', id: 7 });
    assert.equal(renamed.status, 403, 'a login the policy does not know gets nothing');
  });

  test('service accounts, API keys, anonymous and render identities get nothing, whatever login they carry', async () => {
    for (const type of ['service-account', 'api-key', 'anonymous', 'render']) {
      const r = await whoami({ login: 'meera.bm', uid: 'uid-meera', id: 7, type });
      assert.equal(r.status, 403, `${type}: ${r.body}`);
      assert.match(r.json.error, /gets no scope: only signed-in people do/);
    }
  });

  test('a binding by numeric id alone (older Grafana without user uids) matches the token subject', async () => {
    assert.equal((await whoami({ login: 'old.bm', uid: 'whatever', id: 12 })).status, 200);
    assert.equal((await whoami({ login: 'old.bm', uid: 'whatever', id: 13 })).status, 403);
  });

  test('a login outside ASCII is matched from the signed token, with or without the user header', async () => {
    const token = await grafanaToken({ login: 'müller.bm', uid: 'uid-muller', id: 9 });
    const plain = await rawRequest(proxy.url, { method: 'GET', path: '/api/v1/paywatch/whoami', headers: { 'X-Grafana-Id': token } });
    assert.equal(plain.status, 200, plain.body);
    assert.equal(plain.json.data.login, 'müller.bm');
    assert.deepEqual(plain.json.data.scope, { kind: 'branch', branches: ['BR0007'] });
    // Grafana writes the login's UTF-8 bytes into X-Grafana-User; Node reads header bytes as Latin-1.
    const header = Buffer.from('müller.bm', 'utf8').toString('latin1');
    const both = await rawRequest(
      proxy.url,
      { method: 'GET', path: '/api/v1/paywatch/whoami', headers: { 'X-Grafana-Id': token } },
      header,
    );
    assert.equal(both.status, 200, both.body);
    const other = await rawRequest(
      proxy.url,
      { method: 'GET', path: '/api/v1/paywatch/whoami', headers: { 'X-Grafana-Id': token } },
      'meera.bm',
    );
    assert.equal(other.status, 401, 'a user header naming someone else than the token is refused');
  });

  test('bindings access sync writes later are picked up; a broken file keeps the last good bindings', async () => {
    const priya = { login: 'priya.bm', uid: 'uid-priya', id: 50 };
    assert.equal((await whoami(priya)).status, 403);
    const bindings = readIdentities(identities);
    bindings.set('priya.bm', { uid: 'uid-priya', id: 50, how: 'created' });
    writeIdentities(identities, bindings, grafanaUrl);
    // The file is re-read at most once a second: poll until the new binding applies.
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await whoami(priya)).status;
    }
    assert.equal(status, 200, 'the new binding applies without a restart');
    writeFileSync(identities, '{ "users": ');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await whoami(priya)).status, 200, 'a broken file keeps the last good bindings');
    assert.equal((await whoami({ login: 'asha.exec', uid: 'uid-mallory', id: 40 })).status, 403);
    writeIdentities(identities, bindings, grafanaUrl);
  });

  test('grafana-id mode without an identities file refuses to start, saying why', () => {
    assert.throws(
      () => new Identifier({ mode: 'grafana-id', secret: SECRET, jwksUrl: `${grafanaUrl}api/signing-keys/keys` }),
      /needs the identities file access sync writes.*renames their login/,
    );
  });

  test('an identities file is checked: every login needs a uid or an id', () => {
    assert.throws(() => parseIdentities('{"users":{"meera.bm":{}}}', 'ids.json'), /ids\.json: "meera\.bm" has neither a uid nor an id/);
    assert.throws(() => parseIdentities('[]', 'ids.json'), /ids\.json: no "users" object/);
    assert.deepEqual(
      [...parseIdentities('{"users":{"a":{"uid":"u1"},"b":{"id":4}}}').entries()],
      [
        ['a', { uid: 'u1' }],
        ['b', { id: 4 }],
      ],
    );
  });
});

describe('verified ID tokens are remembered safely (in-process key set, a test clock)', () => {
  const issuer = 'http://grafana.invalid/';
  let now = Date.UTC(2026, 11, 4, 12, 0, 0);
  let keysWork = true;
  let verifications = 0;
  let signer: CryptoKey;
  let other: CryptoKey;
  let keySet: ReturnType<typeof createLocalJWKSet>;
  before(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    signer = pair.privateKey as CryptoKey;
    other = (await generateKeyPair('ES256', { extractable: true })).privateKey as CryptoKey;
    keySet = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'grafana-1', alg: 'ES256', use: 'sig' }] });
  });
  /** The key set the proxy asks; `keysWork = false` is Grafana having withdrawn its key. */
  const keys: JWTVerifyGetKey = (header, token) => {
    verifications++;
    if (!keysWork) throw new Error('no matching key in the key set');
    return keySet(header, token);
  };
  const identifier = (verifiedTokens?: number) =>
    new Identifier({
      mode: 'oauth',
      secret: SECRET,
      keySet: keys,
      issuer,
      audience: 'org:1',
      loginClaim: 'username',
      now: () => now,
      ...(verifiedTokens ? { verifiedTokens } : {}),
    });
  const token = (login: string, expiresInSeconds: number, key = signer) =>
    new SignJWT({ username: login })
      .setProtectedHeader({ alg: 'ES256', kid: 'grafana-1' })
      .setIssuer(issuer)
      .setAudience('org:1')
      .setSubject(`user:${login}`)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + expiresInSeconds)
      .sign(key);
  const headers = (t: string, user?: string) => ({
    'x-paywatch-proxy-secret': SECRET,
    authorization: `Bearer ${t}`,
    ...(user ? { 'x-grafana-user': user } : {}),
  });

  test('the same token is verified once, and every check after the signature still runs on each request', async () => {
    const id = identifier();
    const t = await token('meera.bm', 600);
    verifications = 0;
    for (let i = 0; i < 5; i++) assert.deepEqual(await id.identify(headers(t)), { ok: true, login: 'meera.bm', via: 'oauth' });
    assert.equal(verifications, 1, 'one signature check for five requests');
    assert.equal(id.verifiedTokens, 1);
    // The remembered token with a user header that disagrees: refused as before.
    const mismatch = await id.identify(headers(t, 'asha.exec'));
    assert.equal(mismatch.ok, false);
    assert.match((mismatch as { reason: string }).reason, /does not match the signed token/);
    // Without the secret nothing is looked up at all.
    const noSecret = await id.identify({ authorization: `Bearer ${t}` });
    assert.equal(noSecret.ok, false);
  });

  test('a remembered token with one byte changed, or the same claims signed by another key, is verified from scratch and refused', async () => {
    const id = identifier();
    const t = await token('meera.bm', 600);
    assert.equal((await id.identify(headers(t))).ok, true);
    const [head, body, signature] = t.split('.');
    const flipped = `${head}.${body}.${signature!.slice(0, -2)}${signature!.slice(-2, -1) === 'A' ? 'B' : 'A'}${signature!.slice(-1)}`;
    const forged = await token('meera.bm', 600, other);
    const asha = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), username: 'asha.exec' })).toString('base64url')}.${signature}`;
    for (const bad of [flipped, forged, asha]) {
      verifications = 0;
      const who = await id.identify(headers(bad));
      assert.equal(who.ok, false, `${bad.slice(-12)} must be refused`);
      assert.equal(verifications, 1, 'checked against the key set, not taken from the memo');
    }
    assert.equal(id.verifiedTokens, 1, 'refused tokens are not remembered');
  });

  test('a remembered token expires with its exp, and no later than a minute after its check (a withdrawn key)', async () => {
    const start = now;
    try {
      const id = identifier();
      const short = await token('meera.bm', 20);
      assert.equal((await id.identify(headers(short))).ok, true);
      now = start + 21_000 + 30_000; // past exp and jwtVerify's 30 s clock tolerance
      const late = await id.identify(headers(short));
      assert.equal(late.ok, false);
      assert.match((late as { reason: string }).reason, /token rejected: .*exp/);

      now = start;
      const long = await token('asha.exec', 3600);
      assert.equal((await id.identify(headers(long))).ok, true);
      keysWork = false; // Grafana withdrew the key
      now = start + VERIFIED_TOKEN_MAX_MS - 1;
      assert.equal((await id.identify(headers(long))).ok, true, 'within the minute: from the memo');
      now = start + VERIFIED_TOKEN_MAX_MS;
      const withdrawn = await id.identify(headers(long));
      assert.equal(withdrawn.ok, false, 'after the minute: checked again, and the key is gone');
      assert.match((withdrawn as { reason: string }).reason, /no matching key/);
    } finally {
      now = start;
      keysWork = true;
    }
  });

  test('the memo holds a bounded number of tokens', async () => {
    const id = identifier(3);
    const tokens = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((login) => token(`${login}.bm`, 600)));
    for (const t of tokens) assert.equal((await id.identify(headers(t))).ok, true);
    assert.equal(id.verifiedTokens, 3);
    verifications = 0;
    assert.equal((await id.identify(headers(tokens[0]!))).ok, true, 'the oldest was let go and is verified again');
    assert.equal(verifications, 1);
  });
});
