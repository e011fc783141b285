// "On track for today's target": today's collections projected to the end of the day with the
// usual intraday curve of the same weekday over the last weeks, against today's target. kpi/
// generates the rules and the early-warning alert from this; the KPI (kpis.ts,
// collections_on_track) is the projection over the target.
//
// No imports: the Grafana app (plugin/) may read this file by path.

export const COLLECTIONS_PACE = {
  /** Same weekday, this many weeks back, make the usual curve. */
  weeks: 4,
  /** The business day is India's (IST, no daylight saving). */
  utcOffsetMinutes: 330,
  /** The day's close is read from its last hour (its collections by then are the day's total, but for minutes). */
  closeHours: 1,
  /**
   * Share of the usual day's collections that must be in before a projection is made: before it,
   * a few early payments would be scaled up by a large factor.
   */
  minUsualShare: 0.05,
  /** The early warning waits for this share of a usual day: early hours are too noisy to call. */
  alertMinUsualShare: 0.2,
} as const;
