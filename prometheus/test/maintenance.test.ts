// The simulator's planned maintenance, Alertmanager's mute interval and Prometheus's recorded
// window (paywatch:maintenance_window:active, the source of the PlannedMaintenance inhibitions) are
// the same window: the simulator takes the payments engine down exactly when Alertmanager mutes
// warnings and Prometheus explains the outage. Prometheus's expression is evaluated by a real
// Prometheus at every half hour of 2026. The
// committed prometheus/alertmanager.yml is read back and its time interval interpreted the way
// Alertmanager documents it (weekdays, days_of_month ranges, times [start, end), location), then
// compared with the simulator on every hour (and every half hour, to see the edges) of 2026.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { MAINTENANCE_INTERVAL_NAME } from '@paywatch/kpi';
import { repoRoot, startPrometheus } from '@paywatch/runtime';
import { inMaintenanceWindow } from '@paywatch/simulator/model';

interface TimeRange {
  weekdays?: string[];
  days_of_month?: string[];
  months?: string[];
  times?: Array<{ start_time: string; end_time: string }>;
  location?: string;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** Local wall-clock parts in a time zone, from the platform's time-zone database (not our offset). */
function wallClock(ms: number, zone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      weekday: 'long',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return {
    weekday: parts.weekday!.toLowerCase(),
    month: Number(parts.month),
    day: Number(parts.day),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

function inRanges(value: number, ranges: string[] | undefined, names?: string[]): boolean {
  if (!ranges) return true;
  return ranges.some((r) => {
    const [a, b = a] = r.split(':').map((x) => (names ? names.indexOf(x) + 1 || Number(x) : Number(x)));
    return value >= a! && value <= b!;
  });
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether Alertmanager's time interval covers the instant (its documented semantics). */
function alertmanagerMutes(ranges: TimeRange[], ms: number): boolean {
  return ranges.some((r) => {
    const local = wallClock(ms, r.location ?? 'UTC');
    if (
      r.weekdays &&
      !r.weekdays.some((w) =>
        inRanges(WEEKDAYS.indexOf(local.weekday), [
          w
            .split(':')
            .map((d) => String(WEEKDAYS.indexOf(d)))
            .join(':'),
        ]),
      )
    )
      return false;
    if (!inRanges(local.day, r.days_of_month)) return false;
    if (!inRanges(local.month, r.months, MONTHS)) return false;
    if (r.times && !r.times.some((t) => local.minutes >= toMinutes(t.start_time) && local.minutes < toMinutes(t.end_time))) return false;
    return true;
  });
}

test('the simulator and Alertmanager agree on the maintenance window on every hour of 2026', () => {
  const config = parse(readFileSync(join(repoRoot, 'prometheus/alertmanager.yml'), 'utf8')) as {
    time_intervals: Array<{ name: string; time_intervals: TimeRange[] }>;
  };
  const interval = config.time_intervals.find((t) => t.name === MAINTENANCE_INTERVAL_NAME);
  assert.ok(interval, `prometheus/alertmanager.yml has no time interval ${MAINTENANCE_INTERVAL_NAME}`);
  const start = Date.parse('2026-01-01T00:00:00+05:30');
  const end = Date.parse('2027-01-01T00:00:00+05:30');
  const disagree: string[] = [];
  let muted = 0;
  for (let ms = start; ms < end; ms += 30 * 60_000) {
    const am = alertmanagerMutes(interval.time_intervals, ms);
    if (am) muted++;
    if (am !== inMaintenanceWindow(ms)) disagree.push(`${new Date(ms).toISOString()} alertmanager=${am}`);
  }
  assert.deepEqual(disagree, []);
  // 12 months x 3 hours x 2 half hours: the requirement's window, not an empty one.
  assert.equal(muted, 72);
});

test('Prometheus records the same window (the generated rule, evaluated by a real Prometheus at every half hour of 2026)', async () => {
  const rules = parse(readFileSync(join(repoRoot, 'prometheus/rules/recording.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ record?: string; expr: string }> }>;
  };
  const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.record === 'paywatch:maintenance_window:active');
  assert.ok(rule, 'prometheus/rules/recording.yml records paywatch:maintenance_window:active');
  const prometheus = await startPrometheus({ dir: mkdtempSync(join(tmpdir(), 'paywatch-maintenance-')), config: 'global: {}\n' });
  try {
    const start = Date.parse('2026-01-01T00:00:00+05:30') / 1000;
    const end = Date.parse('2027-01-01T00:00:00+05:30') / 1000;
    const active = new Set<number>();
    // Prometheus answers at most 11,000 points per range query: two halves of the year.
    for (const [from, to] of [
      [start, start + 183 * 86400],
      [start + 183 * 86400 + 1800, end - 1800],
    ] as const) {
      const body = new URLSearchParams({ query: rule.expr, start: String(from), end: String(to), step: '1800' });
      const response = (await (await fetch(`${prometheus.url}/api/v1/query_range`, { method: 'POST', body })).json()) as {
        status: string;
        error?: string;
        data: { result: Array<{ values: Array<[number, string]> }> };
      };
      assert.equal(response.status, 'success', response.error);
      for (const series of response.data.result) for (const [t] of series.values) active.add(t * 1000);
    }
    const disagree: string[] = [];
    for (let ms = start * 1000; ms < end * 1000; ms += 30 * 60_000)
      if (active.has(ms) !== inMaintenanceWindow(ms)) disagree.push(`${new Date(ms).toISOString()} prometheus=${active.has(ms)}`);
    assert.deepEqual(disagree, []);
    assert.equal(active.size, 72);
  } finally {
    await prometheus.stop();
  }
});
