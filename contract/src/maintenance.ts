// The monthly planned maintenance window, from the requirements: the second Sunday of the month,
// 02:00-05:00 IST. The simulator takes the payments engine down for it and Alertmanager mutes
// warnings and information for it; both are derived from this one definition, and a test checks
// that they agree on every hour of a year (prometheus/test/maintenance.test.ts).
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

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth'];

/** "second Sunday of the month, 02:00-05:00 IST", for docs and messages. */
export function describeMaintenance(w: MaintenanceWindow = MAINTENANCE): string {
  const day = WEEKDAYS[w.weekday]!;
  return `${ORDINALS[w.occurrence - 1]} ${day[0]!.toUpperCase()}${day.slice(1)} of the month, ${hhmm(w.startHour)}-${hhmm(w.endHour)} IST`;
}
