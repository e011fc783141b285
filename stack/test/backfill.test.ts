// History backfill: 30 days of raw series from the simulator's model into a fresh Prometheus data
// directory with promtool, the recording rules' history evaluated from them by Prometheus
// (promtool create-blocks-from rules), then a real Prometheus on it: the daily revenue query has a
// value for each of the last 30 days and its day-to-day shape is the model's calendar (quiet
// Sundays, the month-start surge); the recorded series equal the rules' expressions evaluated on
// the raw history; the history reaches the start.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ACTIVITIES,
  branchProfiles,
  eventLabels,
  eventSuccessProbability,
  eventsPerHour,
  expectedDailyCollectionInr,
  istDayStart,
  istParts,
  splitValues,
} from '@paywatch/simulator/model';
import { buildHistory } from '../src/backfill/history.ts';
import {
  defaultRuleFiles,
  fillHistoryGap,
  hasLiveData,
  historyState,
  recordLiveStart,
  runBackfill,
  type BackfillResult,
} from '../src/backfill/run.ts';
import { formatLabels, writeOpenMetrics } from '../src/backfill/openmetrics.ts';
import { familyDefinition, seriesLabels } from '../src/backfill/families.ts';
import { dependencyLevels, loadRecordingRules, longestWindowSeconds, readSeconds, rulesReadBy } from '../src/backfill/rules.ts';
import { chooseTimeline, DENSE_STEP, keepsBranch, keepsFleet, samplesOf, tickTimes } from '../src/backfill/timeline.ts';
import { promQuery, startPrometheus, type RunningServer } from '@paywatch/runtime';

const FLEET = { seed: 42, branches: 10, officersPerBranch: 5, perBranchPerDay: 200 };
const DAY = 86400;

test('OpenMetrics for promtool: families with metadata, series in time order, # EOF at the end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paywatch-om-'));
  try {
    const files = [join(dir, 'a.om'), join(dir, 'b.om')];
    const result = writeOpenMetrics(
      [
        {
          name: 'payments_total',
          type: 'counter',
          help: 'x',
          series: [1, 2, 3].map((i) => ({ labels: { branch: `BR000${i}`, channel: 'upi' }, times: [100, 200], values: [i, i + 1] })),
        },
        {
          name: 'h_seconds',
          type: 'histogram',
          help: 'y',
          series: [{ name: 'h_seconds_bucket', labels: { le: '+Inf' }, times: [100], values: [5] }],
        },
      ],
      files,
    );
    assert.equal(result.samples, 7);
    const a = readFileSync(files[0]!, 'utf8');
    assert.match(a, /^# HELP payments_total x\n# TYPE payments_total counter\npayments_total\{branch="BR0001",channel="upi"\} 1 100\n/);
    assert.ok(a.endsWith('# EOF\n') && readFileSync(files[1]!, 'utf8').endsWith('# EOF\n'));
    assert.equal(formatLabels({ b: 'x"y', a: 'p\\q' }), '{a="p\\\\q",b="x\\"y"}');
    assert.throws(
      () =>
        writeOpenMetrics(
          [{ name: 'x', type: 'gauge', help: '', series: [{ labels: {}, times: [2, 1], values: [0, 0] }] }],
          [join(dir, 'c.om')],
        ),
      /out of time order/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('series are made only through the families the exporters declare, with their labels', () => {
  const payments = familyDefinition('payments_total');
  assert.deepEqual([payments.type, payments.job, [...payments.labelNames]], ['counter', 'payments', ['branch', 'channel', 'status']]);
  assert.deepEqual(
    familyDefinition('http_request_duration_seconds').buckets,
    [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    "the payments API's own buckets",
  );
  assert.deepEqual(seriesLabels(payments, { branch: 'BR0001', channel: 'upi', status: 'success' }, { job: 'payments' }), {
    job: 'payments',
    branch: 'BR0001',
    channel: 'upi',
    status: 'success',
  });
  assert.throws(
    () => seriesLabels(payments, { branch: 'BR0001', channel: 'upi' }, {}),
    /payments_total takes labels \(branch, channel, status\)/,
  );
  assert.throws(() => familyDefinition('payments_made_up_total'), /no exporter declares/);
});

test("every declared activity's family is in the history, per branch, split value and outcome, at the declared rate and odds", () => {
  // A week of 10 branches with the model's activity table (simulator/src/model/activities.ts):
  // each activity gets its series from its declaration alone, none written for it by hand.
  const end = 1_800_000_000 - (1_800_000_000 % DENSE_STEP);
  const timeline = {
    startSeconds: end - 7 * DAY,
    endSeconds: end,
    denseFrom: end - 3600,
    branchStep: 3600,
    branchRecentStep: 1800,
    branchRecentFrom: end - DAY,
  };
  const instances = { payments: 'p:1', lms: 'l:1', rfid: 'r:1', pool: 'o:1', api: 'a:1', blackbox: 'b:1', apiHost: 'h' };
  const history = buildHistory({ ...FLEET, timeline, instances });
  assert.ok(ACTIVITIES.length > 0);
  for (const activity of ACTIVITIES) {
    const family = history.families.find((f) => f.name === activity.family.name);
    assert.ok(family, `${activity.family.name} is in the history`);
    const last = (labels: Record<string, string>) => {
      const series = family.series.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      assert.ok(series, `${activity.family.name}${JSON.stringify(labels)}`);
      return series.values[series.values.length - 1]!;
    };
    for (const value of splitValues(activity)) {
      let expected = 0;
      for (const branch of history.fleet)
        for (let t = timeline.startSeconds; t < end; t += 300)
          expected += (eventsPerHour(activity, value, t * 1000 + 150_000, branch.size) * 300) / 3600;
      let success = 0;
      let failed = 0;
      for (const branch of history.fleet) {
        success += last(eventLabels(activity, branch.code, value, true));
        failed += last(eventLabels(activity, branch.code, value, false));
      }
      // Poisson counts: within four standard deviations of the declaration.
      const n = success + failed;
      assert.ok(
        expected > 200 && Math.abs(n - expected) < 4 * Math.sqrt(expected),
        `${value}: ${n} events, declared ${expected.toFixed(0)}`,
      );
      const p = eventSuccessProbability(activity, value);
      assert.ok(Math.abs(success / n - p) < 4 * Math.sqrt((p * (1 - p)) / n), `${value}: success ${success} of ${n}, declared odds ${p}`);
    }
  }
});

test('the committed recording rules run in dependency levels: a rule after every rule it reads', () => {
  const rules = loadRecordingRules(defaultRuleFiles());
  assert.ok(rules.length > 40 && rules.every((rule) => rule.record && rule.expr));
  const levels = dependencyLevels(rules);
  const levelOf = (record: string) => levels.findIndex((level) => level.some((rule) => rule.record === record));
  assert.equal(levelOf('branch_channel:payments:rate5m'), 0);
  assert.ok(levelOf('channel:payments:rate5m') > levelOf('branch_channel:payments:rate5m'));
  assert.ok(levelOf('paywatch:payments:rate5m') > levelOf('channel:payments:rate5m'));
  assert.ok(levelOf('paywatch:payment_success_ratio:rate5m') > levelOf('paywatch:payments:rate5m'));
  assert.equal(levels.flat().length, rules.length, 'every rule in exactly one level');
  assert.equal(longestWindowSeconds(levels[0]!), 86400, 'the longest window of raw series the rules read is a day');
});

test('the rules an alert reads, through other rules: the RFID verification alert reads the fleet ratio and the per-branch rates it sums', () => {
  const rules = loadRecordingRules(defaultRuleFiles());
  assert.deepEqual(
    [
      ...rulesReadBy(rules, ['(paywatch:rfid_success_ratio:rate5m < 0.95) unless on () (time() - max(process_start_time_seconds) < 300)']),
    ].sort(),
    ['branch:rfid_verifications:rate5m', 'paywatch:rfid_success_ratio:rate5m'],
  );
  assert.deepEqual([...rulesReadBy(rules, ['sum(increase(auth_login_failures_total[1m])) > 5'])], [], 'a raw series reads no rule');
});

test("a rule's reach: the longest range it reads, and every range and offset added up as its cost", () => {
  const rule = (expr: string) => ({ record: 'x', expr, group: 'g' });
  const rules = [
    rule('sum(rate(payments_total[5m]))'),
    rule('max_over_time(up[1h30m]) - max_over_time(up[1h30m] offset 1d)'),
    rule('avg_over_time(paywatch:slo_events:rate5m[2w:5m])'),
    rule('vector(1)'),
  ];
  assert.equal(readSeconds(rules[0]!), 300);
  assert.equal(readSeconds(rules[1]!), 5400 + 5400 + 86400, 'both ranges and the offset');
  assert.equal(readSeconds(rules[2]!), 2 * 604800, "a subquery's range, not its step");
  assert.equal(readSeconds(rules[3]!), 0);
  assert.equal(longestWindowSeconds(rules), 2 * 604800);
  assert.equal(longestWindowSeconds([rules[1]!]), 5400, 'an offset is not a range');
  assert.equal(longestWindowSeconds([]), 0);
});

test('the timeline: two samples in every 5-minute window over the dense stretch, within the budget', () => {
  const end = 1_800_000_000 - (1_800_000_000 % DENSE_STEP);
  const timeline = chooseTimeline({ endSeconds: end, days: 30, budget: 4_000_000, branchSeries: 20_944, fleetSeries: 83 });
  assert.ok(samplesOf(timeline, 20_944, 83) <= 4_000_000);
  assert.ok(timeline.denseFrom < end && end - timeline.denseFrom >= 3600, 'a dense stretch of an hour at least');
  const times = tickTimes(timeline);
  assert.equal(times[times.length - 1], end, 'the history ends at its end');
  const dense = times.filter((t) => t >= timeline.denseFrom);
  assert.ok(dense.every((t, i) => i === 0 || t - dense[i - 1]! === DENSE_STEP));
  // Any 5-minute window (t - 300, t] in the dense stretch holds two per-branch and fleet samples.
  for (let t = timeline.denseFrom + 300; t <= end; t += 37) {
    const inWindow = times.filter((s) => s > t - 300 && s <= t);
    assert.equal(inWindow.filter((s) => keepsBranch(timeline, s)).length, 2, `per-branch samples in (${t - 300}, ${t}]`);
    assert.equal(inWindow.filter((s) => keepsFleet(timeline, s)).length, 2);
  }
  // Before it, per-branch counters keep two samples a day at least (daily revenue), fleet series every 5 minutes.
  assert.ok(timeline.branchStep <= 12 * 3600 && timeline.branchRecentStep <= timeline.branchStep);
  assert.ok(times.filter((t) => t < timeline.denseFrom).every((t) => keepsFleet(timeline, t) === (t % 300 === 0)));
});

test('injected scenarios (stack/bench/quiet-week.ts): a slow database fails the API health check; a login burst and an RFID outage are kept every 15 s, only their own counters that often', () => {
  const end = 1_800_000_000 - (1_800_000_000 % 300);
  const start = end - 4 * 3600;
  const burst = { start: (end - 2 * 3600) * 1000, end: (end - 2 * 3600 + 600) * 1000 };
  const slow = { start: (end - 3600) * 1000, end: (end - 1800) * 1000 };
  const rfidOutage = { start: (end - 3 * 3600) * 1000, end: (end - 3 * 3600 + 1200) * 1000 };
  const rfidFine = { from: rfidOutage.start / 1000 - 600, to: rfidOutage.end / 1000 + 900 };
  const timeline = {
    startSeconds: start,
    endSeconds: end,
    denseFrom: start,
    branchStep: 1800,
    branchRecentStep: 1800,
    branchRecentFrom: start,
    fine: [
      { from: burst.start / 1000, to: burst.end / 1000, kind: 'logins' as const },
      { ...rfidFine, kind: 'rfid' as const },
    ],
  };
  const instances = { payments: 'p:1', lms: 'l:1', rfid: 'r:1', pool: 'o:1', api: 'a:1', blackbox: 'b:1', apiHost: 'h:1' };
  const history = buildHistory({
    ...FLEET,
    branches: 2,
    timeline,
    instances,
    injected: { slowDatabase: [slow], failedLogins: [{ episode: burst, perMinute: 12 }], rfidDown: [rfidOutage] },
  });
  const family = (name: string) => history.families.find((f) => f.name === name)!;
  const plainArrays = (x: { times: ArrayLike<number>; values: ArrayLike<number>; labels: Record<string, string> }) => ({
    labels: x.labels,
    times: Array.from(x.times),
    values: Array.from(x.values),
  });
  const logins = plainArrays(family('auth_login_failures_total').series[0]!);
  const inBurst = logins.times.filter((t) => t * 1000 >= burst.start && t * 1000 <= burst.end);
  assert.ok(
    inBurst.every((t, i) => i === 0 || t - inBurst[i - 1]! === 15),
    'the burst is kept every 15 s',
  );
  assert.equal(inBurst.length, 41);
  const at = (t: number) => logins.values[logins.times.indexOf(t)]!;
  const counted = at(burst.end / 1000) - at(burst.start / 1000);
  assert.ok(counted > 12 * 10 * 0.7 && counted < 12 * 10 * 1.3, `${counted} failed logins in 10 minutes at 12 a minute`);
  // Everything else keeps its 150 s step through the burst.
  const probes = family('probe_success').series.map(plainArrays);
  assert.ok(probes[0]!.times.every((t) => t % DENSE_STEP === 0 || t === end));
  const rfid = family('rfid_verifications_total').series.map(plainArrays);
  assert.ok(rfid.length > 0, 'a branch with RFID readers');
  const during = (x: { times: number[] }, from: number, to: number) => x.times.filter((t) => t >= from && t <= to);
  for (const series of rfid)
    assert.ok(
      during(series, burst.start / 1000, burst.end / 1000).every((t) => t % DENSE_STEP === 0),
      'RFID counters keep 150 s through the login burst',
    );
  // The RFID outage: every branch's verification counters every 15 s over it and the minutes around it ...
  for (const series of rfid) {
    const fine = during(series, rfidFine.from, rfidFine.to);
    assert.equal(fine.length, (rfidFine.to - rfidFine.from) / 15 + 1, `${JSON.stringify(series.labels)} every 15 s`);
    assert.ok(fine.every((t, i) => i === 0 || t - fine[i - 1]! === 15));
  }
  // ... with no success while every reader is down, only errors.
  const rfidAt = (result: string, t: number) =>
    rfid.filter((x) => x.labels.result === result).reduce((sum, x) => sum + x.values[x.times.indexOf(t)]!, 0);
  const outageStart = rfidOutage.start / 1000;
  assert.equal(rfidAt('success', rfidOutage.end / 1000) - rfidAt('success', outageStart + 15), 0, 'no success during the outage');
  assert.ok(rfidAt('error', rfidOutage.end / 1000) > rfidAt('error', outageStart), 'errors during the outage');
  // ... and the others keep their steps: payments per branch and the login counter.
  assert.ok(
    family('payments_total')
      .series.map(plainArrays)
      .every((x) => during(x, rfidFine.from, rfidFine.to).every((t) => t % DENSE_STEP === 0)),
    'payments keep 150 s through the RFID outage',
  );
  assert.ok(
    during(logins, rfidFine.from, rfidFine.to).every((t) => t % DENSE_STEP === 0),
    'the login counter keeps 150 s through it',
  );
  // The payments API's health check fails while the database is slow, as the live simulator's does.
  const api = probes.find((p) => p.labels.service === 'payments-api')!;
  const apiAt = (ms: number) => api.values[api.times.indexOf(ms / 1000)];
  assert.equal(apiAt(slow.start + 600_000), 0);
  assert.equal(apiAt(slow.start - 600_000), 1);
  assert.equal(apiAt(slow.end + 600_000), 1);
  // A history without injected bursts has no login counter (the live API's only).
  const plain = buildHistory({ ...FLEET, branches: 2, timeline: { ...timeline, fine: undefined }, instances });
  assert.equal(
    plain.families.find((f) => f.name === 'auth_login_failures_total'),
    undefined,
  );
});

test("a first start's few minutes between the history and the first live scrape are not replayed", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paywatch-small-gap-'));
  try {
    const end = 1_800_000_000;
    writeFileSync(
      join(dir, 'backfill.json'),
      JSON.stringify({
        days: 30,
        startSeconds: end - 30 * DAY,
        endSeconds: end,
        denseFromSeconds: end - 3 * 3600,
        branchStepSeconds: 43200,
        branchRecentStepSeconds: 43200,
        branchRecentFromSeconds: end - 2 * DAY,
        samples: 1,
        samplesWritten: 1,
        ruleSamples: 1,
        instances: {},
        fleet: FLEET,
        liveStartSeconds: end + 4 * 60,
      }),
    );
    assert.equal(await fillHistoryGap({ prometheusDir: dir, now: (end + 10 * 3600) * 1000, log: () => {} }), 0);
    assert.equal(historyState(dir)!.gapFilledUntil, end, 'marked as done: nothing to fill');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('a 30-day backfill imported into a real Prometheus', () => {
  let dir: string;
  let result: BackfillResult;
  let prometheus: RunningServer;
  const now = Date.now();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paywatch-backfill-'));
    const lines: string[] = [];
    result = await runBackfill({ prometheusDir: dir, days: 30, ...FLEET, sampleBudget: 1_200_000, now, log: (line) => lines.push(line) });
    prometheus = await startPrometheus({ dir, config: 'global:\n  scrape_interval: 15s\n', retention: '60d' });
  });
  after(async () => {
    await prometheus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every sample written went in, the history reaches the start (a fresh directory), the marker records it', () => {
    assert.ok(result.samples > 300_000, `${result.samples} samples`);
    assert.equal(result.samples, result.samplesWritten, 'promtool reports as many samples as were written');
    assert.ok(result.ruleSamples > 10_000, `${result.ruleSamples} recording-rule samples`);
    assert.ok(
      result.endSeconds > now / 1000 - DENSE_STEP - 1 && result.endSeconds <= now / 1000,
      'the last sample is the last 150-second boundary before the start',
    );
    assert.ok(result.endSeconds - result.startSeconds >= 30 * DAY && result.endSeconds - result.startSeconds < 30 * DAY + 300);
    assert.deepEqual(historyState(dir), result);
  });

  test('a second backfill into the same directory is refused without --force', async () => {
    await assert.rejects(runBackfill({ prometheusDir: dir, days: 1, ...FLEET, log: () => {} }), /already has 30 days/);
  });

  test('a backfill into a Prometheus that already has its own data is refused (it would overlap)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'paywatch-live-'));
    try {
      const live = await startPrometheus({
        dir: other,
        config: 'global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs: [{ targets: ["127.0.0.1:9"] }]\n',
      });
      await live.stop();
      assert.ok(hasLiveData(other));
      await assert.rejects(runBackfill({ prometheusDir: other, days: 1, ...FLEET, log: () => {} }), /already has data/);
      // Forced, it stays out of the range a running Prometheus's head block may hold.
      const forced = await runBackfill({ prometheusDir: other, days: 1, ...FLEET, branches: 2, force: true, now, log: () => {} });
      assert.ok(forced.endSeconds <= now / 1000 - 3 * 3600, 'the history stops 3 hours before now');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test("sum(increase(payment_amount_total[1d])) has a value on each of the last 30 days, shaped like the model's calendar", async () => {
    // IST days: evaluate at each IST midnight, so each 1d window is one business day.
    const lastMidnight = istDayStart(result.endSeconds * 1000) / 1000;
    const fleet = branchProfiles(FLEET);
    const days: Array<{ date: string; weekday: number; dayOfMonth: number; revenue: number; expected: number }> = [];
    for (let k = 0; k < 30; k++) {
      const t = lastMidnight - k * DAY;
      if (t - DAY < result.startSeconds) continue; // the first, partial day
      const [sample] = await promQuery(prometheus.url, 'sum(increase(payment_amount_total[1d]))', t);
      assert.ok(sample, `a value at ${new Date(t * 1000).toISOString()}`);
      const dayMs = (t - DAY / 2) * 1000;
      const parts = istParts(dayMs);
      days.push({
        date: new Date(dayMs).toISOString().slice(0, 10),
        weekday: parts.weekday,
        dayOfMonth: parts.dayOfMonth,
        revenue: Number(sample.value[1]),
        expected: fleet.reduce((sum, branch) => sum + expectedDailyCollectionInr(branch, dayMs, FLEET.perBranchPerDay), 0),
      });
    }
    assert.ok(days.length >= 29, `${days.length} full days`);
    // Each day's value at the end of its IST day, k = 0 .. 29: every one of the last 30 days has one.
    for (let k = 0; k < 30; k++) {
      const [sample] = await promQuery(prometheus.url, 'sum(increase(payment_amount_total[1d]))', result.endSeconds - k * DAY);
      assert.ok(sample && Number(sample.value[1]) > 0, `day ${k} back has revenue`);
    }
    // The shape follows the model: strongly correlated with the expected daily collection.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const r = (() => {
      const xs = days.map((d) => d.revenue);
      const ys = days.map((d) => d.expected);
      const mx = mean(xs);
      const my = mean(ys);
      const cov = xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i]! - my), 0);
      const vx = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
      const vy = ys.reduce((sum, y) => sum + (y - my) ** 2, 0);
      return cov / Math.sqrt(vx * vy);
    })();
    assert.ok(
      r > 0.9,
      `daily revenue follows the model's calendar (correlation ${r.toFixed(3)})\n${days.map((d) => `${d.date} wd${d.weekday} ${Math.round(d.revenue)} expected ${Math.round(d.expected)}`).join('\n')}`,
    );
    // And the calendar's named features: Sundays are the quietest days of their week.
    const sundays = days.filter((d) => d.weekday === 0);
    const midWeek = days.filter((d) => d.weekday >= 2 && d.weekday <= 4 && d.dayOfMonth > 5 && d.dayOfMonth < 28);
    assert.ok(sundays.length >= 4 && midWeek.length >= 4);
    assert.ok(
      mean(sundays.map((d) => d.revenue)) < 0.7 * mean(midWeek.map((d) => d.revenue)),
      'Sundays collect much less than mid-week days',
    );
    const monthStart = days.filter((d) => d.dayOfMonth >= 1 && d.dayOfMonth <= 5 && d.weekday >= 1 && d.weekday <= 5);
    if (monthStart.length)
      assert.ok(
        mean(monthStart.map((d) => d.revenue)) > mean(midWeek.map((d) => d.revenue)),
        'month-start weekdays (EMI surge) collect more than mid-month ones',
      );
  });

  test('the recording rules are in the history, evaluated by Prometheus from the raw history', async () => {
    const at = result.endSeconds;
    const dense = at - result.denseFromSeconds;
    // Every 5 minutes over the dense stretch, every 15 minutes before; NaN ratios at quiet night
    // hours are left out, and 5-minute rates need the dense stretch's raw samples.
    const count = async (rule: string, seconds: number) =>
      Number((await promQuery(prometheus.url, `max(count_over_time(${rule}[${seconds}s]))`, at))[0]?.value[1] ?? 0);
    for (const rule of [
      'paywatch:payment_success_ratio:rate5m',
      'paywatch:payment_amount_inr:rate5m',
      'channel:payments:rate5m',
      'paywatch:api_request_duration_seconds:p95_5m',
    ]) {
      assert.ok(
        (await count(rule, dense)) >= 0.6 * (dense / 300),
        `${rule}: ${await count(rule, dense)} samples over the last ${dense / 3600} h`,
      );
    }
    const older = (30 * DAY - dense) / 900;
    for (const rule of [
      'paywatch:payment_amount_inr:increase1d',
      'paywatch:availability:ratio_avg5m',
      'paywatch:lms_posting_queue_depth:max5m',
      'paywatch:db_connections_used:ratio',
    ]) {
      assert.ok(
        (await count(rule, 30 * DAY)) >= 0.99 * (older + dense / 300),
        `${rule}: ${await count(rule, 30 * DAY)} samples in 30 days`,
      );
    }
    // (NaN when no payment finished in 5 minutes, as live: left out of the average.)
    const [ratio] = await promQuery(prometheus.url, `avg_over_time((paywatch:payment_success_ratio:rate5m >= 0)[${dense}s:300s])`, at);
    assert.ok(Number(ratio!.value[1]) > 0.9 && Number(ratio!.value[1]) < 1, 'a plausible success ratio');
  });

  test("a recorded value equals the rule's expression evaluated by Prometheus on the raw history at that time", async () => {
    const rules = new Map(loadRecordingRules(defaultRuleFiles()).map((rule) => [rule.record, rule.expr]));
    // The expressions of rules that read raw series, verbatim from the committed file, and one
    // that reads rules of rules, against its meaning spelled out on the raw series.
    const checks: Array<[string, string]> = [
      ['paywatch:payment_amount_inr:increase1d', rules.get('paywatch:payment_amount_inr:increase1d')!],
      ['paywatch:availability:ratio_avg5m', rules.get('paywatch:availability:ratio_avg5m')!],
      ['paywatch:api_error_ratio:rate5m', rules.get('paywatch:api_error_ratio:rate5m')!],
      ['paywatch:payment_failures:increase1h', 'sum(increase(payment_failures_total[1h]))'],
      ['paywatch:payment_success_ratio:rate5m', 'sum(rate(payments_total{status="success"}[5m])) / sum(rate(payments_total[5m]))'],
    ];
    let compared = 0;
    for (const back of [2 * 3600 + 17, 5 * 3600 + 600, 20 * DAY + 1234]) {
      for (const [record, expr] of checks) {
        // The recorded sample's own time, then the expression at exactly that time.
        const [stamp] = await promQuery(prometheus.url, `timestamp(${record})`, result.endSeconds - back);
        if (!stamp) {
          // Before the dense stretch, 5-minute rates over per-branch counters cannot be computed.
          assert.ok(
            back > result.endSeconds - result.denseFromSeconds && /rate5m|increase1h/.test(record),
            `${record} has a sample ${back} s before the end`,
          );
          continue;
        }
        const t = Number(stamp.value[1]);
        const [recorded] = await promQuery(prometheus.url, record, t);
        const [computed] = await promQuery(prometheus.url, expr, t);
        assert.ok(recorded && computed, `${record} and its expression at ${t}`);
        const [a, b] = [Number(recorded.value[1]), Number(computed.value[1])];
        if (Number.isNaN(a) && Number.isNaN(b)) continue; // no payment finished in those 5 minutes: NaN both ways
        assert.ok(
          Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)),
          `${record} at ${new Date(t * 1000).toISOString()}: recorded ${a}, Prometheus computes ${b} from the raw history`,
        );
        compared++;
      }
    }
    assert.ok(compared >= 8, `${compared} comparisons of numbers`);
  });

  test("the history has data up to the start: raw series and the dashboards' recorded series", async () => {
    const end = result.endSeconds;
    for (const query of [
      'sum(payments_total)',
      'paywatch:payment_success_ratio:rate5m',
      'paywatch:payment_amount_inr:rate5m',
      'paywatch:availability:ratio_avg5m',
      'paywatch:payment_failures:increase1h',
    ]) {
      const [sample] = await promQuery(prometheus.url, `timestamp(${query})`, end);
      assert.ok(
        sample && Number(sample.value[1]) > end - 300,
        `${query} has a sample in the last 5 minutes before the start (${sample?.value[1]} vs ${end})`,
      );
    }
    // No hole: every 5 minutes of the last 6 hours the success-rate chart has a value.
    const holes: number[] = [];
    for (let t = end - 6 * 3600; t <= end; t += 300)
      if (!(await promQuery(prometheus.url, 'paywatch:payment_amount_inr:rate5m', t)).length) holes.push(t);
    assert.deepEqual(holes, [], 'no 5-minute step of the last 6 hours without the revenue rate');
  });

  test('the gap up to the first live start is filled later, continuing every series without a reset', async () => {
    const liveStart = result.endSeconds + 3 * 3600 + 120;
    recordLiveStart(dir, liveStart);
    await prometheus.stop();
    const added = await fillHistoryGap({ prometheusDir: dir, now: (liveStart + 2 * 3600) * 1000, log: () => {} });
    assert.equal(added, 0, 'not before the gap is 3 hours old');
    const lines: string[] = [];
    const samples = await fillHistoryGap({ prometheusDir: dir, now: (liveStart + 3 * 3600 + 300) * 1000, log: (line) => lines.push(line) });
    assert.ok(samples > 1000, `${samples} samples fill the gap\n${lines.join('\n')}`);
    const state = historyState(dir)!;
    assert.ok(state.gapFilledUntil! > result.endSeconds && state.gapFilledUntil! < liveStart);
    assert.equal(await fillHistoryGap({ prometheusDir: dir, now: (liveStart + 10 * 3600) * 1000, log: () => {} }), 0, 'only once');
    prometheus = await startPrometheus({ dir, config: 'global:\n  scrape_interval: 15s\n', retention: '60d' });
    const at = state.gapFilledUntil!;
    const [resets] = await promQuery(
      prometheus.url,
      'sum(resets(payments_total[12h])) + sum(resets(payment_amount_total[12h])) + sum(resets(lms_postings_total[12h]))',
      at,
    );
    assert.equal(Number(resets!.value[1]), 0, 'the filled series continue the history: no counter reset');
    const [rule] = await promQuery(prometheus.url, 'count_over_time(paywatch:availability:ratio_avg5m[3h])', at);
    assert.ok(
      Number(rule?.value[1]) >= 35,
      `5-minute samples through the gap (${rule?.value[1]})\n${lines.join('\n')}\n${JSON.stringify(await promQuery(prometheus.url, 'count_over_time(probe_success[3h])', at))}\n${JSON.stringify(await promQuery(prometheus.url, 'count_over_time(paywatch:availability:ratio_avg5m[6h])', at))}`,
    );
    const [ratio] = await promQuery(prometheus.url, 'count_over_time(paywatch:payment_success_ratio:rate5m[3h])', at);
    assert.ok(Number(ratio?.value[1]) >= 30, `the rules over rules through the gap too (${ratio?.value[1]})`);
    const [before] = await promQuery(prometheus.url, 'sum(payment_amount_total)', result.endSeconds);
    const [afterGap] = await promQuery(prometheus.url, 'sum(payment_amount_total)', at);
    assert.ok(Number(afterGap!.value[1]) >= Number(before!.value[1]), 'revenue keeps growing through the gap');
  });
});
