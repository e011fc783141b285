// Business time is Indian Standard Time (UTC+05:30, no daylight saving), so IST arithmetic is a
// fixed offset: no time-zone database needed, and the same in Node and in SQL ('Asia/Kolkata').

export const IST_OFFSET_MS = 5.5 * 3600_000;
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

export interface IstParts {
  year: number;
  /** 1-12 */
  month: number;
  /** 1-31 */
  dayOfMonth: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
  /** 0-23 */
  hour: number;
  /** Fractional hour of day, 0 ≤ x < 24. */
  hourOfDay: number;
}

export function istParts(ms: number): IstParts {
  const shifted = new Date(ms + IST_OFFSET_MS);
  const hourOfDay =
    (shifted.getUTCHours() * 3600_000 + shifted.getUTCMinutes() * 60_000 + shifted.getUTCSeconds() * 1000 + shifted.getUTCMilliseconds()) /
    HOUR_MS;
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    dayOfMonth: shifted.getUTCDate(),
    weekday: shifted.getUTCDay(),
    hour: shifted.getUTCHours(),
    hourOfDay,
  };
}

/** Epoch ms of 00:00 IST of the business day containing `ms`. */
export function istDayStart(ms: number): number {
  return Math.floor((ms + IST_OFFSET_MS) / DAY_MS) * DAY_MS - IST_OFFSET_MS;
}

/** The IST business day as YYYY-MM-DD. */
export function istDate(ms: number): string {
  return new Date(istDayStart(ms) + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Epoch ms of hh:mm IST on the business day containing `dayMs`. */
export function istTime(dayMs: number, hours: number, minutes = 0): number {
  return istDayStart(dayMs) + hours * HOUR_MS + minutes * 60_000;
}

/**
 * Weekday hours in which every part of the business is at work: counters open 09:30-17:30 IST,
 * field visits, RFID verifications and mandate registrations by day. Starting at 10:30 gives the
 * first hour's events before; ending at 15:30 leaves two hours of all of it after.
 */
export const WORKING_HOURS = { from: 10.5, to: 15.5 } as const;

/** `ms` if it falls on a weekday within WORKING_HOURS (IST), else their start on the next weekday. */
export function workingHoursFrom(ms: number): number {
  const { weekday, hourOfDay } = istParts(ms);
  const weekend = weekday === 0 || weekday === 6;
  if (!weekend && hourOfDay >= WORKING_HOURS.from && hourOfDay < WORKING_HOURS.to) return ms;
  let day = !weekend && hourOfDay < WORKING_HOURS.from ? ms : ms + DAY_MS;
  while (istParts(day).weekday === 0 || istParts(day).weekday === 6) day += DAY_MS;
  const hours = Math.floor(WORKING_HOURS.from);
  return istTime(day, hours, (WORKING_HOURS.from - hours) * 60);
}

/** Index of the IST day since the epoch: a stable key for per-day random streams. */
export function istDayNumber(ms: number): number {
  return Math.floor((ms + IST_OFFSET_MS) / DAY_MS);
}

/**
 * The monthly maintenance window: the contract's one definition (second Sunday of the month,
 * 02:00-05:00 IST), which Alertmanager's mute interval is generated from too. The payments engine
 * is down for it (its /health answers 503) while Alertmanager mutes warnings and information.
 */
export { inMaintenanceWindow } from '@paywatch/contract';
