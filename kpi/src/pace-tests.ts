// promtool tests of "on track for today's target" (pace.ts), hour by hour over weeks of a made-up
// business: weekdays collect a fifth in the early-morning NACH batch, then evenly 09:00-20:00 IST;
// Sundays evenly 10:00-18:00 IST only. The inputs are the recorded fleet series the pace rules read
// (collected today, today's target), so that promtool evaluates only pace.yml and alerts.yml.
// 1970-01-01 (time 0) was a Thursday; Feb 1 1970 a Sunday; Apr 1 1970 a Wednesday and a month start.
import type { AlertCase, RecordingCase, Series, TestFile } from './rule-tests.ts';

const HOUR = 3600;
const IST = 5.5 * HOUR;

/** Share of a day's collections in by IST hour `h` (fractional). */
function usualCurve(weekday: number, h: number): number {
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  if (weekday === 0) return clamp((h - 10) / 8);
  if (h < 6) return 0;
  if (h < 9) return 0.2;
  return clamp(0.2 + (0.8 * (h - 9)) / 11);
}

/** Hourly samples from time 0 for `days` days; `total(day)` and `target(day)` by IST day index. */
function business(days: number, total: (day: number, weekday: number) => number, target: (day: number) => number): Series[] {
  const collected: number[] = [];
  const targets: number[] = [];
  for (let t = 0; t <= days * 24 * HOUR; t += HOUR) {
    const local = t + IST;
    const day = Math.floor(local / (24 * HOUR));
    const weekday = (4 + day) % 7;
    const h = (local % (24 * HOUR)) / HOUR;
    collected.push(Math.round(total(day, weekday) * usualCurve(weekday, h)));
    targets.push(target(day));
  }
  return [
    { series: 'paywatch:collected_today_inr:sum', values: collected.join(' ') },
    { series: 'paywatch:daily_target_inr:sum', values: targets.join(' ') },
  ];
}

const FEB_1 = 31; // IST day index of Sunday 1970-02-01
const APR_1 = 90; // IST day index of Wednesday 1970-04-01, a month start

/** A Sunday collecting 60% of its usual 1 lakh against a 1 lakh target. */
const slowSunday = business(
  FEB_1 + 1,
  (day) => (day === FEB_1 ? 60_000 : 100_000),
  () => 100_000,
);
/** Every day as usual. */
const usualDays = business(
  FEB_1 + 1,
  () => 100_000,
  () => 100_000,
);
/** A month start collecting twice a usual day, against a target twice as high. */
const monthStart = business(
  APR_1 + 1,
  (day) => (day === APR_1 ? 200_000 : 100_000),
  (day) => (day === APR_1 ? 200_000 : 100_000),
);

const value = (expr: string, evalTime: string, v: number) => ({
  expr: `round(${expr} * 10000)`,
  evalTime,
  samples: [{ labels: '{}', value: v }],
});

const RECORDING: RecordingCase[] = [
  {
    name: "on a slow Sunday at 13:30 IST: the usual Sunday curve (43.75% by then, not a weekday's 52.7%) projects 60% of the target",
    evalTime: '31d8h',
    input: slowSunday,
    checks: [
      value('paywatch:collections_usual_share:ratio', '31d8h', 4375),
      value('paywatch:collections_projected_inr:sum / 100000', '31d8h', 6000),
      value('paywatch:collections_projected_vs_target:ratio', '31d8h', 6000),
      // 09:30 IST: a Sunday has collected nothing yet by then: no projection.
      { expr: 'paywatch:collections_projected_vs_target:ratio', evalTime: '31d4h', samples: [] },
    ],
  },
  {
    name: "on a month start collecting twice a usual Wednesday, against twice the target: on track at 13:30 IST (the curve's shape, not its level)",
    evalTime: '90d8h',
    input: monthStart,
    checks: [
      value('paywatch:collections_usual_share:ratio', '90d8h', 5273),
      value('paywatch:collections_projected_vs_target:ratio', '90d8h', 10000),
    ],
  },
];

const ALERTS_CASES: AlertCase[] = [
  {
    alert: 'CollectionsBehindPace',
    name: 'a usual Sunday: on track, nothing',
    input: usualDays,
    evalTime: '31d8h',
    expect: [],
  },
  {
    alert: 'CollectionsBehindPace',
    name: 'a slow Sunday on course for 60% of its target, for 30 minutes past a fifth of a usual day',
    input: slowSunday,
    evalTime: '31d8h',
    expect: [
      {
        incidentClass: 'Sev4',
        description:
          "At the pace of the usual 4 same weekdays, today's collections will reach 60% of today's target by the end of the day (early warning below 80%); collected so far: ₹26250.",
      },
    ],
  },
];

export const PACE_TEST_FILES: TestFile[] = [
  { file: 'pace.test.yml', interval: '1h', ruleFiles: ['pace.yml'], alertCases: [], recordingCases: RECORDING },
  {
    file: 'pace-alerts.test.yml',
    interval: '1h',
    ruleFiles: ['pace.yml', 'alerts.yml'],
    recordingFirst: true,
    alertCases: ALERTS_CASES,
    recordingCases: [],
  },
];
