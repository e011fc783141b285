// Each branch reconciles the day's cash against the books: opened at 19:00 IST, due next day at
// 12:00; most match in the morning, some run late (overdue), a few end in an exception that stays
// open for a day or three.
import { DAY_MS, HOUR_MS, istTime } from './calendar.ts';
import { Rng } from './random.ts';

export const RECONCILIATION_OPENS_AT_HOUR = 19;
export const RECONCILIATION_DUE_HOUR = 12;

export interface ReconciliationPlan {
  createdAt: number;
  dueAt: number;
  /** When it is settled: matched, or found to be an exception. */
  settledAt: number;
  outcome: 'matched' | 'exception';
  /** For exceptions: when the exception is resolved. */
  resolvedAt: number;
  /** For exceptions: INR missing from the count. */
  shortfallInr: number;
}

export function reconciliationPlan(seed: number, branch: string, dayNumber: number, businessDayMs: number): ReconciliationPlan {
  const rng = Rng.of(seed, 'reconciliation', branch, dayNumber);
  const createdAt = istTime(businessDayMs, RECONCILIATION_OPENS_AT_HOUR) + rng.next() * 30 * 60_000;
  const next = businessDayMs + DAY_MS;
  const dueAt = istTime(next, RECONCILIATION_DUE_HOUR);
  const roll = rng.next();
  if (roll < 0.03) {
    const settledAt = istTime(next, 10) + rng.next() * 1.5 * HOUR_MS;
    return {
      createdAt,
      dueAt,
      settledAt,
      outcome: 'exception',
      resolvedAt: settledAt + (1 + rng.int(3)) * DAY_MS,
      shortfallInr: 100 * (1 + rng.int(50)),
    };
  }
  const settledAt = roll < 0.08 ? istTime(next, 13) + rng.next() * 4 * HOUR_MS : istTime(next, 9, 30) + rng.next() * 2 * HOUR_MS;
  return { createdAt, dueAt, settledAt, outcome: 'matched', resolvedAt: settledAt, shortfallInr: 0 };
}
