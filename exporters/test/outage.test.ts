// Database outage and recovery: the exporters reach PostgreSQL through a TCP proxy the test cuts
// and restores. While cut they keep serving the last values with source_up 0 and log one line;
// afterwards they catch up by themselves, counting what was written during the outage once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { waitFor } from '@paywatch/runtime';
import { ADMIN_URL } from '@paywatch/testing';
import { startExporter } from '../src/index.ts';
import {
  addActivity,
  assertMatchesTruth,
  cleanups,
  groundTruth,
  type Sample,
  scrape,
  seededDatabase,
  seedReferenceData,
  testDatabase,
} from './fixtures.ts';

/** A TCP proxy to the test PostgreSQL server that can be cut (all connections dropped, new ones refused) and restored. */
async function startProxy() {
  const target = new URL(ADMIN_URL);
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A small business in a fresh database, reached through a proxy the test can cut; cleaned up after the test. */
async function businessBehindProxy(t: { after(fn: () => unknown): void }, label: string) {
  const defer = cleanups(t);
  const db = await testDatabase(label);
  defer(() => db.drop());
  await seedReferenceData(db.pool);
  await addActivity(db.pool, 1);
  const proxy = await startProxy();
  defer(() => proxy.close());
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  return { defer, db, proxy, viaProxy };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const value = (samples: Sample[], name: string) => samples.find((s) => s.name === name)?.value;

test('database outage: keeps serving last values, source_up 0, one log line, recovers by itself', async (t) => {
  const { defer, db, proxy, viaProxy } = await businessBehindProxy(t, 'exporter_outage');

  const logs: string[] = [];
  const options = {
    databaseUrl: viaProxy.toString(),
    port: 0,
    pollIntervalSeconds: 0.2,
    safetyLagSeconds: 1,
    log: (line: string) => logs.push(line),
  };
  const payments = await startExporter('payments', options);
  const pool = await startExporter('pool', options);
  defer(() => Promise.all([payments.stop(), pool.stop()]));

  const before = await scrape(payments.url);
  assert.equal(value(before, 'paywatch_exporter_source_up'), 1);
  const paymentsBefore = before.filter((s) => s.name === 'payments_total');
  assert.ok(paymentsBefore.length > 0);

  proxy.cut();
  await waitFor(async () => value(await scrape(payments.url), 'paywatch_exporter_source_up') === 0, {
    what: 'payments source_up 0',
    timeoutMs: 20_000,
  });
  // The pool exporter: its source down, and no application pool's connections while unknown.
  await waitFor(async () => value(await scrape(pool.url), 'paywatch_exporter_source_up') === 0, {
    what: 'pool source_up 0',
    timeoutMs: 20_000,
  });
  // Written during the outage.
  await addActivity(db.pool, 2, { ageSeconds: 0 });
  // Several failed polls later: still serving, the same last values, still one log line each.
  await waitFor(async () => (value(await scrape(payments.url), 'paywatch_exporter_poll_errors_total') ?? 0) >= 5, {
    what: 'failed polls',
    timeoutMs: 20_000,
  });
  const during = await scrape(payments.url);
  assert.deepEqual(
    during.filter((s) => s.name === 'payments_total'),
    paymentsBefore,
    'last values are served during the outage',
  );
  const poolDuring = await scrape(pool.url);
  assert.equal(value(poolDuring, 'paywatch_exporter_source_up'), 0);
  assert.equal(value(poolDuring, 'paywatch_app_pool_connections'), undefined, 'no pool connections while the database is away');
  assert.ok(
    poolDuring.some((s) => s.name === 'paywatch_app_pool_size'),
    'pool sizes stay',
  );
  const downLines = logs.filter((line) => line.includes('database unavailable'));
  assert.equal(downLines.filter((line) => line.startsWith('payments')).length, 1, downLines.join('\n'));
  assert.equal(downLines.filter((line) => line.startsWith('pool')).length, 1, downLines.join('\n'));
  assert.ok(!downLines.some((line) => line.includes(viaProxy.password || '\u0000')), 'no password in logs');

  proxy.restore();
  await sleep(1100); // the outage's rows are now older than the safety lag
  await waitFor(async () => value(await scrape(payments.url), 'paywatch_exporter_source_up') === 1, {
    what: 'payments source_up 1 again',
    timeoutMs: 20_000,
  });
  await waitFor(async () => value(await scrape(pool.url), 'paywatch_exporter_source_up') === 1, {
    what: 'pool source_up 1 again',
    timeoutMs: 20_000,
  });
  await waitFor(async () => value(await scrape(pool.url), 'paywatch_app_pool_connections') !== undefined, {
    what: 'pool connections again',
    timeoutMs: 20_000,
  });
  await payments.poll();
  assertMatchesTruth(await scrape(payments.url), (await groundTruth(db.pool)).payments);
  assert.equal(logs.filter((line) => line.startsWith('payments') && line.includes('reachable again')).length, 1);
});

test('an exporter started while the database is down serves source_up 0 and loads the totals when it comes', async (t) => {
  const { defer, db, proxy, viaProxy } = await businessBehindProxy(t, 'exporter_late_db');
  proxy.cut();

  const logs: string[] = [];
  const lms = await startExporter('lms', {
    databaseUrl: viaProxy.toString(),
    port: 0,
    pollIntervalSeconds: 0.2,
    safetyLagSeconds: 1,
    log: (line) => logs.push(line),
  });
  defer(() => lms.stop());
  const down = await scrape(lms.url);
  assert.equal(value(down, 'paywatch_exporter_source_up'), 0);
  assert.equal(down.filter((s) => s.name === 'lms_postings_total').length, 0);

  proxy.restore();
  await waitFor(async () => value(await scrape(lms.url), 'paywatch_exporter_source_up') === 1, {
    what: 'lms source_up 1',
    timeoutMs: 20_000,
  });
  assertMatchesTruth(await scrape(lms.url), (await groundTruth(db.pool)).lms);
  assert.equal(logs.filter((line) => line.includes('database unavailable')).length, 1);
});

test('a view dropped while running: source_up 0 with a message saying what to fix, back when restored', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_view_gone');
  await addActivity(db.pool, 1);
  const logs: string[] = [];
  const rfid = await startExporter('rfid', {
    databaseUrl: db.url,
    port: 0,
    pollIntervalSeconds: 3600,
    safetyLagSeconds: 1,
    log: (line) => logs.push(line),
  });
  defer(() => rfid.stop());

  await db.pool.query('ALTER VIEW paywatch.rfid_verifications RENAME TO rfid_verifications_old');
  assert.equal(await rfid.poll(), false);
  assert.equal(value(await scrape(rfid.url), 'paywatch_exporter_source_up'), 0);
  assert.ok(
    logs.some((line) => line.includes('paywatch.rfid_verifications') && line.includes('does not exist')),
    logs.join('\n'),
  );

  await db.pool.query('ALTER VIEW paywatch.rfid_verifications_old RENAME TO rfid_verifications');
  assert.equal(await rfid.poll(), true);
  assertMatchesTruth(await scrape(rfid.url), (await groundTruth(db.pool)).rfid);
});
