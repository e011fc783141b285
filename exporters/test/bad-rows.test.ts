// Rows a customer's mapping gets wrong (their tables have none of the reference schema's
// constraints): NULLs, unknown channels and statuses, timestamps far in the future or the past,
// label values with quotes, backslashes, newlines and other scripts. Each is counted as
// docs/schema.md documents or refused with one log line and a metric; the exporter never fails a
// poll on them, and its exposition stays clean under `promtool check metrics`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { requireTool } from '@paywatch/runtime';
import { startExporter } from '../src/index.ts';
import { cleanups, parseExposition, seededDatabase } from './fixtures.ts';

test('bad rows: counted as documented or refused with one log line and a metric; the exposition stays clean', async (t) => {
  const defer = cleanups(t);
  const promtool = requireTool('promtool');
  const db = await seededDatabase(defer, 'exporter_bad_rows');
  // A customer's table: no foreign keys, no CHECKs, NULLs allowed.
  await db.pool.query(`
    ALTER TABLE payments DROP CONSTRAINT payments_branch_fkey, DROP CONSTRAINT payments_channel_check,
      DROP CONSTRAINT payments_status_check, DROP CONSTRAINT payments_check, DROP CONSTRAINT payments_check1,
      DROP CONSTRAINT payments_check2, DROP CONSTRAINT payments_failure_reason_check;
    ALTER TABLE payments ALTER COLUMN branch DROP NOT NULL, ALTER COLUMN channel DROP NOT NULL, ALTER COLUMN amount_inr DROP NOT NULL;`);
  const lines: string[] = [];
  const exporter = await startExporter('payments', { databaseUrl: db.url, port: 0, pollIntervalSeconds: 3600, log: (l) => lines.push(l) });
  defer(() => exporter.stop());
  lines.length = 0;

  const weird = 'BR "Q" \\ back\nslash पुणे';
  await db.pool.query(
    `INSERT INTO payments (branch, channel, status, failure_reason, amount_inr, loan_ref, created_at, completed_at) VALUES
       (NULL, 'upi', 'success', NULL, 10, 'LN', now(), now()),                                   -- branch_missing
       ('BR0001', 'cheque', 'success', NULL, 10, 'LN', now(), now()),                            -- channel_unknown
       ('BR0001', NULL, 'success', NULL, 10, 'LN', now(), now()),                                -- channel_unknown
       ('BR0001', 'upi', 'settled', NULL, 10, 'LN', now(), now()),                               -- status_unknown
       ('BR0001', 'upi', 'success', NULL, 10, 'LN', now(), NULL),                                -- completed_at_missing
       ('BR0001', 'upi', 'success', NULL, NULL, 'LN', now(), now()),                             -- amount_invalid
       ('BR0001', 'upi', 'failed', 'bounced', 10, 'LN', now(), now()),                           -- counted: reason as given
       ('BR0001', 'upi', 'failed', NULL, 10, 'LN', now(), now()),                                -- counted: reason unknown
       ('BR0002', 'qr', 'success', NULL, 20, 'LN', now(), '3000-01-01T00:00:00Z'),               -- counted when committed
       ('BR0002', 'qr', 'success', NULL, 30, 'LN', '1970-01-01T00:00:00Z', '1970-01-01T00:00:01Z'), -- counted, very late
       ($1, 'upi', 'success', NULL, 40, 'LN', now(), now())                                      -- escaped in the exposition`,
    [weird],
  );
  assert.equal(await exporter.poll(), true);
  const text = await (await fetch(`${exporter.url}/metrics`)).text();
  const samples = parseExposition(text);
  const get = (name: string, labels: Record<string, string>) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  for (const [reason, rows] of Object.entries({
    branch_missing: 1,
    channel_unknown: 2,
    status_unknown: 1,
    completed_at_missing: 1,
    amount_invalid: 1,
  })) {
    assert.equal(get('paywatch_exporter_rows_refused_total', { view: 'payments', reason }), rows, reason);
  }
  assert.equal(lines.filter((line) => /refused/.test(line)).length, 1, lines.join('\n'));
  assert.equal(get('payment_failures_total', { branch: 'BR0001', channel: 'upi', reason: 'bounced' }), 1);
  assert.equal(get('payment_failures_total', { branch: 'BR0001', channel: 'upi', reason: 'unknown' }), 1);
  assert.equal(get('payments_total', { branch: 'BR0002', channel: 'qr', status: 'success' }), 2);
  assert.equal(get('payment_amount_total', { branch: 'BR0002', channel: 'qr' }), 50);
  assert.equal(get('payments_total', { branch: weird, channel: 'upi', status: 'success' }), 1, 'the label value round-trips');
  assert.equal(get('paywatch_exporter_row_lateness_seconds_bucket', { view: 'payments', le: '5' }), 9, 'the future is 0 s late');
  assert.equal(get('paywatch_exporter_row_lateness_seconds_bucket', { view: 'payments', le: '604800' }), 9, '1970 is later than a week');
  assert.equal(
    get('paywatch_exporter_row_lateness_seconds_count', { view: 'payments' }),
    10,
    'every row with a timestamp (refused ones too)',
  );

  const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  assert.equal(`${result.stdout}${result.stderr}`.trim(), '');

  // Polled again: nothing is counted or refused twice.
  assert.equal(await exporter.poll(), true);
  assert.equal(
    await (await fetch(`${exporter.url}/metrics`)).text().then((again) => again.split('\nprocess_')[0]),
    text.split('\nprocess_')[0],
  );
});
