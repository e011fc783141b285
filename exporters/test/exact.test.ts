// Exact counting on real PostgreSQL: every row counted exactly once however late it commits
// relative to its business timestamp (commit order, docs/schema.md), a connection terminated
// mid-poll, rows the exporter must refuse, and restarts. Nothing here waits on a timer: each
// step polls by hand and the database says when a session is blocked.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { test } from 'node:test';
import { startExporter } from '../src/index.ts';
import { assertMatchesTruth, cleanups, groundTruth, type Sample, scrape, seededDatabase } from './fixtures.ts';

const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

const pay = (branch: string, minutesAgo: number, amount = 250, status = 'success') =>
  `INSERT INTO payments (branch, channel, status, failure_reason, amount_inr, loan_ref, created_at, completed_at)
   VALUES ('${branch}', 'upi', '${status}', ${status === 'failed' ? `'declined'` : 'NULL'}, ${amount}, 'LN-late',
           now() - make_interval(mins => ${minutesAgo + 1}), now() - make_interval(mins => ${minutesAgo}))`;

test('a payment committed with completed_at 10 minutes in the past is counted exactly once, without a restart', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_late_10min');
  const lines: string[] = [];
  const exporter = await startExporter('payments', {
    databaseUrl: db.url,
    port: 0,
    pollIntervalSeconds: 3600,
    safetyLagSeconds: 30,
    log: (line) => lines.push(line),
  });
  defer(() => exporter.stop());
  assert.ok(!lines.some((line) => /read by time/.test(line)), 'the reference schema is read in commit order');

  // A new branch, and its first payment arriving 10 minutes after its completed_at (a late webhook).
  await db.pool.query(`INSERT INTO branches (code, name, region) VALUES ('BR0099', 'Late Branch', 'north')`);
  await db.pool.query(pay('BR0099', 10));
  assert.equal(await exporter.poll(), true);
  let samples = await scrape(exporter.url);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0099', channel: 'upi', status: 'success' }), 1);
  assert.equal(value(samples, 'payment_amount_total', { branch: 'BR0099', channel: 'upi' }), 250);
  assert.equal(value(samples, 'paywatch_exporter_late_rows_total', { view: 'payments' }), 1, 'counted as a late row');
  assert.equal(value(samples, 'paywatch_exporter_row_lateness_seconds_bucket', { view: 'payments', le: '300' }), 0);
  assert.equal(value(samples, 'paywatch_exporter_row_lateness_seconds_bucket', { view: 'payments', le: '900' }), 1, '10 min late');
  // The new branch's other channels start at 0 too.
  assert.equal(value(samples, 'payments_total', { branch: 'BR0099', channel: 'nach', status: 'failed' }), 0);

  // Polled again, and again after another late row and a NACH return of yesterday: each once.
  assert.equal(await exporter.poll(), true);
  await db.pool.query(pay('BR0099', 24 * 60, 100, 'failed'));
  assert.equal(await exporter.poll(), true);
  assert.equal(await exporter.poll(), true);
  samples = await scrape(exporter.url);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0099', channel: 'upi', status: 'success' }), 1);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0099', channel: 'upi', status: 'failed' }), 1);
  assert.equal(value(samples, 'paywatch_exporter_late_rows_total', { view: 'payments' }), 2);
  assertMatchesTruth(samples, (await groundTruth(db.pool)).payments);
});

test('a transaction that commits long after its rows were stamped (past the safety lag) is counted once', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_long_txn');
  const exporter = await startExporter('payments', {
    databaseUrl: db.url,
    port: 0,
    pollIntervalSeconds: 3600,
    safetyLagSeconds: 0,
    log: () => {},
  });
  defer(() => exporter.stop());

  const engine = await db.pool.connect();
  defer(() => engine.release());
  await engine.query('BEGIN');
  await engine.query(pay('BR0001', 0, 500));
  // Polls while the transaction is open: its row is invisible, and the business clock moves on
  // far past its completed_at (a read by time would leave it behind for ever).
  assert.equal(await exporter.poll(), true);
  assert.equal(await exporter.poll(), true);
  let samples = await scrape(exporter.url);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0001', channel: 'upi', status: 'success' }), 0);
  await engine.query('COMMIT');
  assert.equal(await exporter.poll(), true);
  assert.equal(await exporter.poll(), true);
  samples = await scrape(exporter.url);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0001', channel: 'upi', status: 'success' }), 1);
  assert.equal(value(samples, 'payment_amount_total', { branch: 'BR0001', channel: 'upi' }), 500);
});

test('a connection terminated mid-poll: the exporter lives on, the next poll counts everything once', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_kill_mid_poll');
  const lines: string[] = [];
  const exporter = await startExporter('payments', {
    databaseUrl: db.url,
    port: 0,
    pollIntervalSeconds: 3600,
    log: (line) => lines.push(line),
  });
  defer(() => exporter.stop());
  await db.pool.query(pay('BR0001', 0));
  await db.pool.query(pay('BR0002', 5));

  // Block the poll inside its transaction (a lock on the table behind the view), find its
  // backend waiting on that lock, and terminate it, as an administrator or a failover would.
  const locker = await db.pool.connect();
  defer(() => locker.release());
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE payments IN ACCESS EXCLUSIVE MODE');
  const polled = exporter.poll();
  let pid: number | undefined;
  while (pid === undefined) {
    const waiting = await db.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'paywatch-exporter-payments' AND wait_event_type = 'Lock'`,
    );
    pid = waiting.rows[0]?.pid;
    if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
  assert.equal(await polled, false, 'the poll whose connection was terminated failed');
  await locker.query('COMMIT');
  assert.equal(exporter.sourceUp(), false);
  assert.ok(lines.some((line) => /database unavailable/.test(line)));

  // Reconnects on the next poll; the rows are counted once.
  assert.equal(await exporter.poll(), true);
  assert.equal(await exporter.poll(), true);
  const samples = await scrape(exporter.url);
  assert.equal(value(samples, 'paywatch_exporter_source_up', {}), 1);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0001', channel: 'upi', status: 'success' }), 1);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0002', channel: 'upi', status: 'success' }), 1);
  assertMatchesTruth(samples, (await groundTruth(db.pool)).payments);
});

test('a connection terminated while the poll waits between queries: no uncaught error, no exit', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_kill_idle_in_poll');
  // The LMS health check is the lms exporter's last step inside its poll's transaction: held
  // open here, it leaves the poll's connection idle in transaction, with no query to take the
  // error (pg then emits it on the client: without a listener that ended the process).
  let hold: (() => void) | undefined;
  let arrived: (() => void) | undefined;
  const health = createServer((_request, response) => {
    const answer = () => response.end('ok');
    if (!hold) return answer();
    hold = answer;
    arrived?.();
  });
  health.listen(0, '127.0.0.1');
  await once(health, 'listening');
  defer(() => new Promise((resolve) => health.close(resolve)));
  const port = (health.address() as { port: number }).port;
  const exporter = await startExporter('lms', {
    databaseUrl: db.url,
    port: 0,
    pollIntervalSeconds: 3600,
    lmsHealthUrl: `http://127.0.0.1:${port}/health`,
    log: () => {},
  });
  defer(() => exporter.stop());

  hold = () => {};
  const probed = new Promise<void>((resolve) => (arrived = resolve));
  const polled = exporter.poll();
  await probed;
  // The probe starts before the poll's queries: wait until they are done and the connection waits.
  let backend = { rows: [] as Array<{ pid: number }> };
  while (!backend.rows.length) {
    backend = await db.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'paywatch-exporter-lms' AND state = 'idle in transaction'`,
    );
    if (!backend.rows.length) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(backend.rows.length, 1, 'the poll holds one connection, idle in its transaction');
  await db.pool.query('SELECT pg_terminate_backend($1)', [backend.rows[0]!.pid]);
  // Gone on the server's side before the poll goes on.
  while ((await db.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend.rows[0]!.pid])).rows.length) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const release = hold;
  hold = undefined;
  release();
  assert.equal(await polled, false, 'that poll failed');
  assert.equal(await exporter.poll(), true, 'the next one reconnects');
  assertMatchesTruth(await scrape(exporter.url), (await groundTruth(db.pool)).lms);
});

test('a negative or overflowing amount is refused with one log line and a metric; the rest is counted once', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_bad_amounts');
  // A customer's table without the reference schema's CHECK constraints, and a view that can
  // produce an amount far beyond int8 paise.
  await db.pool.query(`ALTER TABLE payments DROP CONSTRAINT payments_amount_inr_check`);
  await db.pool.query(`DROP VIEW paywatch.payments`);
  await db.pool.query(`CREATE VIEW paywatch.payments AS
    SELECT id, branch, channel, gateway, status, failure_reason,
           CASE WHEN loan_ref = 'LN-huge' THEN amount_inr * 1e20 ELSE amount_inr END AS amount_inr,
           officer_id AS officer, created_at, completed_at, recorded_xid
    FROM public.payments`);
  const lines: string[] = [];
  const exporter = await startExporter('payments', {
    databaseUrl: db.url,
    port: 0,
    pollIntervalSeconds: 3600,
    log: (line) => lines.push(line),
  });
  defer(() => exporter.stop());
  lines.length = 0;

  await db.pool.query(`${pay('BR0001', 0, 100)}; ${pay('BR0001', 0, -5)}; ${pay('BR0002', 0, 300)}`);
  await db.pool.query(`${pay('BR0003', 0, 7)}; UPDATE payments SET loan_ref = 'LN-huge' WHERE branch = 'BR0003'`);
  // Each amount allowed, but together more paise than a float64 holds exactly.
  await db.pool.query(
    `INSERT INTO payments (branch, channel, status, amount_inr, loan_ref, created_at, completed_at)
     SELECT 'BR0002', 'cash', 'success', 999999999999.99, 'LN-big', now(), now() FROM generate_series(1, 100)`,
  );
  assert.equal(await exporter.poll(), true, 'a bad row does not fail the poll');
  let samples = await scrape(exporter.url);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0001', channel: 'upi', status: 'success' }), 1);
  assert.equal(value(samples, 'payment_amount_total', { branch: 'BR0001', channel: 'upi' }), 100);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0002', channel: 'upi', status: 'success' }), 1);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0003', channel: 'upi', status: 'success' }), 0);
  assert.equal(value(samples, 'paywatch_exporter_rows_refused_total', { view: 'payments', reason: 'amount_invalid' }), 2);
  assert.equal(value(samples, 'paywatch_exporter_rows_refused_total', { view: 'payments', reason: 'amount_overflow' }), 100);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0002', channel: 'cash', status: 'success' }), 0);
  assert.equal(value(samples, 'paywatch_exporter_source_up', {}), 1, 'the database is not blamed');
  const refusalLines = lines.filter((line) => /refused/.test(line));
  assert.equal(refusalLines.length, 1, lines.join('\n'));
  assert.match(
    refusalLines[0]!,
    /2 row\(s\) of paywatch\.payments \(amount_invalid\), 100 row\(s\) of paywatch\.payments \(amount_overflow\)/,
  );

  // No new rows: nothing grows, nothing is logged again.
  for (let i = 0; i < 3; i++) assert.equal(await exporter.poll(), true);
  const again = await scrape(exporter.url);
  for (const name of ['payments_total', 'payment_amount_total', 'paywatch_exporter_rows_refused_total']) {
    assert.deepEqual(
      again.filter((s) => s.name === name),
      samples.filter((s) => s.name === name),
      name,
    );
  }
  assert.equal(lines.filter((line) => /refused/.test(line)).length, 1);
  samples = again;
});

test('restart after late rows: counters resume at the same values, none goes down, none is counted twice', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_restart_late');
  const options = { databaseUrl: db.url, port: 0, pollIntervalSeconds: 3600, log: () => {} };
  const first = await startExporter('payments', options);
  await db.pool.query(`${pay('BR0001', 0)}; ${pay('BR0001', 30)}; ${pay('BR0002', 600, 80, 'failed')}`);
  assert.equal(await first.poll(), true);
  const before = (await scrape(first.url)).filter((s) => /^payment(s|_amount|_failures)_total$/.test(s.name));
  await first.stop();

  const second = await startExporter('payments', options);
  defer(() => second.stop());
  assert.equal(await second.poll(), true);
  const after = (await scrape(second.url)).filter((s) => /^payment(s|_amount|_failures)_total$/.test(s.name));
  assert.deepEqual(after, before);
  await db.pool.query(pay('BR0003', 15));
  assert.equal(await second.poll(), true);
  assertMatchesTruth(await scrape(second.url), (await groundTruth(db.pool)).payments);
});

test('/metrics is served before the totals are loaded, with source_up 0 until they are', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_serves_first');
  await db.pool.query(pay('BR0001', 0));
  // The business clock waits on a lock the test holds: the first poll (the totals) cannot finish.
  await db.pool.query(
    `CREATE OR REPLACE VIEW paywatch.clock AS SELECT now() AS now FROM (SELECT pg_advisory_xact_lock_shared(4242)) AS wait`,
  );
  const holder = await db.pool.connect();
  defer(() => holder.release());
  await holder.query('SELECT pg_advisory_lock(4242)');
  const exporter = await startExporter('payments', {
    databaseUrl: db.url,
    port: 0,
    pollIntervalSeconds: 3600,
    waitForTotals: false,
    log: () => {},
  });
  defer(() => exporter.stop());
  const before = await scrape(exporter.url);
  assert.equal(value(before, 'paywatch_exporter_source_up', {}), 0);
  assert.equal(value(before, 'payments_total', { branch: 'BR0001', channel: 'upi', status: 'success' }), undefined, 'no totals yet');

  await holder.query('SELECT pg_advisory_unlock(4242)');
  assert.equal(await exporter.poll(), true);
  const after = await scrape(exporter.url);
  assert.equal(value(after, 'paywatch_exporter_source_up', {}), 1);
  assert.equal(value(after, 'payments_total', { branch: 'BR0001', channel: 'upi', status: 'success' }), 1);
});

test('a reversal is an event of its own: payments_total stays as first reported, payment_reversals_total counts it, once, across a restart', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_reversals');
  const options = { databaseUrl: db.url, port: 0, pollIntervalSeconds: 3600, log: () => {} };
  const first = await startExporter('payments', options);
  await db.pool.query(`INSERT INTO payments (branch, channel, status, amount_inr, loan_ref, created_at, completed_at)
    VALUES ('BR0001', 'nach', 'success', 2500, 'LN-R', now() - interval '1 day 1 hour', now() - interval '1 day')`);
  assert.equal(await first.poll(), true);
  // The bank's return file, a day later, carries the original debit.
  await db.pool.query(`INSERT INTO payment_reversals (payment_id, branch, channel, reason, amount_inr, reversed_at)
    SELECT id, branch, channel, 'nach_return', amount_inr, now() FROM payments WHERE loan_ref = 'LN-R'`);
  assert.equal(await first.poll(), true);
  assert.equal(await first.poll(), true);
  let samples = await scrape(first.url);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0001', channel: 'nach', status: 'success' }), 1, 'as first reported');
  assert.equal(value(samples, 'payment_reversals_total', { branch: 'BR0001', channel: 'nach', reason: 'nach_return' }), 1);
  assert.equal(value(samples, 'payment_reversed_amount_total', { branch: 'BR0001', channel: 'nach' }), 2500);
  await first.stop();
  const second = await startExporter('payments', options);
  defer(() => second.stop());
  samples = await scrape(second.url);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0001', channel: 'nach', status: 'success' }), 1);
  assert.equal(value(samples, 'payment_reversals_total', { branch: 'BR0001', channel: 'nach', reason: 'nach_return' }), 1);
  assertMatchesTruth(samples, (await groundTruth(db.pool)).payments);
});

test('a terminal payment whose completed_at is corrected afterwards is not counted again', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_moved_completed_at');
  const exporter = await startExporter('payments', { databaseUrl: db.url, port: 0, pollIntervalSeconds: 3600, log: () => {} });
  defer(() => exporter.stop());
  await db.pool.query(
    `INSERT INTO payments (branch, channel, status, amount_inr, loan_ref, created_at) VALUES ('BR0001', 'upi', 'pending', 90, 'LN-M', now())`,
  );
  assert.equal(await exporter.poll(), true);
  await db.pool.query(`UPDATE payments SET status = 'success', completed_at = now() WHERE loan_ref = 'LN-M'`);
  assert.equal(await exporter.poll(), true);
  await db.pool.query(`UPDATE payments SET completed_at = completed_at + interval '5 minutes' WHERE loan_ref = 'LN-M'`);
  assert.equal(await exporter.poll(), true);
  assert.equal(await exporter.poll(), true);
  const samples = await scrape(exporter.url);
  assert.equal(value(samples, 'payments_total', { branch: 'BR0001', channel: 'upi', status: 'success' }), 1);
  assert.equal(value(samples, 'payment_amount_total', { branch: 'BR0001', channel: 'upi' }), 90);
});
