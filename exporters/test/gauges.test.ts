// What gauges read on a live business: "now" from the business clock, and 0 rather than no data.
// The exporters read "now" from the contract's business clock (paywatch.clock), not from the
// server's now(): a simulation running ahead of real time stamps rows in the server's future,
// and those rows must be counted, and ages and "overdue" measured, on the simulated clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startExporter } from '../src/index.ts';
import { addActivity, assertFamily, cleanups, type Sample, scrape, seededDatabase } from './fixtures.ts';

const quiet = () => {};
const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

test('rows stamped on a simulated clock ahead of real time are counted, and overdue follows that clock', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_clock');
  // The simulation's clock runs two days ahead of the server, as the simulator sets it up.
  await db.pool.query(`
    CREATE TABLE sim_clock (now timestamptz NOT NULL);
    INSERT INTO sim_clock VALUES (now() + interval '2 days');
    CREATE OR REPLACE VIEW paywatch.clock AS SELECT now FROM sim_clock;
    INSERT INTO payments (branch, channel, status, amount_inr, loan_ref, created_at, completed_at)
      VALUES ('BR0001', 'upi', 'success', 2500, 'LNC1', now() + interval '2 days' - interval '10 minutes',
              now() + interval '2 days' - interval '9 minutes');
    -- Due a day from the server's now: not overdue in real time, overdue on the simulated clock.
    INSERT INTO reconciliations (branch, business_date, status, expected_inr, due_at)
      VALUES ('BR0002', current_date, 'pending', 1000, now() + interval '1 day');
    INSERT INTO lms_postings (payment_id, branch, status, enqueued_at)
      SELECT id, branch, 'pending', now() + interval '2 days' - interval '1 hour' FROM payments WHERE loan_ref = 'LNC1';
  `);

  const common = { databaseUrl: db.url, port: 0, pollIntervalSeconds: 3600, safetyLagSeconds: 1, log: quiet };
  const payments = await startExporter('payments', common);
  const lms = await startExporter('lms', common);
  defer(() => Promise.all([payments.stop(), lms.stop()]));

  const paid = await scrape(payments.url);
  assert.equal(value(paid, 'payments_total', { branch: 'BR0001', channel: 'upi', status: 'success' }), 1);
  assert.equal(value(paid, 'payment_amount_total', { branch: 'BR0001', channel: 'upi' }), 2500);
  assert.equal(value(paid, 'reconciliation_overdue', { branch: 'BR0002' }), 1);

  const posted = await scrape(lms.url);
  const oldest = value(posted, 'lms_posting_oldest_pending_seconds', {});
  assert.ok(
    oldest !== undefined && oldest >= 3600 && oldest < 3700,
    `oldest pending age on the simulated clock is about an hour, got ${oldest}`,
  );
});

test('a branch or officer with nothing open reads 0, not "no data"', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_zeros');
  const common = { databaseUrl: db.url, port: 0, pollIntervalSeconds: 3600, safetyLagSeconds: 1, log: quiet };
  const payments = await startExporter('payments', common);
  const lms = await startExporter('lms', common);
  defer(() => Promise.all([payments.stop(), lms.stop()]));

  const paid = await scrape(payments.url);
  for (const branch of ['BR0001', 'BR0002', 'BR0003']) {
    for (const name of ['reconciliation_pending', 'reconciliation_overdue', 'reconciliation_exceptions_open'])
      assert.equal(value(paid, name, { branch }), 0, `${name} ${branch}`);
  }
  for (const officer of ['BR0001-FO01', 'BR0002-FO02', 'BR0003-FO01'])
    assert.equal(value(paid, 'field_collections_unconfirmed', { officer }), 0, officer);
  const queued = await scrape(lms.url);
  for (const branch of ['BR0001', 'BR0002', 'BR0003'])
    assert.equal(value(queued, 'lms_posting_queue_depth_by_branch', { branch }), 0, branch);
});

test('unconfirmed field collections follow confirmations per officer, a branch with nothing left reads 0', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_unconfirmed');
  await addActivity(db.pool, 2, { ageSeconds: 5 });
  await addActivity(db.pool, 3, { ageSeconds: 5 });
  const payments = await startExporter('payments', {
    databaseUrl: db.url,
    port: 0,
    pollIntervalSeconds: 3600,
    safetyLagSeconds: 1,
    log: quiet,
  });
  defer(() => payments.stop());
  const truth = async () =>
    (
      await db.pool.query<{ branch: string; officer: string; value: string }>(
        `SELECT branch, officer_id AS officer, count(*) AS value FROM field_collections
         WHERE otp_status = 'verified' AND confirmed_at IS NULL GROUP BY 1, 2`,
      )
    ).rows.map((row) => ({ labels: { branch: row.branch, officer: row.officer }, value: Number(row.value) }));
  const waiting = (samples: Sample[], branch: string) =>
    samples.filter((s) => s.name === 'field_collections_unconfirmed' && s.labels.branch === branch && s.value > 0).length;

  const before = await scrape(payments.url);
  assertFamily(before, 'field_collections_unconfirmed', await truth());
  assert.ok(waiting(before, 'BR0001') > 0, 'BR0001 has officers with collections waiting');
  assert.ok(waiting(before, 'BR0002') > 0, 'BR0002 has officers with collections waiting');

  // BR0001 confirms everything; BR0002 one collection; BR0003 gets a new one waiting.
  await db.pool.query(`UPDATE field_collections SET confirmed_at = now() WHERE branch = 'BR0001' AND confirmed_at IS NULL`);
  await db.pool.query(
    `UPDATE field_collections SET confirmed_at = now()
     WHERE id = (SELECT min(id) FROM field_collections WHERE branch = 'BR0002' AND otp_status = 'verified' AND confirmed_at IS NULL)`,
  );
  await db.pool.query(
    `INSERT INTO field_collections (branch, officer_id, loan_ref, amount_inr, otp_status, collected_at)
     VALUES ('BR0003', 'BR0003-FO01', 'LNU1', 100, 'verified', now())`,
  );
  assert.equal(await payments.poll(), true);
  const after = await scrape(payments.url);
  assertFamily(after, 'field_collections_unconfirmed', await truth());
  assert.equal(waiting(after, 'BR0001'), 0, 'every BR0001 officer reads 0');
  assert.ok(
    after.some((s) => s.name === 'field_collections_unconfirmed' && s.labels.branch === 'BR0001'),
    'BR0001 officers still have series',
  );
});
