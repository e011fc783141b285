import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createTestDatabase } from '@paywatch/testing';
import { requireTool, waitFor } from '@paywatch/runtime';
import { parseConfig } from '../src/config.ts';
import {
  ACTIVITIES,
  CHANNELS,
  MANDATE_REGISTRATIONS,
  branchProfiles,
  eventSuccessProbability,
  eventsPerHour,
  expectedAttemptsPerHour,
  splitValues,
  type Channel,
} from '../src/model/index.ts';
import { kpi } from '@paywatch/contract';
import { startSimulator, type SimulatorOptions } from '../src/simulator.ts';

const HOUR = 3_600_000;
/** A Monday in the middle of the month: no EMI surge, no maintenance window. */
const MONDAY = Date.parse('2026-03-16T00:00:00+05:30');

async function simulate(t: TestContext, label: string, options: Partial<SimulatorOptions> = {}) {
  const db = await createTestDatabase(label);
  const simulator = await startSimulator({
    databaseUrl: db.url,
    manualClock: true,
    port: 0,
    apiRate: 0,
    incidents: false,
    branches: 30,
    seed: 42,
    start: MONDAY,
    log: () => {},
    ...options,
  });
  t.after(async () => {
    await simulator.stop();
    await db.drop();
  });
  return {
    db,
    simulator,
    query: async <T extends Record<string, unknown>>(sql: string, values: unknown[] = []) => (await db.pool.query<T>(sql, values)).rows,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

test('a simulated weekday: channel shares, daily rhythm, cash confirmed later, reconciliations, RFID', async (t) => {
  const { simulator, query } = await simulate(t, 'sim_day');
  await simulator.advanceTo(MONDAY + 36 * HOUR);
  const dayEnd = MONDAY + 24 * HOUR;

  // Channel shares against the model's expectation for this fleet and this day.
  const branches = branchProfiles({ seed: 42, branches: 30, officersPerBranch: 30 });
  const expected = new Map<Channel, number>(CHANNELS.map((c) => [c, 0]));
  for (const branch of branches)
    for (let h = 0; h < 24; h++)
      for (const c of CHANNELS) expected.set(c, expected.get(c)! + expectedAttemptsPerHour(c, MONDAY + h * HOUR, branch.size, 200));
  const expectedTotal = [...expected.values()].reduce((a, b) => a + b, 0);
  const observed = await query<{ channel: Channel; n: number }>(
    `SELECT channel, count(*)::int AS n FROM payments WHERE created_at >= $1 AND created_at < $2 GROUP BY channel`,
    [iso(MONDAY), iso(dayEnd)],
  );
  const total = observed.reduce((sum, row) => sum + row.n, 0);
  assert.ok(Math.abs(total / expectedTotal - 1) < 0.05, `${total} payments on the day, model expects ${expectedTotal.toFixed(0)}`);
  assert.equal(observed.length, CHANNELS.length, 'every channel is used');
  for (const row of observed) {
    const share = row.n / total;
    const want = expected.get(row.channel)! / expectedTotal;
    assert.ok(
      Math.abs(share - want) < 0.015 && Math.abs(share / want - 1) < 0.2,
      `${row.channel}: ${(share * 100).toFixed(1)} % vs model ${(want * 100).toFixed(1)} %`,
    );
  }

  // Daily rhythm in IST: a late-morning peak many times the night; the mandate batch early morning.
  const byHour = await query<{ hour: number; channel: Channel; n: number }>(
    `SELECT extract(hour FROM created_at AT TIME ZONE 'Asia/Kolkata')::int AS hour, channel, count(*)::int AS n
     FROM payments WHERE created_at >= $1 AND created_at < $2 GROUP BY 1, 2`,
    [iso(MONDAY), iso(dayEnd)],
  );
  const count = (hours: number[], channels: readonly Channel[]) =>
    byHour.filter((r) => hours.includes(r.hour) && channels.includes(r.channel)).reduce((s, r) => s + r.n, 0);
  const selfService: Channel[] = ['upi', 'qr', 'bbps', 'card', 'netbanking'];
  assert.ok(count([10, 11, 12], selfService) > 10 * count([1, 2, 3], selfService), 'late morning has many times the volume of the night');
  assert.ok(
    count([10, 11, 12], ['cash']) > 0 && count([0, 1, 2, 3, 4, 5, 6, 7, 20, 21, 22, 23], ['cash']) === 0,
    'officers collect in field hours only',
  );
  const mandates = count(
    Array.from({ length: 24 }, (_, h) => h),
    ['nach', 'upi_autopay'],
  );
  assert.ok(mandates > 100 && count([5, 6], ['nach', 'upi_autopay']) === mandates, 'NACH and AutoPay are presented 05:00-07:00 IST');
  const mandateOutcomes = await query<{ reason: string | null; last_hour: number; n: number }>(
    `SELECT failure_reason AS reason, max(extract(hour FROM completed_at AT TIME ZONE 'Asia/Kolkata'))::int AS last_hour, count(*)::int AS n
     FROM payments WHERE channel IN ('nach', 'upi_autopay') AND created_at < $1 GROUP BY 1 ORDER BY 1`,
    [iso(dayEnd)],
  );
  assert.deepEqual(
    mandateOutcomes.map((r) => r.reason),
    ['insufficient_funds', 'mandate_error', null],
    'mandates fail on insufficient funds and mandate errors',
  );
  assert.ok(
    mandateOutcomes.every((r) => r.last_hour <= 7),
    'the batch is answered by early morning',
  );

  // Cash: OTP in the field, pending until the branch confirms, then a success with a posting.
  const cash = await query<{
    otp: string;
    pending: number;
    success: number;
    failed: number;
    confirmed: number;
    consistent: number;
    n: number;
  }>(
    `SELECT f.otp_status AS otp, count(*)::int AS n,
            count(*) FILTER (WHERE p.status = 'pending')::int AS pending,
            count(*) FILTER (WHERE p.status = 'success')::int AS success,
            count(*) FILTER (WHERE p.status = 'failed' AND p.failure_reason = 'otp_failed')::int AS failed,
            count(f.confirmed_at)::int AS confirmed,
            count(*) FILTER (WHERE p.status = 'success' AND p.completed_at = f.confirmed_at AND p.officer_id = f.officer_id)::int AS consistent
     FROM field_collections f JOIN payments p ON p.id = f.payment_id
     WHERE f.collected_at < $1 GROUP BY 1 ORDER BY 1`,
    [iso(dayEnd)],
  );
  const verified = cash.find((r) => r.otp === 'verified')!;
  assert.ok(verified.n > 500);
  assert.equal(verified.consistent, verified.success, 'a confirmed collection is a successful cash payment completed at confirmation');
  assert.equal(verified.confirmed, verified.success);
  assert.ok(verified.pending <= verified.n * 0.03, "by noon the next day almost all of the day's cash is confirmed");
  for (const row of cash.filter((r) => r.otp !== 'verified'))
    assert.equal(row.failed, row.n, 'failed and expired OTPs are failed payments');
  const unconfirmedAtEvening = await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM field_collections WHERE otp_status = 'verified' AND collected_at < $1 AND (confirmed_at IS NULL OR confirmed_at > $1)`,
    [iso(MONDAY + 17 * HOUR)],
  );
  assert.ok(unconfirmedAtEvening[0]!.n > 0.9 * verified.n, 'cash is confirmed later, not when collected');

  // Every successful payment has an LMS posting; the queue is near empty in normal operation.
  const postings = await query<{ missing: number; pending: number }>(
    `SELECT (SELECT count(*) FROM payments p WHERE status = 'success' AND NOT EXISTS (SELECT 1 FROM lms_postings l WHERE l.payment_id = p.id))::int AS missing,
            (SELECT count(*) FROM lms_postings WHERE status = 'pending')::int AS pending`,
  );
  assert.equal(postings[0]!.missing, 0);
  assert.ok(postings[0]!.pending < 20, `${postings[0]!.pending} postings pending`);

  // Reconciliations: one per branch per day, expecting exactly the day's verified cash, due next noon.
  const recon = await query<{ branch: string; expected_inr: number; cash: number; due_ok: boolean; status: string }>(
    `SELECT r.branch, r.expected_inr, r.status, r.due_at = $2::timestamptz + interval '12 hours' AS due_ok,
            coalesce((SELECT sum(amount_inr) FROM field_collections f WHERE f.branch = r.branch AND f.otp_status = 'verified' AND f.collected_at >= $1 AND f.collected_at < $2), 0) AS cash
     FROM reconciliations r WHERE r.business_date = '2026-03-16'`,
    [iso(MONDAY), iso(dayEnd)],
  );
  assert.equal(recon.length, 30);
  for (const row of recon) {
    assert.equal(row.expected_inr, row.cash, row.branch);
    assert.ok(row.due_ok);
  }
  assert.ok(recon.filter((r) => r.status === 'matched').length >= 20, 'most are matched by noon');

  // RFID only at RFID branches, mostly successful; readers heartbeat.
  const rfid = await query<{ has_rfid: boolean; success: number; n: number }>(
    `SELECT b.has_rfid, count(*) FILTER (WHERE v.result = 'success')::int AS success, count(*)::int AS n
     FROM rfid_verifications v JOIN branches b ON b.code = v.branch GROUP BY 1`,
  );
  assert.deepEqual(
    rfid.map((r) => r.has_rfid),
    [true],
  );
  assert.ok(rfid[0]!.n > 100 && rfid[0]!.success / rfid[0]!.n > 0.97);
  const stale = await query<{ n: number }>(`SELECT count(*)::int AS n FROM rfid_readers WHERE last_seen_at IS NULL OR last_seen_at < $1`, [
    iso(MONDAY + 36 * HOUR - 60_000),
  ]);
  assert.equal(stale[0]!.n, 0);

  // Mandate registrations: both channels, as many as the model expects, written only once
  // answered (never after the simulated clock), and as successful as the model says.
  let expectedMandates = 0;
  for (const branch of branches)
    for (let h = 0; h < 24; h++)
      for (const c of splitValues(MANDATE_REGISTRATIONS))
        expectedMandates += eventsPerHour(MANDATE_REGISTRATIONS, c, MONDAY + h * HOUR, branch.size);
  const registrations = await query<{ channel: string; n: number; success: number; late: number }>(
    `SELECT channel, count(*)::int AS n, count(*) FILTER (WHERE status = 'success')::int AS success,
            count(*) FILTER (WHERE completed_at > (SELECT now FROM paywatch.clock) OR completed_at < created_at)::int AS late
     FROM mandate_registrations WHERE created_at >= $1 AND created_at < $2 GROUP BY 1 ORDER BY 1`,
    [iso(MONDAY), iso(dayEnd)],
  );
  assert.deepEqual(
    registrations.map((r) => r.channel),
    ['nach', 'upi_autopay'],
  );
  const mandateTotal = registrations.reduce((sum, r) => sum + r.n, 0);
  assert.ok(
    Math.abs(mandateTotal / expectedMandates - 1) < 0.1,
    `${mandateTotal} registrations, model expects ${expectedMandates.toFixed(0)}`,
  );
  assert.equal(
    registrations.reduce((sum, r) => sum + r.late, 0),
    0,
  );
  // A normal day sits above the KPI's target in the model; a 30-branch day's few hundred draws
  // stay within 3 points of it.
  const mandateSuccess = registrations.reduce((sum, r) => sum + r.success, 0) / mandateTotal;
  for (const c of splitValues(MANDATE_REGISTRATIONS))
    assert.ok(eventSuccessProbability(MANDATE_REGISTRATIONS, c) > kpi('mandate_registration_success_rate').target, c);
  const modelSuccess =
    registrations.reduce((sum, r) => sum + r.n * eventSuccessProbability<string>(MANDATE_REGISTRATIONS, r.channel), 0) / mandateTotal;
  assert.ok(
    Math.abs(mandateSuccess - modelSuccess) < 0.03 && mandateSuccess < 1,
    `registration success ${(mandateSuccess * 100).toFixed(1)} %`,
  );

  // Every declared activity (model/activities.ts, mandate registrations among them) writes its rows
  // from its declaration alone: each split value, at the declared rate and odds, only once answered.
  for (const activity of ACTIVITIES) {
    const { table, split, outcome, columns } = activity;
    const answered = activity.family.source!.time;
    const started = columns.started ?? answered;
    const rows = await query<{ value: string; n: number; success: number; late: number }>(
      `SELECT ${split.label} AS value, count(*)::int AS n, count(*) FILTER (WHERE ${outcome.label} = $3)::int AS success,
              count(*) FILTER (WHERE ${answered} > (SELECT now FROM paywatch.clock) OR ${answered} < ${started})::int AS late
       FROM ${table} WHERE ${started} >= $1 AND ${started} < $2 GROUP BY 1 ORDER BY 1`,
      [iso(MONDAY), iso(dayEnd), outcome.success],
    );
    assert.deepEqual(
      rows.map((r) => r.value),
      splitValues(activity).sort(),
      `${table}: every ${split.label}`,
    );
    for (const row of rows) {
      let expected = 0;
      for (const branch of branches)
        for (let h = 0; h < 24; h++) expected += eventsPerHour<string>(activity, row.value, MONDAY + h * HOUR, branch.size);
      // Poisson counts and binomial successes: within four standard deviations of the declaration.
      assert.ok(
        expected > 50 && Math.abs(row.n - expected) < 4 * Math.sqrt(expected),
        `${table} ${row.value}: ${row.n}, declared ${expected.toFixed(0)}`,
      );
      const p = eventSuccessProbability<string>(activity, row.value);
      assert.ok(
        Math.abs(row.success / row.n - p) < 4 * Math.sqrt((p * (1 - p)) / row.n),
        `${table} ${row.value}: ${row.success} of ${row.n} succeed, declared ${p}`,
      );
      assert.equal(row.late, 0, `${table} ${row.value}: written only once answered`);
    }
  }

  // The banks' return files: some auto-debits reported successful come back reversed at T+1, as
  // rows of their own; the payment keeps its first-reported success.
  const reversals = await query<{ n: number; wrong: number }>(
    `SELECT count(*)::int AS n,
            count(*) FILTER (WHERE p.status <> 'success' OR p.channel NOT IN ('nach', 'upi_autopay')
                               OR r.reversed_at <> p.completed_at + interval '1 day' OR r.reversed_at > (SELECT now FROM paywatch.clock))::int AS wrong
     FROM payment_reversals r JOIN payments p ON p.id = r.payment_id`,
  );
  assert.ok(reversals[0]!.n > 0, 'some auto-debits are returned');
  assert.equal(reversals[0]!.wrong, 0);

  const targets = await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM branch_daily_targets WHERE day IN ('2026-03-16', '2026-03-17') AND target_inr > 0`,
  );
  assert.equal(targets[0]!.n, 60);
  const clock = await query<{ now: Date }>('SELECT now FROM paywatch.clock');
  assert.equal(clock[0]!.now.getTime(), MONDAY + 36 * HOUR, 'the business clock is the simulated one');
});

test('late webhooks: card, net-banking and UPI payments committed 10 minutes after they completed, only while the scenario runs', async (t) => {
  const { simulator, query } = await simulate(t, 'sim_late_webhooks');
  // Rows written after a snapshot (commit order, recorded_xid) whose completed_at is older than the
  // business clock at that snapshot minus 5 minutes: late commits.
  const lateSince = async (snapshot: string, clockMs: number) =>
    (
      await query<{ n: number; channels: string[] }>(
        `SELECT count(*)::int AS n, coalesce(array_agg(DISTINCT channel), '{}') AS channels FROM payments
         WHERE NOT pg_visible_in_snapshot(recorded_xid, $1::pg_snapshot) AND completed_at < $2::timestamptz - interval '5 minutes'`,
        [snapshot, iso(clockMs)],
      )
    )[0]!;
  const snapshot = async () => (await query<{ s: string }>('SELECT pg_current_snapshot()::text AS s'))[0]!.s;

  const start = MONDAY + 11 * HOUR;
  await simulator.advanceTo(start);
  let before = await snapshot();
  await simulator.advanceTo(start + 20 * 60_000);
  assert.equal((await lateSince(before, start)).n, 0, 'no late commits without the scenario');

  simulator.startScenario('late_webhooks', { simulatedMs: 20 * 60_000 });
  before = await snapshot();
  await simulator.advanceTo(start + 40 * 60_000);
  const late = await lateSince(before, start + 20 * 60_000);
  assert.ok(late.n > 0, 'payments committed 10 minutes late during the scenario');
  assert.ok(
    late.channels.includes('upi') && late.channels.every((c) => ['card', 'netbanking', 'upi'].includes(c)),
    late.channels.join(', '),
  );

  before = await snapshot();
  await simulator.advanceTo(start + 70 * 60_000);
  assert.equal((await lateSince(before, start + 40 * 60_000)).n, 0, 'none once it ended');
});

test('an LMS outage makes the posting queue grow, and after it ends the queue drains', async (t) => {
  const { simulator, query } = await simulate(t, 'sim_lms');
  const depth = async () => (await query<{ n: number }>(`SELECT count(*)::int AS n FROM lms_postings WHERE status = 'pending'`))[0]!.n;
  const outageStart = MONDAY + 10 * HOUR;
  await simulator.advanceTo(outageStart);
  const before = await depth();
  simulator.startScenario('lms_outage', { simulatedMs: 45 * 60_000 });
  const lmsHealth = await fetch(`${simulator.url}/lms/health`);
  assert.equal(lmsHealth.status, 503);
  const during: number[] = [];
  for (let minute = 5; minute <= 45; minute += 5) {
    await simulator.advanceTo(outageStart + minute * 60_000);
    during.push(await depth());
  }
  for (let i = 1; i < during.length; i++) assert.ok(during[i]! > during[i - 1]!, `queue grows during the outage: ${during.join(', ')}`);
  assert.ok(during.at(-1)! > 10 * Math.max(1, before), `queue ${during.at(-1)} after 45 min vs ${before} before`);
  assert.equal((await fetch(`${simulator.url}/lms/health`)).status, 200, 'the LMS answers again after the outage');

  const after: number[] = [];
  for (let minute = 5; minute <= 30; minute += 5) {
    await simulator.advanceTo(outageStart + (45 + minute) * 60_000);
    after.push(await depth());
  }
  assert.ok(after[0]! < during.at(-1)!, 'draining starts as soon as the LMS is back');
  assert.ok(after.at(-1)! < 20, `queue drained: ${after.join(', ')}`);
  const waited = await query<{ n: number; posted_after: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE finished_at >= $2)::int AS posted_after
     FROM lms_postings WHERE enqueued_at >= $1 AND enqueued_at < $2 AND status <> 'pending'`,
    [iso(outageStart + 60_000), iso(outageStart + 45 * 60_000)],
  );
  assert.ok(waited[0]!.n > 0);
  assert.equal(waited[0]!.posted_after, waited[0]!.n, 'postings enqueued during the outage were posted only after it');
});

test('the payments API answers, fails as scenarios say, and /metrics exposes the contract metrics', async (t) => {
  const { simulator, query } = await simulate(t, 'sim_api');
  await simulator.advanceTo(MONDAY + 11 * HOUR);
  const url = simulator.url;
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const created = await post('/api/payments', { branch: 'BR0003', channel: 'card', amount_inr: 2500, loan_ref: 'LN-BR0003-000042' });
  assert.equal(created.status, 201);
  const payment = (await created.json()) as { id: number; status: string; gateway: string };
  assert.equal(payment.status, 'pending');
  assert.ok(payment.gateway === 'gateway_a' || payment.gateway === 'gateway_b');
  assert.equal(
    (await post('/api/payments', { branch: 'BR0003', channel: 'cash', amount_inr: 1, loan_ref: 'LN-BR0003-000042' })).status,
    400,
  );
  assert.equal(
    (await post('/api/payments', { branch: 'BR9999', channel: 'upi', amount_inr: 10, loan_ref: 'LN-BR9999-000001' })).status,
    400,
  );

  const loan = await fetch(`${url}/api/loans/LN-BR0003-000042`);
  assert.equal(loan.status, 200);
  const loanBody = (await loan.json()) as { recent_payments: Array<{ id: number }> };
  assert.ok(loanBody.recent_payments.some((p) => p.id === payment.id));
  assert.equal((await fetch(`${url}/api/loans/LN-NOPE`)).status, 404);

  await simulator.advanceTo(MONDAY + 11 * HOUR + 5 * 60_000);
  const finished = await query<{ status: string }>('SELECT status FROM payments WHERE id = $1', [payment.id]);
  assert.notEqual(finished[0]!.status, 'pending', 'the engine finishes a payment the API created');

  assert.equal((await post('/api/login', { user: 'asha', password: 'demo-password' })).status, 200);
  assert.equal((await post('/api/login', { user: 'asha', password: 'nope' })).status, 401);
  const attempts = [];
  for (let i = 0; i < 6; i++) attempts.push((await post('/api/login', { user: 'mallory', password: `guess${i}` })).status);
  assert.deepEqual(attempts, [401, 401, 401, 401, 401, 429], 'the sixth attempt within a minute is rate limited');
  // One client failing logins for 5 or more users in a minute is credential stuffing: asha,
  // mallory, then u1..u4 make 6 users; the 5th and the 6th count.
  for (const user of ['u1', 'u2', 'u3', 'u4']) assert.equal((await post('/api/login', { user, password: 'x' })).status, 401);
  // ...and asking for 10 or more unknown loans in a minute is enumeration: LN-NOPE and 10 more.
  for (let i = 0; i < 10; i++) assert.equal((await fetch(`${url}/api/loans/LN-BR9999-00000${i}`)).status, 404);

  assert.equal((await fetch(`${url}/health`)).status, 200);
  simulator.startScenario('slow_database', { simulatedMs: 10 * 60_000 });
  assert.equal((await fetch(`${url}/health`)).status, 503);
  simulator.stopScenario('slow_database');
  assert.equal((await fetch(`${url}/health`)).status, 200);

  const started = await fetch(`${url}/scenarios/gateway_outage?minutes=5&gateway=gateway_b`, { method: 'POST' });
  assert.equal(started.status, 201);
  assert.equal((await fetch(`${url}/gateways/gateway_b/health`)).status, 503);
  assert.equal((await fetch(`${url}/gateways/gateway_a/health`)).status, 200);
  assert.equal((await fetch(`${url}/scenarios/meteor_strike`, { method: 'POST' })).status, 404);
  const active = (await (await fetch(`${url}/scenarios`)).json()) as { active: Array<{ name: string }> };
  assert.deepEqual(
    active.active.map((s) => s.name),
    ['gateway_outage'],
  );

  const metrics = await (await fetch(`${url}/metrics`)).text();
  const types: Record<string, string> = {
    http_request_duration_seconds: 'histogram',
    http_request_errors_total: 'counter',
    auth_login_failures_total: 'counter',
    http_rate_limited_total: 'counter',
    http_suspicious_requests_total: 'counter',
    payment_gateway_request_duration_seconds: 'histogram',
    app_db_pool_clients: 'gauge',
    app_db_pool_max: 'gauge',
    simulator_scenario_active: 'gauge',
  };
  for (const [name, type] of Object.entries(types)) assert.match(metrics, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), name);
  assert.match(
    metrics,
    /^http_request_duration_seconds_bucket\{le="0.025",service="payments-api",route="\/api\/payments",method="POST",status="201"\} \d+$/m,
  );
  assert.match(
    metrics,
    /^http_request_duration_seconds_count\{service="payments-api",route="\/api\/loans\/:ref",method="GET",status="404"\} 11$/m,
  );
  assert.match(metrics, /^auth_login_failures_total\{service="payments-api"\} 10$/m);
  assert.match(metrics, /^http_suspicious_requests_total\{service="payments-api",pattern="credential_stuffing"\} 2$/m);
  assert.match(metrics, /^http_suspicious_requests_total\{service="payments-api",pattern="loan_enumeration"\} 2$/m);
  assert.match(metrics, /^http_rate_limited_total\{service="payments-api",route="\/api\/login"\} 1$/m);
  assert.match(metrics, /^http_request_errors_total\{service="payments-api",route="\/health",kind="dependency"\} 1$/m);
  assert.match(
    metrics,
    /^payment_gateway_request_duration_seconds_count\{gateway="gateway_[ab]",outcome="(success|declined|timeout|error)"\} 1$/m,
  );
  assert.match(metrics, /^app_db_pool_max\{service="payments-api"\} 10$/m);
  assert.match(metrics, /^app_db_pool_clients\{service="payments-api",state="waiting"\} 0$/m);
  assert.match(metrics, /^simulator_scenario_active\{scenario="gateway_outage"\} 1$/m);
  assert.match(metrics, /^simulator_scenario_active\{scenario="lms_outage"\} 0$/m);
  // Prometheus's own linter has nothing to say about the payments API's exposition.
  const lint = spawnSync(requireTool('promtool'), ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
  assert.equal(lint.status, 0, `promtool check metrics failed:\n${lint.stdout}${lint.stderr}`);
  assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '', `promtool reported:\n${lint.stdout}${lint.stderr}`);
  assert.equal((await fetch(`${url}/scenarios/gateway_outage`, { method: 'DELETE' })).status, 200);
  assert.match(await (await fetch(`${url}/metrics`)).text(), /^simulator_scenario_active\{scenario="gateway_outage"\} 0$/m);
});

test('same seed, same business; another seed, another', async (t) => {
  const digest = async (label: string, seed: number) => {
    const { simulator, query } = await simulate(t, label, { seed, incidents: true, branches: 10 });
    await simulator.advanceTo(MONDAY + 11 * HOUR);
    const rows = await query<{ payments: string; collections: string; postings: string; rfid: string; n: number }>(`
      SELECT (SELECT count(*) FROM payments)::int AS n,
             (SELECT md5(string_agg(concat_ws('|', id, branch, channel, gateway, status, failure_reason, amount_inr, loan_ref, officer_id, created_at, completed_at), ',' ORDER BY id)) FROM payments) AS payments,
             (SELECT md5(string_agg(concat_ws('|', id, payment_id, officer_id, amount_inr, otp_status, otp_attempts, collected_at, confirmed_at), ',' ORDER BY id)) FROM field_collections) AS collections,
             (SELECT md5(string_agg(concat_ws('|', payment_id, status, attempts, enqueued_at, finished_at), ',' ORDER BY payment_id)) FROM lms_postings) AS postings,
             (SELECT md5(string_agg(concat_ws('|', reader_id, result, latency_ms, verified_at), ',' ORDER BY verified_at, reader_id, result, latency_ms)) FROM rfid_verifications) AS rfid`);
    return rows[0]!;
  };
  const [a, b, c] = await Promise.all([digest('sim_seed_a', 42), digest('sim_seed_b', 42), digest('sim_seed_c', 43)]);
  assert.ok(a.n > 500, `${a.n} payments`);
  assert.deepEqual(a, b);
  assert.notEqual(a.payments, c.payments);
});

test('on the real clock at high speed it keeps up and drives its own API', async (t) => {
  const { simulator, query } = await simulate(t, 'sim_live', {
    manualClock: false,
    speed: 3600,
    tickMs: 100,
    apiRate: 50,
    start: MONDAY + 9 * HOUR,
    progressMs: 0,
  });
  await waitFor(() => simulator.engine.now >= MONDAY + 11 * HOUR, { what: 'two simulated hours written', timeoutMs: 30_000 });
  const metrics = await waitFor(
    async () => {
      const text = await (await fetch(`${simulator.url}/metrics`)).text();
      return /^http_request_duration_seconds_count\{service="payments-api",route="\/api\/payments",method="POST",status="201"\} [1-9]/m.test(
        text,
      ) &&
        /route="\/api\/loans\/:ref"/.test(text) &&
        /route="\/health"/.test(text)
        ? text
        : false;
    },
    { what: 'self-driven API traffic', timeoutMs: 20_000 },
  );
  assert.match(metrics, /route="\/api\/login"/);
  const rows = await query<{ n: number }>(`SELECT count(*)::int AS n FROM payments WHERE created_at >= $1`, [iso(MONDAY + 9 * HOUR)]);
  assert.ok(rows[0]!.n > 500, `${rows[0]!.n} payments in two simulated hours`);
  const status = (await (await fetch(`${simulator.url}/`)).json()) as { speed: number; branches: number };
  assert.deepEqual([status.speed, status.branches], [3600, 30]);
});

test('bad configuration stops it at start with a message saying what to fix', async () => {
  assert.throws(() => parseConfig(['--databse-url', 'x'], {}), /unknown option "--databse-url"/);
  assert.throws(() => parseConfig(['--database-url', 'mysql://x/y'], {}), /must start with postgres:\/\//);
  assert.throws(() => parseConfig([], { DATABASE_URL: 'not a url' }), /DATABASE_URL is not a URL/);
  assert.throws(() => parseConfig([], {}), /no database/);
  assert.throws(() => parseConfig(['--database-url', 'postgres://h/db', '--speed', 'fast'], {}), /--speed: expected a number/);
  assert.throws(() => parseConfig(['--database-url', 'postgres://h/db', '--scenario', 'flood:5'], {}), /unknown scenario "flood"/);
  const config = parseConfig(['--speed', '60', '--branches=50', '--scenario', 'gateway_outage:10:gateway_b', '--no-incidents'], {
    DATABASE_URL: 'postgres://u@h:5432/db',
    PAYWATCH_SEED: '7',
  });
  assert.deepEqual(
    { speed: config.speed, branches: config.branches, seed: config.seed, incidents: config.incidents, scenarios: config.scenarios },
    { speed: 60, branches: 50, seed: 7, incidents: false, scenarios: [{ name: 'gateway_outage', minutes: 10, gateway: 'gateway_b' }] },
  );

  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, '..', 'src', 'main.ts'),
      '--database-url',
      'postgres://127.0.0.1:5432/x',
      '--speeed',
      '60',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DATABASE_URL: '' },
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(stderr, /unknown option "--speeed"/);
});
