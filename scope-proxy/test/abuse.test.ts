// Cost and abuse (issue 13), each found by probing the proxy: cheap refusal of garbage, bounded
// query cost per role, a memo bounded by bytes, timeouts that say so, 413 for big bodies, long
// honest sums, clients that go away. Prometheus is a canned upstream here (a local server
// answering fixed JSON, named as such) that can also hang or time out on request.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@paywatch/runtime';
import { rewriteMemoStats, rewriteQuery } from '../src/scope.ts';
import { startScopeProxy, type ScopeProxy } from '../src/server.ts';
import { REPO_POLICY, SECRET, SECRET_HEADER, form, rawRequest } from './fixture.ts';

describe('cost and abuse (canned Prometheus upstream)', () => {
  const received: string[] = [];
  const logs: string[] = [];
  let upstream: Server;
  let proxy: ScopeProxy;
  before(async () => {
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const query = new URLSearchParams(body).get('query') ?? '';
        received.push(query);
        if (query.includes('hang_forever')) return; // never answers
        res.writeHead(query.includes('prometheus_times_out') ? 503 : 200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            query.includes('prometheus_times_out')
              ? { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }
              : { status: 'success', data: { resultType: 'vector', result: [] } },
          ),
        );
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    proxy = await startScopeProxy({
      policyPath: REPO_POLICY,
      upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      port: await freePort(),
      secret: SECRET,
      log: (l) => logs.push(l),
      watchPolicy: false,
      upstreamTimeoutMs: 1500,
    });
  });
  after(async () => {
    await proxy?.stop();
    upstream?.closeAllConnections();
    upstream?.close();
  });

  const query = (q: string, login: string, extra: Array<[string, string]> = []) =>
    rawRequest(proxy.url, { method: 'POST', path: '/api/v1/query', body: form([['query', q], ...extra]) }, login);

  test('32 KB of "}" is refused before the grammar sees it', async () => {
    const r = await query('}'.repeat(32 * 1024 - 16), 'vikram.viewer');
    assert.equal(r.status, 400);
    assert.match(r.json.error, /unbalanced '\}'/);
    const deep = await query(`${'('.repeat(600)}1${')'.repeat(600)}`, 'vikram.viewer');
    assert.equal(deep.status, 400);
    assert.match(deep.json.error, /nested deeper than 500 brackets/);
  });

  test('subquery resolution and range are bounded per role before Prometheus', async () => {
    const before = received.length;
    const refused: Array<[string, string, RegExp]> = [
      ['vikram.viewer', 'count_over_time(paywatch:payments:rate5m[1d:1ms])', /86,400,000 points per series; at most 11,000/],
      ['meera.bm', 'count_over_time(payments_total[7d:1ms])', /points per series/],
      ['meera.bm', 'max_over_time(max_over_time(payments_total[1h:1s])[1d:1m])', /points per series/],
      ['meera.bm', 'rate(payments_total[60d])', /reads 60d back; at most 45d/],
      ['meera.bm', 'payments_total offset 50d', /at most 45d/],
      ['asha.exec', 'rate(payments_total[120d])', /at most 93d/],
    ];
    for (const [login, q, why] of refused) {
      const r = await query(q, login);
      assert.equal(r.status, 400, `${login} ${q}: ${r.body}`);
      assert.match(r.json.error, why);
    }
    assert.equal(received.length, before, 'nothing refused reached Prometheus');
    for (const [login, q] of [
      ['meera.bm', 'max_over_time(payments_total[1d:1m])'],
      ['asha.exec', 'rate(payments_total[60d])'],
      ['meera.bm', 'rate(payments_total[30d])'],
    ] as const) {
      assert.equal((await query(q, login)).status, 200, `${login} ${q}`);
    }
  });

  test('the rewrite memo is bounded by bytes', () => {
    const scope = { kind: 'branch' as const, branches: ['BR0001'] };
    // 8 KB queries (the longest the memo keeps): each entry holds the query twice (key, printed).
    const padding = 'x'.repeat(8000);
    for (let i = 0; i < 800; i++) rewriteQuery(`payments_total{channel="${padding}${i}"}`, scope);
    const stats = rewriteMemoStats();
    assert.ok(stats.bytes <= stats.maxBytes, `${stats.bytes} > ${stats.maxBytes}`);
    assert.ok(stats.entries < 800, `only ${stats.entries} long rewrites fit, not all 800`);
  });

  test('a timeout that cannot be met is bad input (400), not Prometheus unavailable', async () => {
    const r = await query('payments_total', 'meera.bm', [['timeout', '0.000001']]);
    assert.equal(r.status, 400);
    assert.match(r.json.error, /timeout must be a duration between 1s and 1.5s/);
    assert.equal((await query('payments_total', 'meera.bm', [['timeout', '1s']])).status, 200);
  });

  test('timeouts answer 504 and say they are timeouts', async () => {
    const own = await query('hang_forever', 'asha.exec');
    assert.equal(own.status, 504);
    assert.equal(own.json.errorType, 'timeout');
    assert.match(own.json.error, /did not answer within 1500 ms/);
    const theirs = await query('prometheus_times_out', 'asha.exec');
    assert.equal(theirs.status, 504);
    assert.match(theirs.json.error, /timed out/);
  });

  test('a body over 1 MiB gets 413, not a connection reset', async () => {
    const r = await rawRequest(proxy.url, { method: 'POST', path: '/api/v1/query', body: `query=${'x'.repeat(1_200_000)}` }, 'meera.bm');
    assert.equal(r.status, 413);
    assert.match(r.json.error, /larger than 1048576 bytes/);
  });

  test('an honest sum of 252 terms is scoped and sent', async () => {
    const terms = Array.from({ length: 252 }, (_, i) => `payments_total{channel="c${i}"}`).join(' + ');
    const r = await query(`sum(${terms})`, 'meera.bm');
    assert.equal(r.status, 200, r.body);
    const sent = received.at(-1)!;
    assert.equal(sent.match(/branch="BR0001"/g)?.length, 252);
  });

  test('a client that goes away mid-body is logged as such, not as an internal error', async () => {
    const socket = connect((proxy.url.match(/:(\d+)$/) ?? [])[1] as unknown as number, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `POST /api/v1/query HTTP/1.1\r\nHost: x\r\n${SECRET_HEADER}: ${SECRET}\r\nX-Grafana-User: meera.bm\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 1000\r\n\r\nquery=pay`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    let seen = false;
    for (let i = 0; i < 50 && !seen; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen = logs.some((l) => /client went away/.test(l));
    }
    assert.ok(seen, logs.slice(-5).join('\n'));
    assert.ok(!logs.some((l) => /internal error/.test(l)), logs.filter((l) => /internal/.test(l)).join('\n'));
    // The proxy still answers.
    assert.equal((await query('payments_total', 'meera.bm')).status, 200);
  });
});
