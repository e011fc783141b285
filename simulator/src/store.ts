// Everything the simulator writes, as set-based SQL over arrays (one statement per kind per tick,
// whatever the volume), against the reference schema. The fake payments API uses the same
// insertPayments as the engine, so a payment looks the same whichever path wrote it.
import type pg from 'pg';
import type { Activity, ActivityRow, BranchProfile, Channel, FailureReason, Gateway, OtpStatus, RfidResult } from './model/index.ts';

type Queryable = pg.Pool | pg.PoolClient;

export interface PaymentRow {
  id: number;
  branch: string;
  channel: Channel;
  gateway: Gateway | null;
  status: 'pending' | 'success' | 'failed';
  reason: FailureReason | null;
  amountInr: number;
  loanRef: string;
  officer: string | null;
  createdAt: number;
  completedAt: number | null;
}

export interface CollectionRow {
  id: number;
  paymentId: number;
  branch: string;
  officer: string;
  loanRef: string;
  amountInr: number;
  otp: OtpStatus;
  otpAttempts: number;
  collectedAt: number;
}

export interface CompletionRow {
  id: number;
  branch: string;
  status: 'success' | 'failed';
  reason: FailureReason | null;
  completedAt: number;
}

export interface VerificationRow {
  branch: string;
  reader: string;
  result: RfidResult;
  latencyMs: number;
  verifiedAt: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** Creates the simulator's own state (its clock) and points paywatch.clock at it. */
export async function prepareSimulatorState(db: Queryable, startMs: number): Promise<number> {
  await db.query(`CREATE TABLE IF NOT EXISTS simulator_clock (
    id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    now timestamptz NOT NULL
  )`);
  const existing = await db.query<{ now: Date }>('SELECT now FROM simulator_clock');
  const stored = existing.rows[0]?.now.getTime();
  if (stored === undefined) await db.query('INSERT INTO simulator_clock (now) VALUES ($1)', [iso(startMs)]);
  await db.query('CREATE OR REPLACE VIEW paywatch.clock AS SELECT now FROM public.simulator_clock');
  return stored ?? startMs;
}

export async function setClock(db: Queryable, ms: number): Promise<void> {
  await db.query('UPDATE simulator_clock SET now = $1', [iso(ms)]);
}

export async function ensureFleet(db: Queryable, branches: BranchProfile[]): Promise<void> {
  await db.query(
    `INSERT INTO branches (code, name, region, has_rfid)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) ON CONFLICT (code) DO NOTHING`,
    [branches.map((b) => b.code), branches.map((b) => b.name), branches.map((b) => b.region), branches.map((b) => b.hasRfid)],
  );
  const officers = branches.flatMap((b) => b.officers.map((id) => [id, b.code] as const));
  await db.query(
    `INSERT INTO field_officers (id, branch, name)
     SELECT o.id, o.branch, 'Officer ' || o.id FROM unnest($1::text[], $2::text[]) AS o(id, branch) ON CONFLICT (id) DO NOTHING`,
    [officers.map((o) => o[0]), officers.map((o) => o[1])],
  );
  const readers = branches.flatMap((b) => b.readers.map((id) => [id, b.code] as const));
  await db.query(`INSERT INTO rfid_readers (id, branch) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO NOTHING`, [
    readers.map((r) => r[0]),
    readers.map((r) => r[1]),
  ]);
}

export async function ensureTargets(db: Queryable, targets: Array<{ branch: string; day: string; targetInr: number }>): Promise<void> {
  if (!targets.length) return;
  await db.query(
    `INSERT INTO branch_daily_targets (branch, day, target_inr)
     SELECT * FROM unnest($1::text[], $2::date[], $3::numeric[]) ON CONFLICT (branch, day) DO NOTHING`,
    [targets.map((t) => t.branch), targets.map((t) => t.day), targets.map((t) => t.targetInr)],
  );
}

/** Ids for rows the simulator is about to insert, so it can refer to them before they exist. */
export async function reserveIds(
  db: Queryable,
  sequence: 'payments_id_seq' | 'field_collections_id_seq',
  count: number,
): Promise<number[]> {
  if (count === 0) return [];
  const result = await db.query<{ id: number }>(`SELECT nextval('${sequence}')::float8 AS id FROM generate_series(1, $1)`, [count]);
  return result.rows.map((row) => row.id);
}

/** Inserts payments (any status) and enqueues an LMS posting for each successful one. */
export async function insertPayments(db: Queryable, rows: PaymentRow[]): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO payments (id, branch, channel, gateway, status, failure_reason, amount_inr, loan_ref, officer_id, created_at, completed_at)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[])`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.branch),
      rows.map((r) => r.channel),
      rows.map((r) => r.gateway),
      rows.map((r) => r.status),
      rows.map((r) => r.reason),
      rows.map((r) => r.amountInr),
      rows.map((r) => r.loanRef),
      rows.map((r) => r.officer),
      rows.map((r) => iso(r.createdAt)),
      rows.map((r) => isoOrNull(r.completedAt)),
    ],
  );
  const succeeded = rows.filter((r) => r.status === 'success');
  await enqueuePostings(
    db,
    succeeded.map((r) => ({ paymentId: r.id, branch: r.branch, at: r.completedAt! })),
  );
}

export async function enqueuePostings(db: Queryable, postings: Array<{ paymentId: number; branch: string; at: number }>): Promise<void> {
  if (!postings.length) return;
  await db.query(
    `INSERT INTO lms_postings (payment_id, branch, status, enqueued_at)
     SELECT p.id, p.branch, 'pending', p.at FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS p(id, branch, at)`,
    [postings.map((p) => p.paymentId), postings.map((p) => p.branch), postings.map((p) => iso(p.at))],
  );
}

/** Moves pending payments to their terminal status, enqueuing postings for the successful ones. */
export async function completePayments(db: Queryable, rows: CompletionRow[]): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `UPDATE payments p SET status = u.status, failure_reason = u.reason, completed_at = u.completed_at
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[]) AS u(id, status, reason, completed_at)
     WHERE p.id = u.id AND p.status = 'pending'`,
    [rows.map((r) => r.id), rows.map((r) => r.status), rows.map((r) => r.reason), rows.map((r) => iso(r.completedAt))],
  );
  await enqueuePostings(
    db,
    rows.filter((r) => r.status === 'success').map((r) => ({ paymentId: r.id, branch: r.branch, at: r.completedAt })),
  );
}

/**
 * The banks' return files: a share of the NACH and UPI AutoPay debits reported successful come back
 * returned the next day (T+1), as reversals of their own (the payment keeps its first-reported
 * success). Deterministic by payment id, so a restart or a replay writes the same reversals once.
 */
export async function reverseReturnedDebits(db: Queryable, from: number, to: number): Promise<void> {
  await db.query(
    `INSERT INTO payment_reversals (payment_id, branch, channel, reason, amount_inr, reversed_at)
     SELECT id, branch, channel, CASE channel WHEN 'nach' THEN 'nach_return' ELSE 'autopay_return' END, amount_inr,
            completed_at + interval '1 day'
     FROM payments
     WHERE completed_at > $1::timestamptz - interval '1 day' AND completed_at <= $2::timestamptz - interval '1 day'
       AND status = 'success' AND channel IN ('nach', 'upi_autopay') AND id % 40 = 7
     ON CONFLICT (payment_id) DO NOTHING`,
    [iso(from), iso(to)],
  );
}

export async function insertCollections(db: Queryable, rows: CollectionRow[]): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO field_collections (id, payment_id, branch, officer_id, loan_ref, amount_inr, otp_status, otp_attempts, collected_at)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::text[], $8::int[], $9::timestamptz[])`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.paymentId),
      rows.map((r) => r.branch),
      rows.map((r) => r.officer),
      rows.map((r) => r.loanRef),
      rows.map((r) => r.amountInr),
      rows.map((r) => r.otp),
      rows.map((r) => r.otpAttempts),
      rows.map((r) => iso(r.collectedAt)),
    ],
  );
}

export async function confirmCollections(db: Queryable, rows: Array<{ id: number; at: number }>): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `UPDATE field_collections f SET confirmed_at = u.at FROM unnest($1::bigint[], $2::timestamptz[]) AS u(id, at) WHERE f.id = u.id`,
    [rows.map((r) => r.id), rows.map((r) => iso(r.at))],
  );
}

export async function insertVerifications(db: Queryable, rows: VerificationRow[]): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO rfid_verifications (branch, reader_id, result, latency_ms, verified_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[])`,
    [
      rows.map((r) => r.branch),
      rows.map((r) => r.reader),
      rows.map((r) => r.result),
      rows.map((r) => r.latencyMs),
      rows.map((r) => iso(r.verifiedAt)),
    ],
  );
}

/**
 * One declared activity's events (model/activities.ts), written once answered (the simulator keeps
 * no pending ones): each of the family's labels into the column of its name, then the declared
 * reason, loan and start columns, and the answer's time into the family's counted column.
 */
export async function insertActivityRows(db: Queryable, activity: Activity, rows: ActivityRow[]): Promise<void> {
  if (!rows.length) return;
  const { outcome, columns, split } = activity;
  const written: Array<[column: string, type: 'text' | 'timestamptz', values: unknown[]]> = [
    ['branch', 'text', rows.map((r) => r.branch)],
    [split.label, 'text', rows.map((r) => r.value)],
    [outcome.label, 'text', rows.map((r) => (r.reason ? outcome.failed : outcome.success))],
  ];
  if (outcome.reasonColumn) written.push([outcome.reasonColumn, 'text', rows.map((r) => r.reason)]);
  if (columns.loan) written.push([columns.loan, 'text', rows.map((r) => r.loanRef)]);
  if (columns.started) written.push([columns.started, 'timestamptz', rows.map((r) => iso(r.createdAt))]);
  written.push([activity.family.source!.time, 'timestamptz', rows.map((r) => iso(r.completedAt))]);
  await db.query(
    `INSERT INTO ${activity.table} (${written.map(([column]) => column).join(', ')})
     SELECT * FROM unnest(${written.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`,
    written.map(([, , values]) => values),
  );
}

/** Heartbeats from every reader except the ones that are down. */
export async function readerHeartbeats(db: Queryable, at: number, downReaders: string[]): Promise<void> {
  await db.query(`UPDATE rfid_readers SET last_seen_at = $1 WHERE NOT (id = ANY($2::text[]))`, [iso(at), downReaders]);
}

/**
 * The LMS worker: posts up to `capacity` of the oldest pending postings that are at least the
 * pick-up delay old. A few receipts are rejected for good (decided by a hash of the payment, so the
 * same payment is always rejected). Returns how many it finished.
 */
export async function drainPostings(
  db: Queryable,
  options: { from: number; to: number; pickupSeconds: number; capacity: number; rejectPerMille: number },
): Promise<number> {
  if (options.capacity <= 0) return 0;
  const result = await db.query(
    `WITH next AS (
       SELECT id FROM lms_postings
       WHERE status = 'pending' AND enqueued_at <= $1::timestamptz - make_interval(secs => $3::float8)
       ORDER BY enqueued_at, id LIMIT $4
     ), decided AS (
       SELECT p.id, abs(hashint8(p.payment_id)) % 1000 < $5 AS rejected, p.enqueued_at
       FROM lms_postings p JOIN next USING (id)
     )
     UPDATE lms_postings p SET
       status = CASE WHEN d.rejected THEN 'failed' ELSE 'posted' END,
       attempts = p.attempts + CASE WHEN d.rejected THEN 3 ELSE 1 END,
       last_error = CASE WHEN d.rejected THEN 'LMS rejected the receipt: loan account closed' END,
       finished_at = LEAST($1::timestamptz, GREATEST(d.enqueued_at, $2::timestamptz) + make_interval(secs => $3::float8))
     FROM decided d WHERE p.id = d.id`,
    [iso(options.to), iso(options.from), options.pickupSeconds, Math.floor(options.capacity), options.rejectPerMille],
  );
  return result.rowCount ?? 0;
}

export async function openReconciliations(
  db: Queryable,
  rows: Array<{ branch: string; day: string; expectedInr: number; dueAt: number; createdAt: number }>,
): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO reconciliations (branch, business_date, status, expected_inr, due_at, created_at)
     SELECT r.branch, r.day, 'pending', r.expected, r.due, r.created
     FROM unnest($1::text[], $2::date[], $3::numeric[], $4::timestamptz[], $5::timestamptz[]) AS r(branch, day, expected, due, created)
     ON CONFLICT (branch, business_date) DO NOTHING`,
    [
      rows.map((r) => r.branch),
      rows.map((r) => r.day),
      rows.map((r) => r.expectedInr),
      rows.map((r) => iso(r.dueAt)),
      rows.map((r) => iso(r.createdAt)),
    ],
  );
}

/** Settles pending reconciliations: matched (resolved) or exception (open until resolved). */
export async function settleReconciliations(
  db: Queryable,
  rows: Array<{ branch: string; day: string; outcome: 'matched' | 'exception'; shortfallInr: number; at: number }>,
): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `UPDATE reconciliations r SET status = u.outcome, counted_inr = r.expected_inr - u.shortfall,
            resolved_at = CASE WHEN u.outcome = 'matched' THEN u.at END
     FROM unnest($1::text[], $2::date[], $3::text[], $4::numeric[], $5::timestamptz[]) AS u(branch, day, outcome, shortfall, at)
     WHERE r.branch = u.branch AND r.business_date = u.day AND r.status = 'pending'`,
    [
      rows.map((r) => r.branch),
      rows.map((r) => r.day),
      rows.map((r) => r.outcome),
      rows.map((r) => r.shortfallInr),
      rows.map((r) => iso(r.at)),
    ],
  );
}

export async function resolveExceptions(db: Queryable, rows: Array<{ branch: string; day: string; at: number }>): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `UPDATE reconciliations r SET resolved_at = u.at
     FROM unnest($1::text[], $2::date[], $3::timestamptz[]) AS u(branch, day, at)
     WHERE r.branch = u.branch AND r.business_date = u.day AND r.status = 'exception' AND r.resolved_at IS NULL`,
    [rows.map((r) => r.branch), rows.map((r) => r.day), rows.map((r) => iso(r.at))],
  );
}
