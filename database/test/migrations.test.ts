import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestDatabase } from '@paywatch/testing';
import { migrate, migrationFiles } from '@paywatch/database';

test('migrations apply in order on an empty database, once, and define the contract views', async (t) => {
  const db = await createTestDatabase('migrations', { migrated: false });
  t.after(() => db.drop());

  const applied = await migrate(db.pool);
  assert.deepEqual(applied, migrationFiles());
  assert.ok(applied.length >= 3);
  assert.deepEqual(await migrate(db.pool), [], 'a second run applies nothing');

  const views = await db.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.views WHERE table_schema = 'paywatch' ORDER BY 1`,
  );
  assert.deepEqual(
    views.rows.map((r) => r.table_name),
    [
      'branch_daily_targets',
      'branches',
      'clock',
      'field_collections',
      'field_officers',
      'lms_postings',
      'mandate_registrations',
      'payment_reversals',
      'payments',
      'reconciliations',
      'rfid_readers',
      'rfid_verifications',
    ],
  );
  const columns = await db.pool.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'paywatch' AND table_name = 'payments' ORDER BY ordinal_position`,
  );
  assert.deepEqual(
    columns.rows.map((r) => r.column_name),
    [
      'id',
      'branch',
      'channel',
      'gateway',
      'status',
      'failure_reason',
      'amount_inr',
      'officer',
      'created_at',
      'completed_at',
      'recorded_xid',
    ],
  );
  const clock = await db.pool.query<{ skew: number }>(
    `SELECT abs(extract(epoch FROM (SELECT now FROM paywatch.clock) - now()))::float8 AS skew`,
  );
  assert.ok(clock.rows[0]!.skew < 1, 'on a real database the business clock is now()');
});

test('the schema refuses rows that break its rules', async (t) => {
  const db = await createTestDatabase('constraints');
  t.after(() => db.drop());
  await db.pool.query(`INSERT INTO branches (code, name, region) VALUES ('BR0001', 'Test', 'North')`);
  const insert = (status: string, reason: string | null, completed: string | null, channel = 'upi', gateway: string | null = null) =>
    db.pool.query(
      `INSERT INTO payments (branch, channel, gateway, status, failure_reason, amount_inr, loan_ref, completed_at) VALUES ('BR0001', $1, $2, $3, $4, 100, 'LN-1', $5)`,
      [channel, gateway, status, reason, completed],
    );
  await insert('success', null, new Date().toISOString());
  await insert('pending', null, null);
  await assert.rejects(insert('pending', null, new Date().toISOString()), /check constraint/, 'pending has no completed_at');
  await assert.rejects(insert('failed', null, new Date().toISOString()), /check constraint/, 'failed needs a reason');
  await assert.rejects(insert('success', null, new Date().toISOString(), 'card'), /check constraint/, 'card needs a gateway');
  await assert.rejects(insert('failed', 'bounced', new Date().toISOString()), /check constraint/, 'reasons are a closed list');
  // A terminal payment is final: a reversal is a row of its own, never an update.
  await assert.rejects(
    db.pool.query(`UPDATE payments SET status = 'failed', failure_reason = 'declined' WHERE status = 'success'`),
    /is already success: .* record a reversal in payment_reversals instead/,
  );
  await assert.rejects(db.pool.query(`UPDATE payments SET amount_inr = 1 WHERE status = 'success'`), /is already success/);
  await db.pool.query(`UPDATE payments SET completed_at = completed_at - interval '1 minute' WHERE status = 'success'`);
  await db.pool.query(`UPDATE payments SET status = 'success', completed_at = now() WHERE status = 'pending'`);
});
