// Every database-derived metric family equals ground truth computed from the raw tables, after the
// start-up baseline and again after incremental polls.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { APP_POOLS, APPLICATION_POOLS } from '@paywatch/contract';
import { createPool } from '@paywatch/database';
import { startExporter } from '../src/index.ts';
import { addActivity, assertMatchesTruth, cleanups, groundTruth, type Sample, scrape, seededDatabase } from './fixtures.ts';

const quiet = () => {};

function one(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}: expected one series, got ${found.length}`);
  return found[0]!.value;
}

test('exporter values equal SQL ground truth for every metric family', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_values');
  await addActivity(db.pool, 1, { yesterday: true });

  // An LMS health endpoint we control.
  let lmsHealthy = true;
  const lms = createServer((_request, response) => {
    response.statusCode = lmsHealthy ? 200 : 503;
    response.end();
  }).listen(0, '127.0.0.1');
  await once(lms, 'listening');
  defer(() => lms.close());
  const lmsAddress = lms.address() as { port: number };

  const common = { databaseUrl: db.url, port: 0, pollIntervalSeconds: 3600, safetyLagSeconds: 1, log: quiet };
  const payments = await startExporter('payments', common);
  const lmsExporter = await startExporter('lms', { ...common, lmsHealthUrl: `http://127.0.0.1:${lmsAddress.port}/health` });
  const rfid = await startExporter('rfid', common);
  const pool = await startExporter('pool', common);
  defer(() => Promise.all([payments.stop(), lmsExporter.stop(), rfid.stop(), pool.stop()]));

  const check = async (when: string) => {
    const expected = await groundTruth(db.pool);
    await t.test(`payments ${when}`, async () => assertMatchesTruth(await scrape(payments.url), expected.payments));
    await t.test(`lms ${when}`, async () => {
      const samples = await scrape(lmsExporter.url);
      assertMatchesTruth(samples, expected.lms);
      const oldest = await db.pool.query(
        `SELECT extract(epoch FROM now() - min(enqueued_at))::float8 AS age FROM lms_postings WHERE status = 'pending'`,
      );
      // An age moves with the clock: the exporter's value is from its poll, a moment ago.
      const age = one(samples, 'lms_posting_oldest_pending_seconds');
      assert.ok(age > 0 && age <= oldest.rows[0].age && age > oldest.rows[0].age - 30, `oldest pending ${age} vs ${oldest.rows[0].age}`);
    });
    await t.test(`rfid ${when}`, async () => assertMatchesTruth(await scrape(rfid.url), expected.rfid));
  };

  await check('after the start-up baseline');

  // More activity, newer than the exporters' watermark, then incremental polls once it is older
  // than the safety lag (1 s).
  await addActivity(db.pool, 2, { ageSeconds: 0 });
  await addActivity(db.pool, 3, { ageSeconds: 0 });
  await db.pool.query(`UPDATE field_collections SET confirmed_at = now() WHERE id % 2 = 0 AND confirmed_at IS NULL`);
  await db.pool.query(`UPDATE reconciliations SET status = 'matched', resolved_at = now() WHERE id % 3 = 0 AND status = 'pending'`);
  await db.pool.query(`UPDATE lms_postings SET status = 'posted', finished_at = now() WHERE id % 2 = 0 AND status = 'pending'`);
  await db.pool.query(`UPDATE payments SET status = 'success', completed_at = now() WHERE id % 2 = 0 AND status = 'pending'`);
  await db.pool.query(`UPDATE rfid_readers SET last_seen_at = now() - interval '1 day' WHERE id = 'BR0003-R1'`);
  lmsHealthy = false;
  await new Promise((resolve) => setTimeout(resolve, 1200));
  for (const exporter of [payments, lmsExporter, rfid, pool]) assert.equal(await exporter.poll(), true);
  await check('after incremental polls');

  await t.test('lms_up follows the LMS health check', async () => {
    assert.equal(one(await scrape(lmsExporter.url), 'lms_up'), 0);
    lmsHealthy = true;
    await lmsExporter.poll();
    assert.equal(one(await scrape(lmsExporter.url), 'lms_up'), 1);
  });

  await t.test("pool: each application's pool as the real server shows it, against its size", async () => {
    // The payments API's pool, opened as the API opens it (its application_name), holding one
    // connection running a query, one idle in a transaction and one back in the pool.
    const api = createPool(db.url, { applicationName: APP_POOLS.paymentsApi.application, max: 3 });
    defer(() => api.end());
    const [running, inTransaction, returned] = [await api.connect(), await api.connect(), await api.connect()];
    returned.release();
    await inTransaction.query('BEGIN');
    await inTransaction.query('SELECT 1');
    const sleeping = running.query('SELECT pg_sleep(2)');
    await waitUntil(
      async () =>
        (
          await db.pool.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND datname = current_database()`,
            [APP_POOLS.paymentsApi.application],
          )
        ).rows[0].n === 1,
    );
    await pool.poll();
    const samples = await scrape(pool.url);
    await sleeping;
    await inTransaction.query('COMMIT');
    running.release();
    inTransaction.release();

    const application = APP_POOLS.paymentsApi.application;
    assert.equal(one(samples, 'paywatch_app_pool_stats_available'), 1);
    assert.equal(one(samples, 'paywatch_app_pool_connections', { application, state: 'active' }), 1);
    assert.equal(one(samples, 'paywatch_app_pool_connections', { application, state: 'idle_in_transaction' }), 1);
    assert.equal(one(samples, 'paywatch_app_pool_connections', { application, state: 'idle' }), 1);
    assert.equal(one(samples, 'paywatch_app_pool_connections', { application, state: 'other' }), 0);
    assert.equal(one(samples, 'paywatch_app_pool_size', { application }), APP_POOLS.paymentsApi.size);
    // Every application of APPLICATION_POOLS has its size and its four states, zeros included.
    for (const known of APPLICATION_POOLS) {
      assert.equal(one(samples, 'paywatch_app_pool_size', { application: known.application }), known.size);
      assert.equal(
        samples.filter((s) => s.name === 'paywatch_app_pool_connections' && s.labels.application === known.application).length,
        4,
      );
    }
    // The pool exporter's own poll is an active connection of its own pool.
    assert.ok(one(samples, 'paywatch_app_pool_connections', { application: APP_POOLS.exporter('pool').application, state: 'active' }) >= 1);
    // The test's own connections (no Paywatch application_name) are not an application's pool.
    assert.ok(
      samples.filter((s) => s.name === 'paywatch_app_pool_connections').every((s) => s.labels.application!.startsWith('paywatch-')),
    );
    // The database server's facts are postgres_exporter's, not this exporter's.
    assert.equal(samples.filter((s) => /^db_/.test(s.name)).length, 0, "db_* series are no longer the pool exporter's");
  });

  await t.test('exporter health metrics', async () => {
    for (const exporter of [payments, lmsExporter, rfid, pool]) {
      const samples = await scrape(exporter.url);
      const labels = { exporter: exporter.name };
      assert.equal(one(samples, 'paywatch_exporter_source_up', labels), 1);
      assert.equal(one(samples, 'paywatch_exporter_poll_errors_total', labels), 0);
      assert.ok(one(samples, 'paywatch_exporter_poll_duration_seconds_count', labels) >= 2);
      assert.ok(Math.abs(one(samples, 'paywatch_exporter_last_success_timestamp_seconds', labels) - Date.now() / 1000) < 600);
      assert.ok(one(samples, 'paywatch_exporter_pool_clients', { ...labels, state: 'total' }) >= 0);
      assert.ok(samples.some((s) => s.name === 'process_resident_memory_bytes'));
      assert.ok(samples.some((s) => s.name.startsWith('nodejs_')));
      const health = await (await fetch(`${exporter.url}/healthz`)).json();
      assert.equal(health.status, 'ok');
      assert.equal(health.sourceUp, true);
    }
  });
});

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached');
}
