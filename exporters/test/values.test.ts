// Every database-derived metric family equals ground truth computed from the raw tables, after the
// start-up baseline and again after incremental polls.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { test } from 'node:test';
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

  await t.test('pool: connections and limits from the real server', async () => {
    // A backend waiting on a lock held by another transaction, both in this test's database.
    const holder = await db.pool.connect();
    const waiter = await db.pool.connect();
    defer(() => {
      holder.release();
      waiter.release();
    });
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE branches IN ACCESS EXCLUSIVE MODE');
    await holder.query(`SELECT pg_sleep(1.1)`);
    const blocked = waiter.query('SELECT count(*) FROM branches');
    await waitUntil(
      async () => (await db.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)).rows[0].n > 0,
    );
    await pool.poll();
    const samples = await scrape(pool.url);
    await holder.query('COMMIT');
    await blocked;

    const max = await db.pool.query(`SELECT current_setting('max_connections')::int AS max`);
    assert.equal(one(samples, 'db_up'), 1);
    assert.equal(one(samples, 'db_server_stats_available'), 1);
    assert.equal(one(samples, 'db_max_connections'), max.rows[0].max);
    // Lock waits and the oldest transaction are postgres_exporter's now: prometheus/test/database-locks.e2e.test.ts.
    assert.equal(
      samples.filter((s) => /^db_(connections_waiting|longest_transaction)/.test(s.name)).length,
      0,
      "no longer the pool exporter's",
    );
    const states = samples.filter((s) => s.name === 'db_connections');
    assert.deepEqual(states.map((s) => s.labels.state).sort(), ['active', 'idle', 'idle_in_transaction', 'other']);
    // Our own poll was active; the holder (idle in transaction at that moment or sleeping) and the
    // exporters' idle pools are there too.
    const total = states.reduce((sum, s) => sum + s.value, 0);
    assert.ok(one(samples, 'db_connections', { state: 'active' }) >= 1);
    assert.ok(total >= 4 && total <= max.rows[0].max, `total connections ${total}`);
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
