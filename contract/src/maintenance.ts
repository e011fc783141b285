// The monthly planned maintenance window, from the requirements: the second Sunday of the month,
// 02:00-05:00 IST. The simulator takes the payments engine down for it, Prometheus records it
// (maintenancePromql: the alerts it explains are inhibited) and Alertmanager mutes warnings and
// information for it; all are derived from this one definition, and tests check that they agree
// on every half hour of a year (prometheus/test/maintenance.test.ts).
//
// No imports: the Grafana app (plugin/) may read this file by path.

export interface MaintenanceWindow {
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Which occurrence of that weekday in the month (1 = first, the 1st-7th; 2 = second, 8th-14th …). */
  occurrence: number;
  /** Start and end hour (IST, 0-24), end exclusive. */
  startHour: number;
  endHour: number;
  /** The time zone it is stated in; India has no daylight saving, so a fixed offset. */
  location: 'Asia/Kolkata';
  utcOffsetMinutes: 330;
}

export const MAINTENANCE: MaintenanceWindow = {
  weekday: 0,
  occurrence: 2,
  startHour: 2,
  endHour: 5,
  location: 'Asia/Kolkata',
  utcOffsetMinutes: 330,
};

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

/** Whether epoch milliseconds `ms` fall inside the window. */
export function inMaintenanceWindow(ms: number, w: MaintenanceWindow = MAINTENANCE): boolean {
  const local = new Date(ms + w.utcOffsetMinutes * 60_000);
  const day = local.getUTCDate();
  const hour = local.getUTCHours() + local.getUTCMinutes() / 60 + local.getUTCSeconds() / 3600 + local.getUTCMilliseconds() / 3_600_000;
  return local.getUTCDay() === w.weekday && Math.ceil(day / 7) === w.occurrence && hour >= w.startHour && hour < w.endHour;
}

/** Alertmanager's `time_intervals` entry for the window (its config format). */
export interface AlertmanagerTimeRange {
  weekdays?: string[];
  days_of_month?: string[];
  months?: string[];
  times?: Array<{ start_time: string; end_time: string }>;
  location?: string;
}

const hhmm = (hour: number) => `${String(hour).padStart(2, '0')}:00`;

export function maintenanceTimeIntervals(w: MaintenanceWindow = MAINTENANCE): AlertmanagerTimeRange[] {
  const first = (w.occurrence - 1) * 7 + 1;
  return [
    {
      weekdays: [WEEKDAYS[w.weekday]!],
      days_of_month: [`${first}:${first + 6}`],
      times: [{ start_time: hhmm(w.startHour), end_time: hhmm(w.endHour) }],
      location: w.location,
    },
  ];
}

/**
 * The window as a PromQL expression: 1 (no labels) while the window is on, nothing otherwise;
 * `afterMinutes` extends it past its end (the aftermath of a planned downtime). Prometheus reads only
 * its own clock here (time() shifted to the window's zone), so the expression needs no series, does
 * not depend on rule evaluation order, and evaluates the same over backfilled history as live.
 */
export function maintenancePromql(w: MaintenanceWindow = MAINTENANCE, afterMinutes = 0): string {
  const local = `vector(time() + ${w.utcOffsetMinutes * 60})`;
  const first = (w.occurrence - 1) * 7 + 1;
  const end = w.endHour * 60 + afterMinutes;
  if (end > 24 * 60)
    throw new Error(`the maintenance window plus ${afterMinutes} min crosses midnight: extend maintenancePromql to the next day`);
  const minuteOfDay = `(hour(${local}) * 60 + minute(${local}))`;
  return [
    'vector(1)',
    `(day_of_week(${local}) == ${w.weekday})`,
    `(day_of_month(${local}) >= ${first} <= ${first + 6})`,
    `(${minuteOfDay} >= ${w.startHour * 60} < ${end})`,
  ].join(' and on () ');
}

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth'];

/** "second Sunday of the month, 02:00-05:00 IST", for docs and messages. */
export function describeMaintenance(w: MaintenanceWindow = MAINTENANCE): string {
  const day = WEEKDAYS[w.weekday]!;
  return `${ORDINALS[w.occurrence - 1]} ${day[0]!.toUpperCase()}${day.slice(1)} of the month, ${hhmm(w.startHour)}-${hhmm(w.endHour)} IST`;
}
