// History backfill: 30 days from the simulator's model into a fresh Prometheus data directory with
// promtool, then a real Prometheus on it: the daily revenue query has a value for each of the last
// 30 days and its day-to-day shape is the model's calendar (quiet Sundays, the month-start surge).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { branchProfiles, expectedDailyCollectionInr, istDayStart, istParts } from '@paywatch/simulator/model';
import { fillHistoryGap, hasLiveData, historyState, recordLiveStart, runBackfill, type BackfillResult } from '../src/backfill/run.ts';
import { formatLabels, writeOpenMetrics } from '../src/backfill/openmetrics.ts';
import { histogramQuantile } from '../src/backfill/history.ts';
import { promQuery, startPrometheus, type RunningServer } from '@paywatch/runtime';

const FLEET = { seed: 42, branches: 10, officersPerBranch: 5, perBranchPerDay: 200 };
const DAY = 86400;

test('OpenMetrics for promtool: families with metadata, series in time order, # EOF at the end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paywatch-om-'));
  try {
    const files = [join(dir, 'a.om'), join(dir, 'b.om')];
    const result = writeOpenMetrics(
      [
        { name: 'payments_total', type: 'counter', help: 'x', series: [1, 2, 3].map((i) => ({ labels: { branch: `BR000${i}`, channel: 'upi' }, times: [100, 200], values: [i, i + 1] })) },
        { name: 'h_seconds', type: 'histogram', help: 'y', series: [{ name: 'h_seconds_bucket', labels: { le: '+Inf' }, times: [100], values: [5] }] },
      ],
      files,
    );
    assert.equal(result.samples, 7);
    const a = readFileSync(files[0]!, 'utf8');
    assert.match(a, /^# HELP payments_total x\n# TYPE payments_total counter\npayments_total\{branch="BR0001",channel="upi"\} 1 100\n/);
    assert.ok(a.endsWith('# EOF\n') && readFileSync(files[1]!, 'utf8').endsWith('# EOF\n'));
    assert.equal(formatLabels({ b: 'x"y', a: 'p\\q' }), '{a="p\\\\q",b="x\\"y"}');
    assert.throws(() => writeOpenMetrics([{ name: 'x', type: 'gauge', help: '', series: [{ labels: {}, times: [2, 1], values: [0, 0] }] }], [join(dir, 'c.om')]), /out of time order/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('histogram_quantile as Prometheus interpolates it', () => {
  assert.equal(histogramQuantile(0.5, [1, 2], [0, 10, 10]), 1.5);
  assert.equal(histogramQuantile(0.95, [1, 2], [10, 10, 20]), 2, 'in the +Inf bucket: the highest bound');
  assert.ok(Number.isNaN(histogramQuantile(0.95, [1], [0, 0])));
});

describe('a 30-day backfill imported into a real Prometheus', () => {
  let dir: string;
  let result: BackfillResult;
  let prometheus: RunningServer;
  const now = Date.now();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paywatch-backfill-'));
    const lines: string[] = [];
    result = await runBackfill({ prometheusDir: dir, days: 30, ...FLEET, sampleBudget: 800_000, now, log: (line) => lines.push(line) });
    prometheus = await startPrometheus({ dir, config: 'global:\n  scrape_interval: 15s\n', retention: '60d' });
  });
  after(async () => {
    await prometheus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every sample written went in, nothing in the last 3 hours, the marker records it', () => {
    assert.ok(result.samples > 300_000, `${result.samples} samples`);
    assert.equal(result.samples, result.samplesWritten, 'promtool reports as many samples as were written');
    assert.ok(result.endSeconds <= now / 1000 - 3 * 3600, 'the history stops 3 hours before now');
    assert.equal(result.endSeconds - result.startSeconds, 30 * DAY);
    assert.deepEqual(historyState(dir), result);
  });

  test('a second backfill into the same directory is refused without --force', async () => {
    await assert.rejects(runBackfill({ prometheusDir: dir, days: 1, ...FLEET, log: () => {} }), /already has 30 days/);
  });

  test('a backfill into a Prometheus that already has its own data is refused (it would overlap)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'paywatch-live-'));
    try {
      const live = await startPrometheus({ dir: other, config: 'global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs: [{ targets: ["127.0.0.1:9"] }]\n' });
      await live.stop();
      assert.ok(hasLiveData(other));
      await assert.rejects(runBackfill({ prometheusDir: other, days: 1, ...FLEET, log: () => {} }), /already has data/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('sum(increase(payment_amount_total[1d])) has a value on each of the last 30 days, shaped like the model\'s calendar', async () => {
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
    assert.ok(r > 0.9, `daily revenue follows the model's calendar (correlation ${r.toFixed(3)})\n${days.map((d) => `${d.date} wd${d.weekday} ${Math.round(d.revenue)} expected ${Math.round(d.expected)}`).join('\n')}`);
    // And the calendar's named features: Sundays are the quietest days of their week.
    const sundays = days.filter((d) => d.weekday === 0);
    const midWeek = days.filter((d) => d.weekday >= 2 && d.weekday <= 4 && d.dayOfMonth > 5 && d.dayOfMonth < 28);
    assert.ok(sundays.length >= 4 && midWeek.length >= 4);
    assert.ok(mean(sundays.map((d) => d.revenue)) < 0.7 * mean(midWeek.map((d) => d.revenue)), 'Sundays collect much less than mid-week days');
    const monthStart = days.filter((d) => d.dayOfMonth >= 1 && d.dayOfMonth <= 5 && d.weekday >= 1 && d.weekday <= 5);
    if (monthStart.length) assert.ok(mean(monthStart.map((d) => d.revenue)) > mean(midWeek.map((d) => d.revenue)), 'month-start weekdays (EMI surge) collect more than mid-month ones');
  });

  test('the recording rules the long-range views read are in the history too', async () => {
    const at = result.endSeconds;
    for (const rule of ['paywatch:payment_success_ratio:rate5m', 'paywatch:payment_amount_inr:increase1d', 'paywatch:availability:ratio_avg5m', 'channel:payments:rate5m']) {
      // 5-minute resolution over the last week, 15-minute before (NaN ratios at quiet night hours are left out).
      const [week] = await promQuery(prometheus.url, `max(count_over_time(${rule}[7d]))`, at);
      const [month] = await promQuery(prometheus.url, `max(count_over_time(${rule}[30d]))`, at);
      const min = rule.includes('ratio:rate5m') ? 0.6 : 0.99;
      assert.ok(Number(week?.value[1]) >= min * 2016, `${rule}: ${week?.value[1]} samples in the last 7 days`);
      assert.ok(Number(month?.value[1]) >= min * (2016 + 23 * 96), `${rule}: ${month?.value[1]} samples in 30 days`);
    }
    const [ratio] = await promQuery(prometheus.url, 'avg_over_time(paywatch:payment_success_ratio:rate5m[30d])', at);
    assert.ok(Number(ratio!.value[1]) > 0.9 && Number(ratio!.value[1]) < 1, 'a plausible success ratio');
    const [recorded] = await promQuery(prometheus.url, 'paywatch:payment_amount_inr:increase1d', at);
    const [raw] = await promQuery(prometheus.url, 'sum(increase(payment_amount_total[1d]))', at);
    assert.ok(Math.abs(Number(recorded!.value[1]) / Number(raw!.value[1]) - 1) < 0.05, 'the recorded daily revenue agrees with the raw counters');
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
    const [resets] = await promQuery(prometheus.url, 'sum(resets(payments_total[12h])) + sum(resets(payment_amount_total[12h])) + sum(resets(lms_postings_total[12h]))', at);
    assert.equal(Number(resets!.value[1]), 0, 'the filled series continue the history: no counter reset');
    const [rule] = await promQuery(prometheus.url, 'count_over_time(paywatch:availability:ratio_avg5m[3h])', at);
    assert.ok(Number(rule!.value[1]) >= 35, `5-minute samples through the gap (${rule!.value[1]})`);
    const [before] = await promQuery(prometheus.url, 'sum(payment_amount_total)', result.endSeconds);
    const [afterGap] = await promQuery(prometheus.url, 'sum(payment_amount_total)', at);
    assert.ok(Number(afterGap!.value[1]) >= Number(before!.value[1]), 'revenue keeps growing through the gap');
  });
});
