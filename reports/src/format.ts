// How numbers and times read in a report: rupees with ₹ and Indian digit grouping (lakh, crore),
// times in IST. IST has no daylight saving, so a fixed +05:30 offset is exact and needs no
// time-zone database.

const INR_WHOLE = new Intl.NumberFormat('en-IN', {
  style: 'currency',
  currency: 'INR',
  maximumFractionDigits: 0,
  minimumFractionDigits: 0,
});
const GROUPED = new Intl.NumberFormat('en-IN', { maximumFractionDigits: 0 });

/** ₹1,23,45,678: whole rupees, lakh/crore grouping. */
export function inr(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return INR_WHOLE.format(Math.round(value));
}

/** ₹1.23 Cr, ₹4.56 L, ₹12,345: for chart axes and tiles where space is short. */
export function inrShort(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const sign = value < 0 ? '-' : '';
  if (abs >= 1e7) return `${sign}₹${trim(abs / 1e7)} Cr`;
  if (abs >= 1e5) return `${sign}₹${trim(abs / 1e5)} L`;
  return inr(value);
}

function trim(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** 1,23,456 (a count, Indian grouping). */
export function count(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return GROUPED.format(Math.round(value));
}

/** 98.73% from a 0-1 ratio. */
export function percent(ratio: number, digits = 2): string {
  if (!Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}

export const IST_OFFSET_SECONDS = 5.5 * 3600;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The IST wall clock of an instant (epoch seconds), as UTC fields of a shifted Date. */
function istClock(epochSeconds: number): Date {
  return new Date((epochSeconds + IST_OFFSET_SECONDS) * 1000);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** 18:05 */
export function istTime(epochSeconds: number, seconds = false): string {
  const d = istClock(epochSeconds);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
}

/** Fri 4 Dec 2026 */
export function istDate(epochSeconds: number): string {
  const d = istClock(epochSeconds);
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** 4 Dec */
export function istDayMonth(epochSeconds: number): string {
  const d = istClock(epochSeconds);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** Fri 4 Dec 2026, 18:05:03 IST */
export function istDateTime(epochSeconds: number): string {
  return `${istDate(epochSeconds)}, ${istTime(epochSeconds, true)} IST`;
}

/** The IST calendar date (YYYY-MM-DD) an instant falls on. */
export function istDay(epochSeconds: number): string {
  const d = istClock(epochSeconds);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Epoch seconds of 00:00 IST on a YYYY-MM-DD date; throws on anything else. */
export function istMidnight(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new Error(`a date must be YYYY-MM-DD (an IST calendar day), got ${JSON.stringify(date)}`);
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = Date.UTC(y, m - 1, d);
  const back = new Date(utc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d)
    throw new Error(`${date} is not a calendar date`);
  return utc / 1000 - IST_OFFSET_SECONDS;
}

/** Text safe inside HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
