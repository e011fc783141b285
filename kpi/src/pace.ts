// "On track for today's target" (the contract's COLLECTIONS_PACE): the usual intraday curve of the
// same weekday, today's projection, and the business early warning when collections run well
// behind it. Generated into prometheus/rules/pace.yml.
//
//   close      paywatch:collected_day_close_inr:sum — today's collections, only in the day's last hour
//   usual      paywatch:collections_usual_share:ratio — what share of the day's total the same
//              weekday had collected by this time of day, over the last weeks (sum of so-far / sum of closes)
//   projected  paywatch:collections_projected_inr:sum = collected today / usual share
//   KPI        paywatch:collections_projected_vs_target:ratio = projected / today's target
//
// Offsets are whole weeks, so "by this time of day on the same weekday" is `offset 7d`, `14d`...;
// the close of the day a week ago is the last close sample in the day starting a week ago.
import { COLLECTIONS_PACE, kpi } from '@paywatch/contract';
import { pct } from './alert-labels.ts';
import type { AlertDefinition } from './alerts.ts';
import type { RecordingGroup } from './recording.ts';

const COLLECTED = 'paywatch:collected_today_inr:sum';
const TARGET = 'paywatch:daily_target_inr:sum';
export const CLOSE = 'paywatch:collected_day_close_inr:sum';
export const USUAL_SHARE = 'paywatch:collections_usual_share:ratio';
export const PROJECTED = 'paywatch:collections_projected_inr:sum';
const ON_TRACK = kpi('collections_on_track');

const p = COLLECTIONS_PACE;
/** Seconds since the business day's midnight. */
const secondOfDay = `(vector(time() + ${p.utcOffsetMinutes * 60}) % 86400)`;
const closeFrom = (24 - p.closeHours) * 3600;
const weeks = Array.from({ length: p.weeks }, (_, i) => i + 1);

/** Sum over the weeks that have data (a week missing from the history does not blank the sum). */
const overWeeks = (term: (week: number) => string) =>
  `sum(${weeks.map((w) => `label_replace(${term(w)}, "week", "${w}", "", "")`).join(' or ')})`;

export function paceRecordingGroups(): RecordingGroup[] {
  return [
    {
      name: 'paywatch.collections.pace',
      interval: '1m',
      rules: [
        {
          record: CLOSE,
          expr: `${COLLECTED} and on () (${secondOfDay} >= ${closeFrom})`,
          note: "Today's collections in the day's last hour only: its last sample is the day's close.",
        },
        {
          record: USUAL_SHARE,
          expr: `${overWeeks((w) => `${COLLECTED} offset ${7 * w}d`)} / ${overWeeks((w) => `last_over_time(${CLOSE}[1d] offset ${7 * w - 1}d)`)}`,
          note: `Share of the day's collections the same weekday had by this time, over the last ${p.weeks} weeks (weighted by their totals). In the day's last hour the window a week back would reach the next day's close: the projection uses today's own figure then.`,
        },
        {
          record: PROJECTED,
          expr:
            `(${COLLECTED} / (${USUAL_SHARE} >= ${p.minUsualShare}) and on () (${secondOfDay} < ${closeFrom}))` +
            ` or (${COLLECTED} and on () (${secondOfDay} >= ${closeFrom}))`,
          note: `Absent before a usual day's first ${p.minUsualShare * 100}% is in (a few early payments are not a trend).`,
        },
        { record: ON_TRACK.series, expr: `${PROJECTED} / (${TARGET} > 0)` },
      ],
    },
  ];
}

export function paceAlerts(): AlertDefinition[] {
  return [
    {
      name: 'CollectionsBehindPace',
      category: 'collections',
      team: 'finance',
      expr: (t) => `${ON_TRACK.series} < ${t} and on () ${USUAL_SHARE} >= ${p.alertMinUsualShare}`,
      for: '30m',
      levels: [{ severity: 'info', incidentClass: 'Sev4', threshold: ON_TRACK.critical! }],
      summary: (t) => `Collections are on course for under ${pct(t)} of today's target`,
      description: (t) =>
        `At the pace of the usual ${p.weeks} same weekdays, today's collections will reach {{ $value | humanizePercentage }} of today's target by the end of the day (early warning below ${pct(t)})` +
        `{{ with query "${COLLECTED}" }}; collected so far: ₹{{ . | first | value | printf "%.0f" }}{{ end }}.`,
      impact: 'The day will end well short of its collection target unless branches and field officers step up collections today.',
    },
  ];
}
