// Test fixtures for the exporters: a small but varied business written with plain SQL into the
// reference tables, the exposition parsed back into samples, and ground truth computed from the
// raw tables with SQL that shares nothing with the exporters' queries.
import assert from 'node:assert/strict';
import type pg from 'pg';
import { createTestDatabase } from '@paywatch/testing';

export const IST_TODAY = `(now() AT TIME ZONE 'Asia/Kolkata')::date`;
export const IST_TODAY_START = `((now() AT TIME ZONE 'Asia/Kolkata')::date::timestamp AT TIME ZONE 'Asia/Kolkata')`;

/** Branches, officers, readers and targets. */
export async function seedReferenceData(db: pg.Pool): Promise<void> {
  await db.query(`
    INSERT INTO branches (code, name, region, has_rfid) VALUES
      ('BR0001', 'Pune Camp', 'west', true), ('BR0002', 'Nashik Road', 'west', false), ('BR0003', 'Madurai "Central"', 'south', true);
    INSERT INTO field_officers (id, branch, name) VALUES
      ('BR0001-FO01', 'BR0001', 'A'), ('BR0001-FO02', 'BR0001', 'B'), ('BR0002-FO01', 'BR0002', 'C'),
      ('BR0002-FO02', 'BR0002', 'D'), ('BR0003-FO01', 'BR0003', 'E');
    INSERT INTO rfid_readers (id, branch, last_seen_at) VALUES
      ('BR0001-R1', 'BR0001', now()), ('BR0001-R2', 'BR0001', now() - interval '1 hour'), ('BR0003-R1', 'BR0003', now() - interval '10 seconds');
    INSERT INTO branch_daily_targets (branch, day, target_inr)
      SELECT code, ${IST_TODAY} + d, 100000 + 1000 * d + row_number() OVER (ORDER BY code)
      FROM branches, generate_series(-1, 1) AS d;
  `);
}

/**
 * A batch of business activity, timestamped `ageSeconds` in the past (so a safety lag shorter
 * than that sees it; 0 for rows that must be newer than an exporter's watermark). `seed` varies
 * the mix between batches. `yesterday` adds payments completed yesterday (IST).
 */
export async function addActivity(db: pg.Pool, seed: number, { ageSeconds = 30, yesterday = false } = {}): Promise<void> {
  await db.query(
    `
    WITH spec AS (
      SELECT i,
             (ARRAY['BR0001','BR0002','BR0003'])[1 + (i + $1) % 3] AS branch,
             (ARRAY['cash','upi','upi_autopay','qr','bbps','nach','card','netbanking'])[1 + (i * 7 + $1) % 8] AS channel,
             (i + $1) % 5 AS kind,
             -- processing times spread over every bucket, some exactly on a bound
             (ARRAY[0.2, 0.5, 1.5, 3, 4, 9, 30, 45, 200, 3000, 50000, 90000])[1 + (i * 5 + $1) % 12] AS seconds
      FROM generate_series(1, 60) AS i
    )
    INSERT INTO payments (branch, channel, gateway, status, failure_reason, amount_inr, loan_ref, created_at, completed_at)
    SELECT branch, channel,
           CASE WHEN channel IN ('card', 'netbanking') THEN (ARRAY['gateway_a','gateway_b'])[1 + i % 2] END,
           CASE kind WHEN 0 THEN 'failed' WHEN 1 THEN 'pending' ELSE 'success' END,
           CASE kind WHEN 0 THEN (ARRAY['insufficient_funds','mandate_error','gateway_timeout','declined','otp_failed','technical_error','cancelled'])[1 + (i + $1) % 7] END,
           round((100 + i * 37.13 + $1)::numeric, 2), 'LN' || i,
           now() - make_interval(secs => $2 + seconds), CASE WHEN kind <> 1 THEN now() - make_interval(secs => $2) END
    FROM spec`,
    [seed, ageSeconds],
  );
  // A few payments completed yesterday (IST): counted, but not in today's collections.
  if (yesterday)
    await db.query(
      `INSERT INTO payments (branch, channel, status, amount_inr, loan_ref, created_at, completed_at)
     SELECT 'BR000' || (1 + (i + $1) % 3), 'upi', 'success', 1000 + i, 'LNY' || i,
            ${IST_TODAY_START} - interval '2 hours', ${IST_TODAY_START} - interval '1 hour'
     FROM generate_series(1, 3) AS i`,
      [seed],
    );
  // Mandate registrations by both channels: answered (success / failed) and still pending.
  await db.query(
    `INSERT INTO mandate_registrations (branch, channel, status, failure_reason, loan_ref, created_at, completed_at)
     SELECT 'BR000' || (1 + (i + $1) % 3), (ARRAY['upi_autopay','nach'])[1 + i % 2], s.status,
            CASE WHEN s.status = 'failed' THEN (ARRAY['rejected_by_bank','invalid_details','customer_abandoned','technical_error'])[1 + i % 4] END,
            'LNM' || i, now() - make_interval(secs => $2 + 600),
            CASE WHEN s.status <> 'pending' THEN now() - make_interval(secs => $2) END
     FROM generate_series(1, 12) AS i
     CROSS JOIN LATERAL (SELECT (ARRAY['success','success','failed','pending'])[1 + (i + $1) % 4] AS status) s`,
    [seed, ageSeconds],
  );
  await db.query(
    `INSERT INTO field_collections (branch, officer_id, loan_ref, amount_inr, otp_status, collected_at, confirmed_at)
     SELECT o.branch, o.id, 'LNF' || i, round((500 + i * 11.11 + $1)::numeric, 2),
            (ARRAY['verified','verified','failed','expired'])[1 + (i + $1) % 4],
            now() - make_interval(secs => $2 + i * 0.001),
            CASE WHEN (i + $1) % 3 = 0 THEN now() END
     FROM field_officers o, generate_series(1, 1 + ($1 % 4)) AS i
     WHERE o.id <> 'BR0003-FO01' OR $1 % 2 = 0`,
    [seed, ageSeconds],
  );
  await db.query(
    `INSERT INTO lms_postings (payment_id, branch, status, attempts, enqueued_at, finished_at)
     SELECT p.id, p.branch, s.status, 1, now() - make_interval(secs => $2 + 60 + p.id % 50),
            CASE WHEN s.status <> 'pending' THEN now() - make_interval(secs => $2) END
     FROM payments p
     CROSS JOIN LATERAL (SELECT (ARRAY['posted','posted','failed','pending'])[1 + (p.id + $1) % 4] AS status) s
     WHERE p.status = 'success' AND NOT EXISTS (SELECT 1 FROM lms_postings l WHERE l.payment_id = p.id)`,
    [seed, ageSeconds],
  );
  await db.query(
    `INSERT INTO rfid_verifications (branch, reader_id, result, latency_ms, verified_at)
     SELECT r.branch, r.id, (ARRAY['success','success','success','denied','error'])[1 + (i + $1) % 5],
            (ARRAY[20, 50, 120, 200, 300, 450, 800, 1000, 1500, 4000, 7000])[1 + (i * 3 + $1) % 11],
            now() - make_interval(secs => $2 + i * 0.001)
     FROM rfid_readers r, generate_series(1, 7) AS i`,
    [seed, ageSeconds],
  );
  await db.query(
    `INSERT INTO reconciliations (branch, business_date, status, expected_inr, counted_inr, due_at, resolved_at)
     SELECT b.code, ${IST_TODAY} - (10 * $1 + d),
            (ARRAY['pending','matched','exception','exception','pending'])[1 + (d + $1) % 5],
            10000, 9990, now() + make_interval(hours => 3 - d),
            CASE WHEN (d + $1) % 5 = 1 OR ((d + $1) % 5 = 3) THEN now() END
     FROM branches b, generate_series(1, 6) AS d
     ON CONFLICT DO NOTHING`,
    [seed],
  );
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition into samples (enough of the format for our own output). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
    let m: RegExpExecArray | null;
    while ((m = labelPattern.exec(body))) labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const raw = match[3]!;
    samples.push({ name: match[1]!, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return samples;
}

export async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  return parseExposition(await response.text());
}

function key(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Asserts that the samples called `name` equal the expected rows (labels + value). Series the
 * exporter keeps at 0 after they emptied (gauges) may be absent from the ground truth.
 */
export function assertFamily(
  samples: Sample[],
  name: string,
  expected: Array<{ labels: Record<string, string>; value: number }>,
  tolerance = 0,
): void {
  const actual = new Map(samples.filter((s) => s.name === name).map((s) => [key(s.labels), s.value]));
  const wanted = new Map(expected.map((e) => [key(e.labels), e.value]));
  for (const [k, value] of wanted) {
    const got = actual.get(k);
    assert.ok(got !== undefined, `${name}${k}: expected ${value}, the exporter has no such series`);
    if (tolerance)
      assert.ok(Math.abs(got - value) <= tolerance * Math.max(1, Math.abs(value)), `${name}${k}: expected ${value}, got ${got}`);
    else assert.equal(got, value, `${name}${k}`);
  }
  for (const [k, value] of actual) {
    if (!wanted.has(k)) assert.equal(value, 0, `${name}${k}: exporter has ${value}, the database has no such rows`);
  }
}

/** Rows of (label columns..., value) from SQL into expected series. */
export async function truth(
  db: pg.Pool,
  sql: string,
  labelNames: string[],
  params: unknown[] = [],
): Promise<Array<{ labels: Record<string, string>; value: number }>> {
  const result = await db.query(sql, params);
  return result.rows.map((row) => ({
    labels: Object.fromEntries(labelNames.map((name) => [name, String(row[name])])),
    value: Number(row.value),
  }));
}

const PROCESSING_BOUNDS = [0.5, 1, 2, 3, 5, 10, 30, 60, 300, 3600, 86400];
const RFID_BOUNDS = [0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5];

/** Histogram ground truth: one series per bucket (cumulative), _sum and _count. */
async function histogramTruth(
  db: pg.Pool,
  name: string,
  table: string,
  labelColumn: string,
  labelName: string,
  valueExpr: string,
  where: string,
  bounds: number[],
) {
  const buckets: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const le of [...bounds.map(String), '+Inf']) {
    const condition = le === '+Inf' ? 'true' : `${valueExpr} <= ${le}`;
    for (const row of await truth(
      db,
      `SELECT ${labelColumn} AS ${labelName}, count(*) FILTER (WHERE ${condition}) AS value FROM ${table} WHERE ${where} GROUP BY 1`,
      [labelName],
    )) {
      buckets.push({ labels: { ...row.labels, le }, value: row.value });
    }
  }
  return {
    [`${name}_bucket`]: buckets,
    [`${name}_sum`]: await truth(
      db,
      `SELECT ${labelColumn} AS ${labelName}, sum(${valueExpr}) AS value FROM ${table} WHERE ${where} GROUP BY 1`,
      [labelName],
    ),
    [`${name}_count`]: await truth(db, `SELECT ${labelColumn} AS ${labelName}, count(*) AS value FROM ${table} WHERE ${where} GROUP BY 1`, [
      labelName,
    ]),
  };
}

/** Ground truth for every database-derived family, from the raw public tables. */
export async function groundTruth(db: pg.Pool) {
  return {
    payments: {
      payments_total: await truth(
        db,
        `SELECT branch, channel, status, count(*) AS value FROM payments WHERE status <> 'pending' GROUP BY 1, 2, 3`,
        ['branch', 'channel', 'status'],
      ),
      payment_amount_total: await truth(
        db,
        `SELECT branch, channel, sum(amount_inr) AS value FROM payments WHERE status = 'success' GROUP BY 1, 2`,
        ['branch', 'channel'],
      ),
      payment_failures_total: await truth(
        db,
        `SELECT branch, channel, failure_reason AS reason, count(*) AS value FROM payments WHERE status = 'failed' GROUP BY 1, 2, 3`,
        ['branch', 'channel', 'reason'],
      ),
      ...(await histogramTruth(
        db,
        'payment_processing_seconds',
        'payments',
        'channel',
        'channel',
        'extract(epoch FROM completed_at - created_at)',
        `status <> 'pending'`,
        PROCESSING_BOUNDS,
      )),
      payment_reversals_total: await truth(
        db,
        `SELECT branch, channel, reason, count(*) AS value FROM payment_reversals GROUP BY 1, 2, 3`,
        ['branch', 'channel', 'reason'],
      ),
      payment_reversed_amount_total: await truth(
        db,
        `SELECT branch, channel, sum(amount_inr) AS value FROM payment_reversals GROUP BY 1, 2`,
        ['branch', 'channel'],
      ),
      payments_pending: await truth(db, `SELECT branch, channel, count(*) AS value FROM payments WHERE status = 'pending' GROUP BY 1, 2`, [
        'branch',
        'channel',
      ]),
      field_collections_total: await truth(
        db,
        `SELECT branch, officer_id AS officer, otp_status AS otp, count(*) AS value FROM field_collections GROUP BY 1, 2, 3`,
        ['branch', 'officer', 'otp'],
      ),
      field_collection_amount_total: await truth(
        db,
        `SELECT branch, officer_id AS officer, sum(amount_inr) AS value FROM field_collections WHERE otp_status = 'verified' GROUP BY 1, 2`,
        ['branch', 'officer'],
      ),
      field_collections_unconfirmed: await truth(
        db,
        `SELECT branch, officer_id AS officer, count(*) AS value FROM field_collections WHERE otp_status = 'verified' AND confirmed_at IS NULL GROUP BY 1, 2`,
        ['branch', 'officer'],
      ),
      reconciliation_pending: await truth(db, `SELECT branch, count(*) AS value FROM reconciliations WHERE status = 'pending' GROUP BY 1`, [
        'branch',
      ]),
      reconciliation_overdue: await truth(
        db,
        `SELECT branch, count(*) AS value FROM reconciliations WHERE status = 'pending' AND due_at < now() GROUP BY 1`,
        ['branch'],
      ),
      reconciliation_exceptions_open: await truth(
        db,
        `SELECT branch, count(*) AS value FROM reconciliations WHERE status = 'exception' AND resolved_at IS NULL GROUP BY 1`,
        ['branch'],
      ),
      mandate_registrations_total: await truth(
        db,
        `SELECT branch, channel, status, count(*) AS value FROM mandate_registrations WHERE status <> 'pending' GROUP BY 1, 2, 3`,
        ['branch', 'channel', 'status'],
      ),
      branch_collected_today_inr: await truth(
        db,
        `SELECT branch, sum(amount_inr) AS value FROM payments WHERE status = 'success' AND (completed_at AT TIME ZONE 'Asia/Kolkata')::date = ${IST_TODAY} GROUP BY 1`,
        ['branch'],
      ),
      branch_daily_target_inr: await truth(db, `SELECT branch, target_inr AS value FROM branch_daily_targets WHERE day = ${IST_TODAY}`, [
        'branch',
      ]),
    },
    lms: {
      lms_posting_queue_depth: await truth(db, `SELECT count(*) AS value FROM lms_postings WHERE status = 'pending'`, []),
      lms_posting_queue_depth_by_branch: await truth(
        db,
        `SELECT branch, count(*) AS value FROM lms_postings WHERE status = 'pending' GROUP BY 1`,
        ['branch'],
      ),
      lms_postings_total: await truth(
        db,
        `SELECT branch, status AS outcome, count(*) AS value FROM lms_postings WHERE status <> 'pending' GROUP BY 1, 2`,
        ['branch', 'outcome'],
      ),
    },
    rfid: {
      rfid_verifications_total: await truth(db, `SELECT branch, result, count(*) AS value FROM rfid_verifications GROUP BY 1, 2`, [
        'branch',
        'result',
      ]),
      ...(await histogramTruth(
        db,
        'rfid_verification_duration_seconds',
        'rfid_verifications',
        'branch',
        'branch',
        'latency_ms / 1000.0',
        'true',
        RFID_BOUNDS,
      )),
      rfid_reader_up: await truth(
        db,
        `SELECT branch, id AS reader, (last_seen_at > now() - interval '120 seconds')::int AS value FROM rfid_readers`,
        ['branch', 'reader'],
      ),
      rfid_readers: await truth(db, `SELECT branch, count(*) AS value FROM rfid_readers GROUP BY 1`, ['branch']),
    },
  };
}

export type GroundTruth = Awaited<ReturnType<typeof groundTruth>>;

/** Float families (sums of seconds) are compared with a relative tolerance; the rest exactly. */
export function assertMatchesTruth(
  samples: Sample[],
  expected: Record<string, Array<{ labels: Record<string, string>; value: number }>>,
): void {
  for (const [name, rows] of Object.entries(expected)) {
    assertFamily(samples, name, rows, name.endsWith('_sum') ? 1e-9 : 0);
  }
}

/**
 * Cleanups run last-registered first (node:test runs t.after hooks in registration order, which
 * would drop the database before the exporters and writers using it have stopped).
 */
export function cleanups(t: { after(fn: () => unknown): void }): (fn: () => unknown) => void {
  const stack: Array<() => unknown> = [];
  t.after(async () => {
    for (const fn of stack.reverse()) await fn();
  });
  return (fn) => void stack.push(fn);
}

/** A fresh migrated database per test (its pool already survives backends the server terminates). */
export const testDatabase = createTestDatabase;

/** A fresh migrated database with the reference data, dropped when the test's cleanups run. */
export async function seededDatabase(defer: (fn: () => unknown) => void, name: string) {
  const db = await testDatabase(name);
  defer(() => db.drop());
  await seedReferenceData(db.pool);
  return db;
}
