// RFID at the counter: branches with readers verify customers' cards; readers send heartbeats.
import type { Rng } from './random.ts';
import { istParts } from './calendar.ts';

export type RfidResult = 'success' | 'denied' | 'error';

/** Relative counter traffic per IST hour (branches open 09:30-17:30). */
const COUNTER = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 1.4, 1.8, 1.6, 1.0, 1.3, 1.5, 1.2, 0.6, 0, 0, 0, 0, 0, 0];

/** Expected verifications per hour at an RFID branch of the given size. */
export function verificationsPerHour(ms: number, size: number): number {
  const { hour, weekday } = istParts(ms);
  if (weekday === 0) return 0;
  return 14 * size * (COUNTER[hour] ?? 0) * (weekday === 6 ? 0.6 : 1);
}

export const HEARTBEAT_SECONDS = 30;

/**
 * Results of verifications at a working reader. A healthy counter stays above the 99 % success
 * KPI: refused cards (lost, expired, someone else's) are rare, reader errors rarer still.
 */
export const VERIFICATION_RESULTS: ReadonlyArray<readonly [RfidResult, number]> = [
  ['success', 0.996],
  ['denied', 0.003],
  ['error', 0.001],
];

/** Share of verifications at a working reader that end with the given result. */
export function verificationShare(result: RfidResult): number {
  return VERIFICATION_RESULTS.find(([r]) => r === result)![1];
}

/** One verification: result and latency; a reader that is down answers errors after a timeout. */
export function sampleVerification(rng: Rng, readerDown: boolean): { result: RfidResult; latencyMs: number } {
  if (readerDown) return { result: 'error', latencyMs: Math.round(3000 + rng.next() * 2000) };
  const result = rng.pick(VERIFICATION_RESULTS);
  return { result, latencyMs: Math.round(Math.min(5000, rng.lognormal(result === 'error' ? 900 : 150, 0.5))) };
}
