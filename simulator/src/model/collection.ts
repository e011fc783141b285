// Cash in the field: an officer collects, the customer confirms with an OTP, and the branch
// confirms the cash when the officer hands it in (evening, or the next morning when late).
import { HOUR_MS, istParts, istTime, DAY_MS } from './calendar.ts';
import { hash32, type Rng } from './random.ts';

export type OtpStatus = 'verified' | 'failed' | 'expired';

export const OTP_PROBABILITIES: ReadonlyArray<readonly [OtpStatus, number]> = [
  ['verified', 0.975],
  ['failed', 0.015],
  ['expired', 0.01],
];

export function sampleOtp(rng: Rng): { status: OtpStatus; attempts: number } {
  const status = rng.pick(OTP_PROBABILITIES);
  const attempts = status === 'verified' ? (rng.chance(0.9) ? 1 : 2) : status === 'failed' ? 3 : 1;
  return { status, attempts };
}

/** How an officer's share of the branch's collections varies: some officers collect much more. */
export function officerWeight(seed: number, officer: string): number {
  return 0.5 + (hash32(seed, 'officer', officer) % 1000) / 1000;
}

/**
 * When the branch confirms cash collected at `collectedMs`: collections before 17:00 IST are
 * confirmed when the officer returns (17:30-20:00); later ones the next morning (09:30-11:00);
 * about 1 % wait an extra day (a missing officer, a discrepancy being checked).
 */
export function confirmationTime(rng: Rng, collectedMs: number): number {
  const { hourOfDay } = istParts(collectedMs);
  let at =
    hourOfDay < 17
      ? istTime(collectedMs, 17, 30) + rng.next() * 2.5 * HOUR_MS
      : istTime(collectedMs + DAY_MS, 9, 30) + rng.next() * 1.5 * HOUR_MS;
  if (rng.chance(0.01)) at += DAY_MS;
  return Math.max(at, collectedMs + 60_000);
}

/** Seconds until a failed or expired OTP is given up (the OTP lives 5 minutes). */
export function otpGiveUpSeconds(rng: Rng): number {
  return 60 + rng.next() * 240;
}
