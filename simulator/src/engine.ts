// The business as it happens: simulated time is cut into fixed 10-second slots, and each slot's
// activity is drawn from a random stream keyed by (seed, slot), so what happens does not depend on
// how often the engine runs or how far behind it is — only on the seed, the fleet and the
// scenarios. Everything a run of slots produces is written in one transaction, set-based.
import type pg from 'pg';
import {
  CHANNELS,
  DAY_MS,
  GATEWAY_CHANNELS,
  GATEWAY_SHARES,
  HEARTBEAT_SECONDS,
  LMS_PICKUP_SECONDS,
  LMS_REJECT_PROBABILITY,
  Rng,
  SCHEDULED_CHANNELS,
  confirmationTime,
  dailyTargetInr,
  expectedAttemptsPerHour,
  istDate,
  istDayNumber,
  istDayStart,
  lmsDrainPerSecond,
  loanRef,
  loansPerBranch,
  ACTIVITIES,
  eventsPerHour,
  mandateAnsweredBy,
  officerWeight,
  otpGiveUpSeconds,
  reconciliationPlan,
  sampleAmountInr,
  sampleOtp,
  sampleOutcome,
  sampleEvent,
  sampleProcessingSeconds,
  sampleVerification,
  splitValues,
  verificationsPerHour,
  type Activity,
  type ActivityRow,
  type BranchProfile,
  type Channel,
  type FailureReason,
} from './model/index.ts';
import { LATE_WEBHOOK_MS, type Scenarios } from './scenarios.ts';
import { Schedule } from './schedule.ts';
import * as store from './store.ts';

export const SLOT_MS = 10_000;
/** Most slots written in one transaction, so catching up after a pause stays in bounded batches. */
const MAX_SLOTS_PER_BATCH = 360;

type Due =
  | { kind: 'complete'; payment: store.PaymentRow; status: 'success' | 'failed'; reason: FailureReason | null }
  | { kind: 'confirm'; collection: store.CollectionRow; payment: store.PaymentRow }
  | { kind: 'recon-open'; branch: string; dayMs: number }
  | { kind: 'recon-settle'; branch: string; dayMs: number; outcome: 'matched' | 'exception'; shortfallInr: number }
  | { kind: 'recon-resolve'; branch: string; dayMs: number }
  | { kind: 'activity'; activity: Activity; row: ActivityRow };

/** Sends some of a batch's self-service payments through the real HTTP API; returns their ids (null: write directly). */
export type PaymentRouter = (payments: store.PaymentRow[]) => Promise<Array<number | null>>;

export interface EngineOptions {
  pool: pg.Pool;
  seed: number;
  branches: BranchProfile[];
  perBranchPerDay: number;
  scenarios: Scenarios;
  log: (line: string) => void;
}

export interface BatchStats {
  slots: number;
  payments: number;
  completions: number;
  collections: number;
  verifications: number;
  postingsDrained: number;
  ms: number;
}

export interface EngineTotals {
  payments: number;
  collections: number;
  verifications: number;
  postingsDrained: number;
  batches: number;
  /** Wall-clock ms spent writing. */
  writeMs: number;
}

interface Batch {
  from: number;
  to: number;
  payments: store.PaymentRow[];
  collections: store.CollectionRow[];
  /** The cash payment of each collection, same order. */
  cashPayments: store.PaymentRow[];
  completions: store.CompletionRow[];
  confirmations: Array<{ id: number; at: number }>;
  verifications: store.VerificationRow[];
  /** Rows of each declared activity (model/activities.ts), answered within the batch. */
  activities: Map<Activity, ActivityRow[]>;
  opens: Array<{ branch: string; day: string; expectedInr: number; dueAt: number; createdAt: number; dayMs: number }>;
  settles: Array<{ branch: string; day: string; outcome: 'matched' | 'exception'; shortfallInr: number; at: number }>;
  resolves: Array<{ branch: string; day: string; at: number }>;
  targets: Array<{ branch: string; day: string; targetInr: number }>;
}

export class Engine {
  /** Simulated time up to which everything has been written (a slot boundary). */
  now = 0;
  readonly totals: EngineTotals = { payments: 0, collections: 0, verifications: 0, postingsDrained: 0, batches: 0, writeMs: 0 };
  router?: PaymentRouter;
  /** How many payments the router may take in the next batch. */
  routeBudget = 0;

  private readonly due = new Schedule<Due>();
  private readonly officerPicks: Array<Array<readonly [string, number]>>;
  private readonly loans: number[];
  private drainCarry = 0;
  private readonly drainPerSecond: number;
  private cashByDay = new Map<number, Map<string, number>>();
  private readonly eventual = new WeakMap<store.PaymentRow, { status: 'success' | 'failed'; reason: FailureReason | null; at: number }>();

  constructor(private readonly options: EngineOptions) {
    this.officerPicks = options.branches.map((b) => b.officers.map((o) => [o, officerWeight(options.seed, o)] as const));
    this.loans = options.branches.map((b) => loansPerBranch(options.perBranchPerDay, b.size));
    this.drainPerSecond = lmsDrainPerSecond(options.branches.length);
  }

  /** Writes the fleet and today's targets, and picks up work a previous run left pending. */
  async init(startMs: number): Promise<void> {
    const { pool, branches } = this.options;
    this.now = Math.floor(startMs / SLOT_MS) * SLOT_MS;
    await store.ensureFleet(pool, branches);
    const batch = this.emptyBatch(this.now, this.now);
    this.newDay(istDayStart(this.now), batch, true);
    await store.ensureTargets(pool, batch.targets);
    await this.resume();
    await store.setClock(pool, this.now);
  }

  private emptyBatch(from: number, to: number): Batch {
    return {
      from,
      to,
      payments: [],
      collections: [],
      cashPayments: [],
      completions: [],
      confirmations: [],
      verifications: [],
      activities: new Map(ACTIVITIES.map((a) => [a, []])),
      opens: [],
      settles: [],
      resolves: [],
      targets: [],
    };
  }

  /** Targets for the day and the next, and the day's reconciliations. */
  private newDay(dayMs: number, batch: Batch, starting = false): void {
    const { seed, branches, perBranchPerDay } = this.options;
    for (const day of [dayMs, dayMs + DAY_MS]) {
      for (const branch of branches)
        batch.targets.push({ branch: branch.code, day: istDate(day), targetInr: dailyTargetInr(seed, branch, day, perBranchPerDay) });
    }
    const dayNumber = istDayNumber(dayMs);
    for (const branch of branches) {
      const plan = reconciliationPlan(seed, branch.code, dayNumber, dayMs);
      if (starting && plan.createdAt < this.now) continue;
      this.due.push(plan.createdAt, { kind: 'recon-open', branch: branch.code, dayMs });
      this.due.push(plan.settledAt, {
        kind: 'recon-settle',
        branch: branch.code,
        dayMs,
        outcome: plan.outcome,
        shortfallInr: plan.shortfallInr,
      });
      if (plan.outcome === 'exception') this.due.push(plan.resolvedAt, { kind: 'recon-resolve', branch: branch.code, dayMs });
    }
  }

  /** Reschedules what a previous run left unfinished (pending payments, unconfirmed cash, open reconciliations). */
  private async resume(): Promise<void> {
    const { pool, seed } = this.options;
    const rng = Rng.of(seed, 'resume', this.now);
    const soon = () => this.now + SLOT_MS + rng.next() * 10 * 60_000;
    const pending = await pool.query<{ id: number; branch: string; channel: Channel; created_at: Date }>(
      `SELECT id, branch, channel, created_at FROM payments WHERE status = 'pending' AND channel <> 'cash'`,
    );
    for (const row of pending.rows) {
      const payment = { id: row.id, branch: row.branch } as store.PaymentRow;
      this.due.push(soon(), { kind: 'complete', payment, status: 'success', reason: null });
    }
    const unconfirmed = await pool.query<{ id: number; payment_id: number; branch: string; collected_at: Date }>(
      `SELECT id, payment_id, branch, collected_at FROM field_collections WHERE otp_status = 'verified' AND confirmed_at IS NULL AND payment_id IS NOT NULL`,
    );
    for (const row of unconfirmed.rows) {
      const at = Math.max(confirmationTime(rng, row.collected_at.getTime()), soon());
      this.due.push(at, {
        kind: 'confirm',
        collection: { id: row.id } as store.CollectionRow,
        payment: { id: row.payment_id, branch: row.branch } as store.PaymentRow,
      });
    }
    const open = await pool.query<{ branch: string; day: string; status: string }>(
      `SELECT branch, business_date::text AS day, status FROM reconciliations WHERE resolved_at IS NULL`,
    );
    for (const row of open.rows) {
      const dayMs = istDayStart(Date.parse(`${row.day}T12:00:00+05:30`));
      const plan = reconciliationPlan(seed, row.branch, istDayNumber(dayMs), dayMs);
      if (row.status === 'pending') {
        this.due.push(Math.max(plan.settledAt, soon()), {
          kind: 'recon-settle',
          branch: row.branch,
          dayMs,
          outcome: plan.outcome,
          shortfallInr: plan.shortfallInr,
        });
      }
      if (plan.outcome === 'exception' || row.status === 'exception')
        this.due.push(Math.max(plan.resolvedAt, soon()), { kind: 'recon-resolve', branch: row.branch, dayMs });
    }
    if (pending.rowCount || unconfirmed.rowCount || open.rowCount) {
      this.options.log(
        `resumed ${pending.rowCount} pending payments, ${unconfirmed.rowCount} unconfirmed collections, ${open.rowCount} open reconciliations`,
      );
    }
  }

  /** What a payment written pending will end as (for the API to report its gateway call). */
  eventualOutcome(payment: store.PaymentRow): { status: 'success' | 'failed'; reason: FailureReason | null; at: number } | undefined {
    return this.eventual.get(payment);
  }

  /** Finishes a payment someone else wrote pending (the API, for a payment created by hand). */
  schedule(payment: store.PaymentRow, status: 'success' | 'failed', reason: FailureReason | null, at: number): void {
    this.due.push(Math.max(at, this.now), { kind: 'complete', payment, status, reason });
  }

  /** Simulates and writes every complete slot up to `target`; returns what it wrote. */
  async advanceTo(target: number): Promise<BatchStats | null> {
    const end = Math.floor(target / SLOT_MS) * SLOT_MS;
    let last: BatchStats | null = null;
    while (this.now < end) {
      const to = Math.min(end, this.now + MAX_SLOTS_PER_BATCH * SLOT_MS);
      last = await this.runBatch(this.now, to);
    }
    return last;
  }

  private async runBatch(from: number, to: number): Promise<BatchStats> {
    const started = performance.now();
    const batch = this.emptyBatch(from, to);
    for (let slot = from; slot < to; slot += SLOT_MS) {
      if (slot === istDayStart(slot)) this.newDay(slot, batch);
      this.generateSlot(slot, to, batch);
    }
    await this.assignIds(batch);
    this.collectDue(batch);
    const drained = await this.write(batch);
    this.now = to;
    const stats: BatchStats = {
      slots: (to - from) / SLOT_MS,
      payments: batch.payments.length,
      completions: batch.completions.length,
      collections: batch.collections.length,
      verifications: batch.verifications.length,
      postingsDrained: drained,
      ms: performance.now() - started,
    };
    this.totals.payments += stats.payments;
    this.totals.collections += stats.collections;
    this.totals.verifications += stats.verifications;
    this.totals.postingsDrained += drained;
    this.totals.batches++;
    this.totals.writeMs += stats.ms;
    return stats;
  }

  /** Draws one slot's activity. Rows that finish before the batch ends are written finished. */
  private generateSlot(slot: number, batchEnd: number, batch: Batch): void {
    const { seed, branches, perBranchPerDay, scenarios } = this.options;
    const rng = Rng.of(seed, 'slot', slot / SLOT_MS);
    const conditions = scenarios.paymentConditions(slot);
    const engineDown = scenarios.engineDown(slot);
    const hours = SLOT_MS / 3_600_000;
    for (let b = 0; b < branches.length; b++) {
      const branch = branches[b]!;
      for (const channel of CHANNELS) {
        const expected = expectedAttemptsPerHour(channel, slot, branch.size, perBranchPerDay) * hours;
        const count = rng.poisson(expected);
        if (count === 0 || (engineDown && !SCHEDULED_CHANNELS.has(channel))) continue;
        for (let i = 0; i < count; i++) {
          const createdAt = Math.floor(slot + rng.next() * SLOT_MS);
          const amountInr = sampleAmountInr(rng, channel);
          const loan = loanRef(branch.code, rng.int(this.loans[b]!));
          if (channel === 'cash') this.cash(rng, b, loan, amountInr, createdAt, batchEnd, batch);
          else this.payment(rng, branch.code, channel, loan, amountInr, createdAt, batchEnd, batch, conditions);
        }
      }
      if (!engineDown) this.activities(seed, slot, b, batch);
      if (branch.hasRfid && !engineDown) {
        const count = rng.poisson(verificationsPerHour(slot, branch.size) * hours);
        for (let i = 0; i < count; i++) {
          const reader = branch.readers[rng.int(branch.readers.length)]!;
          const verifiedAt = Math.floor(slot + rng.next() * SLOT_MS);
          const { result, latencyMs } = sampleVerification(rng, scenarios.readerDown(reader, verifiedAt));
          batch.verifications.push({ branch: branch.code, reader, result, latencyMs, verifiedAt });
        }
      }
    }
  }

  private payment(
    rng: Rng,
    branch: string,
    channel: Channel,
    loan: string,
    amountInr: number,
    createdAt: number,
    batchEnd: number,
    batch: Batch,
    conditions: ReturnType<Scenarios['paymentConditions']>,
  ): void {
    const gateway = GATEWAY_CHANNELS.has(channel) ? rng.pick(GATEWAY_SHARES) : null;
    const reason = sampleOutcome(rng, channel, gateway, conditions);
    let completedAt = createdAt + Math.round(sampleProcessingSeconds(rng, channel, reason) * 1000);
    if (SCHEDULED_CHANNELS.has(channel))
      completedAt = Math.max(createdAt + 60_000, Math.min(completedAt, mandateAnsweredBy(createdAt) - Math.floor(rng.next() * 600_000)));
    const status = reason ? 'failed' : 'success';
    const row: store.PaymentRow = {
      id: 0,
      branch,
      channel,
      gateway,
      status: 'pending',
      reason: null,
      amountInr,
      loanRef: loan,
      officer: null,
      createdAt,
      completedAt: null,
    };
    if (completedAt < batchEnd) {
      row.status = status;
      row.reason = reason;
      row.completedAt = completedAt;
    } else {
      this.due.push(completedAt, { kind: 'complete', payment: row, status, reason });
      this.eventual.set(row, { status, reason, at: completedAt });
    }
    batch.payments.push(row);
  }

  /**
   * The declared activities' events started at the branch in this slot (model/activities.ts, e.g.
   * mandate registrations), written when answered. Each activity has its own random stream, so
   * adding one leaves every payment and every other activity of a seed as it was; events still
   * unanswered when the simulator stops are not resumed (none is written).
   */
  private activities(seed: number, slot: number, b: number, batch: Batch): void {
    const branch = this.options.branches[b]!;
    for (const activity of ACTIVITIES) {
      const rng = Rng.of(seed, activity.stream, slot / SLOT_MS, b);
      const rows = batch.activities.get(activity)!;
      for (const value of splitValues(activity)) {
        const count = rng.poisson(eventsPerHour(activity, value, slot, branch.size) * (SLOT_MS / 3_600_000));
        for (let i = 0; i < count; i++) {
          const createdAt = Math.floor(slot + rng.next() * SLOT_MS);
          const { reason, answerSeconds } = sampleEvent(rng, activity, value);
          const completedAt = createdAt + Math.round(answerSeconds * 1000);
          const row: ActivityRow = {
            branch: branch.code,
            value,
            reason,
            loanRef: loanRef(branch.code, rng.int(this.loans[b]!)),
            createdAt,
            completedAt,
          };
          if (completedAt < batch.to) rows.push(row);
          else this.due.push(completedAt, { kind: 'activity', activity, row });
        }
      }
    }
  }

  /** An officer collects cash: OTP verified → pending until the branch confirms; else failed. */
  private cash(rng: Rng, b: number, loan: string, amountInr: number, collectedAt: number, batchEnd: number, batch: Batch): void {
    const branch = this.options.branches[b]!.code;
    const officer = rng.pick(this.officerPicks[b]!);
    const otp = sampleOtp(rng);
    const payment: store.PaymentRow = {
      id: 0,
      branch,
      channel: 'cash',
      gateway: null,
      status: 'pending',
      reason: null,
      amountInr,
      loanRef: loan,
      officer,
      createdAt: collectedAt,
      completedAt: null,
    };
    const collection: store.CollectionRow = {
      id: 0,
      paymentId: 0,
      branch,
      officer,
      loanRef: loan,
      amountInr,
      otp: otp.status,
      otpAttempts: otp.attempts,
      collectedAt,
    };
    if (otp.status === 'verified') {
      this.due.push(confirmationTime(rng, collectedAt), { kind: 'confirm', collection, payment });
    } else {
      const completedAt = collectedAt + Math.round(otpGiveUpSeconds(rng) * 1000);
      if (completedAt < batchEnd) {
        payment.status = 'failed';
        payment.reason = 'otp_failed';
        payment.completedAt = completedAt;
      } else {
        this.due.push(completedAt, { kind: 'complete', payment, status: 'failed', reason: 'otp_failed' });
      }
    }
    batch.payments.push(payment);
    batch.collections.push(collection);
    batch.cashPayments.push(payment);
  }

  private async assignIds(batch: Batch): Promise<void> {
    const { pool } = this.options;
    let direct = batch.payments;
    if (this.router && this.routeBudget > 0) {
      const routable = batch.payments.filter((p) => p.channel !== 'cash' && !SCHEDULED_CHANNELS.has(p.channel)).slice(0, this.routeBudget);
      if (routable.length) {
        const ids = await this.router(routable);
        const routed = new Set<store.PaymentRow>();
        routable.forEach((p, i) => {
          const id = ids[i];
          if (id != null) {
            p.id = id;
            routed.add(p);
          }
        });
        direct = batch.payments.filter((p) => !routed.has(p));
      }
    }
    const paymentIds = await store.reserveIds(pool, 'payments_id_seq', direct.length);
    direct.forEach((p, i) => (p.id = paymentIds[i]!));
    batch.payments = direct;
    const collectionIds = await store.reserveIds(pool, 'field_collections_id_seq', batch.collections.length);
    batch.collections.forEach((c, i) => {
      c.id = collectionIds[i]!;
      c.paymentId = batch.cashPayments[i]!.id;
    });
  }

  /** Everything that falls due inside the batch. */
  private collectDue(batch: Batch): void {
    for (const { at, item } of this.due.popDue(batch.to)) {
      switch (item.kind) {
        case 'complete':
          batch.completions.push({
            id: item.payment.id,
            branch: item.payment.branch,
            status: item.status,
            reason: item.reason,
            completedAt: at,
          });
          break;
        case 'confirm':
          batch.confirmations.push({ id: item.collection.id, at });
          batch.completions.push({ id: item.payment.id, branch: item.payment.branch, status: 'success', reason: null, completedAt: at });
          break;
        case 'recon-open': {
          const plan = reconciliationPlan(this.options.seed, item.branch, istDayNumber(item.dayMs), item.dayMs);
          batch.opens.push({
            branch: item.branch,
            day: istDate(item.dayMs),
            expectedInr: 0,
            dueAt: plan.dueAt,
            createdAt: at,
            dayMs: item.dayMs,
          });
          break;
        }
        case 'recon-settle':
          batch.settles.push({ branch: item.branch, day: istDate(item.dayMs), outcome: item.outcome, shortfallInr: item.shortfallInr, at });
          break;
        case 'recon-resolve':
          batch.resolves.push({ branch: item.branch, day: istDate(item.dayMs), at });
          break;
        case 'activity':
          batch.activities.get(item.activity)!.push(item.row);
          break;
      }
    }
  }

  /**
   * The late_webhooks scenario: a quarter of the card, net-banking and UPI payments of the batch
   * are written now but stamped LATE_WEBHOOK_MS earlier, as a payments engine records a gateway's
   * webhook that arrived that late (deterministic by id).
   */
  private lateWebhooks(batch: Batch): store.PaymentRow[] {
    const { scenarios } = this.options;
    return batch.payments.map((p) =>
      p.completedAt !== null &&
      scenarios.lateWebhooks(p.completedAt) &&
      (p.channel === 'card' || p.channel === 'netbanking' || p.channel === 'upi') &&
      p.id % 4 === 0
        ? { ...p, createdAt: p.createdAt - LATE_WEBHOOK_MS, completedAt: p.completedAt - LATE_WEBHOOK_MS }
        : p,
    );
  }

  /**
   * The cash each branch's officers collected (OTP verified) on a day, read once per day from the
   * database (field work ends before reconciliations open at 19:00), so it is right after a restart too.
   */
  private async cashCollected(client: pg.PoolClient, dayMs: number): Promise<Map<string, number>> {
    const day = istDayNumber(dayMs);
    let perBranch = this.cashByDay.get(day);
    if (!perBranch) {
      const result = await client.query<{ branch: string; inr: number }>(
        `SELECT branch, sum(amount_inr) AS inr FROM field_collections
         WHERE otp_status = 'verified' AND collected_at >= $1 AND collected_at < $2 GROUP BY branch`,
        [new Date(dayMs).toISOString(), new Date(dayMs + DAY_MS).toISOString()],
      );
      perBranch = new Map(result.rows.map((row) => [row.branch, Number(row.inr)]));
      this.cashByDay.set(day, perBranch);
    }
    return perBranch;
  }

  private async write(batch: Batch): Promise<number> {
    const client = await this.options.pool.connect();
    let drained = 0;
    try {
      await client.query('BEGIN');
      await store.ensureTargets(client, batch.targets);
      await store.insertPayments(client, this.lateWebhooks(batch));
      await store.insertCollections(client, batch.collections);
      await store.completePayments(client, batch.completions);
      await store.reverseReturnedDebits(client, batch.from, batch.to);
      await store.confirmCollections(client, batch.confirmations);
      await store.insertVerifications(client, batch.verifications);
      for (const [activity, rows] of batch.activities) await store.insertActivityRows(client, activity, rows);
      if (Math.floor(batch.to / (HEARTBEAT_SECONDS * 1000)) > Math.floor(batch.from / (HEARTBEAT_SECONDS * 1000))) {
        const at = Math.floor(batch.to / (HEARTBEAT_SECONDS * 1000)) * HEARTBEAT_SECONDS * 1000;
        const down = this.options.branches.flatMap((b) => b.readers).filter((reader) => this.options.scenarios.readerDown(reader, at - 1));
        await store.readerHeartbeats(client, at, down);
      }
      if (batch.opens.length) {
        // Collections are written before a day's reconciliation opens (19:00), so the database knows the day's cash.
        for (const open of batch.opens)
          open.expectedInr = Math.round(((await this.cashCollected(client, open.dayMs)).get(open.branch) ?? 0) * 100) / 100;
        await store.openReconciliations(client, batch.opens);
      }
      await store.settleReconciliations(client, batch.settles);
      await store.resolveExceptions(client, batch.resolves);
      drained = await this.drainLms(client, batch.from, batch.to);
      await store.setClock(client, batch.to);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    // Days whose reconciliations are all open no longer need their cash totals.
    for (const day of this.cashByDay.keys()) if (day < istDayNumber(batch.to) - 1) this.cashByDay.delete(day);
    return drained;
  }

  /** The LMS worker: drains while the LMS is up, slot by slot, at its capacity. */
  private async drainLms(client: pg.PoolClient, from: number, to: number): Promise<number> {
    let drained = 0;
    let upFrom: number | null = null;
    const flush = async (until: number) => {
      if (upFrom === null) return;
      this.drainCarry += ((until - upFrom) / 1000) * this.drainPerSecond;
      const capacity = Math.floor(this.drainCarry);
      this.drainCarry -= capacity;
      drained += await store.drainPostings(client, {
        from: upFrom,
        to: until,
        pickupSeconds: LMS_PICKUP_SECONDS,
        capacity,
        rejectPerMille: LMS_REJECT_PROBABILITY * 1000,
      });
      upFrom = null;
    };
    for (let slot = from; slot < to; slot += SLOT_MS) {
      if (this.options.scenarios.lmsDown(slot)) await flush(slot);
      else upFrom ??= slot;
    }
    await flush(to);
    // An idle worker does not bank capacity for later.
    this.drainCarry = Math.min(this.drainCarry, 1);
    return drained;
  }
}
