// Counters survive a restart: after it they resume from the database's totals, rows written
// while the exporter was down are counted once, and nothing already counted is counted again.
// Rows committed late (within the safety lag) are counted once too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startExporter, type ExporterName } from '../src/index.ts';
import { addActivity, assertMatchesTruth, cleanups, groundTruth, type Sample, scrape, seededDatabase } from './fixtures.ts';

const quiet = () => {};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const COUNTERS = /_total$|_bucket$|_count$|_sum$/;

function counters(samples: Sample[]): Map<string, number> {
  return new Map(
    samples
      .filter(
        (s) =>
          COUNTERS.test(s.name) &&
          !s.name.startsWith('paywatch_exporter_') &&
          !s.name.startsWith('process_') &&
          !s.name.startsWith('nodejs_'),
      )
      .map((s) => [`${s.name}${JSON.stringify(s.labels)}`, s.value]),
  );
}

test('restart: counters resume from the database totals, nothing lost, nothing counted twice', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_restart');
  await addActivity(db.pool, 1, { yesterday: true });

  const options = { databaseUrl: db.url, port: 0, pollIntervalSeconds: 3600, safetyLagSeconds: 1, log: quiet };
  const names: ExporterName[] = ['payments', 'lms', 'rfid'];
  const first = await Promise.all(names.map((name) => startExporter(name, options)));
  await addActivity(db.pool, 2, { ageSeconds: 0 });
  await sleep(1100);
  for (const exporter of first) await exporter.poll();
  const before = new Map(await Promise.all(first.map(async (e) => [e.name, counters(await scrape(e.url))] as const)));
  await Promise.all(first.map((e) => e.stop()));

  // Written while the exporters are down.
  await addActivity(db.pool, 3, { ageSeconds: 0 });
  await db.pool.query(
    `UPDATE payments SET status = 'failed', failure_reason = 'cancelled', completed_at = now() WHERE status = 'pending' AND id % 2 = 1`,
  );
  await sleep(1100);

  const second = await Promise.all(names.map((name) => startExporter(name, options)));
  defer(() => Promise.all(second.map((e) => e.stop())));
  const expected = await groundTruth(db.pool);
  for (const exporter of second) {
    const samples = await scrape(exporter.url);
    assertMatchesTruth(samples, expected[exporter.name as 'payments' | 'lms' | 'rfid']);
    // No counter went back (Prometheus would see a reset) and the restart added rows.
    const after = counters(samples);
    let grew = 0;
    for (const [series, value] of before.get(exporter.name)!) {
      const now = after.get(series);
      assert.ok(now !== undefined && now >= value, `${series}: ${value} before the restart, ${now} after`);
      if (now > value) grew++;
    }
    assert.ok(grew > 0, `${exporter.name}: rows written while down were counted`);
  }

  // Polling again without new rows changes no counter: the baseline is not counted twice.
  const settled = new Map(await Promise.all(second.map(async (e) => [e.name, counters(await scrape(e.url))] as const)));
  await sleep(1100);
  for (const exporter of second) {
    assert.equal(await exporter.poll(), true);
    assert.deepEqual(counters(await scrape(exporter.url)), settled.get(exporter.name));
  }
});

test('a payment committed late, within the safety lag, is counted exactly once', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_late_commit');
  const exporter = await startExporter('payments', {
    databaseUrl: db.url,
    port: 0,
    pollIntervalSeconds: 3600,
    safetyLagSeconds: 2,
    log: quiet,
  });
  defer(() => exporter.stop());

  // The payments engine stamps completed_at = now() (its transaction's start) and commits later.
  const engine = await db.pool.connect();
  await engine.query('BEGIN');
  await engine.query(
    `INSERT INTO payments (branch, channel, status, amount_inr, loan_ref, created_at, completed_at) VALUES ('BR0001', 'upi', 'success', 250, 'LN1', now() - interval '2 seconds', now())`,
  );
  await sleep(1000);
  await exporter.poll(); // its window ends before the uncommitted row's completed_at
  await engine.query('COMMIT');
  engine.release();
  const count = async () => (await scrape(exporter.url)).find((s) => s.name === 'payments_total' && s.labels.channel === 'upi')?.value ?? 0;
  assert.equal(await count(), 0, 'not counted while still inside the safety lag');
  await sleep(2100);
  await exporter.poll();
  assert.equal(await count(), 1);
  await sleep(100);
  await exporter.poll();
  assert.equal(await count(), 1, 'counted once');
});
