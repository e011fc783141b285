// Mandate registrations: when a loan is disbursed the customer authorises auto-debit of its EMIs,
// by UPI AutoPay (approved in their UPI app, answered in seconds to minutes) or NACH (an e-mandate
// through the sponsor bank, answered within hours). A healthy fleet stays above the 95 % target:
// most failures are customers abandoning the approval or details typed wrong at the branch.
import type { Rng } from './random.ts';
import { istParts } from './calendar.ts';

export const MANDATE_CHANNELS = ['upi_autopay', 'nach'] as const;
export type MandateChannel = (typeof MANDATE_CHANNELS)[number];
export type MandateFailure = 'rejected_by_bank' | 'invalid_details' | 'customer_abandoned' | 'technical_error';

/** Relative disbursals (and so registrations) per IST hour: branch hours, 10:00-18:00. */
const BRANCH_HOURS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 1.2, 1.6, 1.5, 1.0, 1.3, 1.4, 1.1, 0.6, 0, 0, 0, 0, 0, 0];

/** New loans a day per unit of branch size, and how their mandates are registered. */
const REGISTRATIONS_PER_DAY = 10;
const CHANNEL_SHARE: Record<MandateChannel, number> = { upi_autopay: 0.6, nach: 0.4 };

/** Expected registrations per hour at a branch of the given size (none on Sundays, fewer on Saturdays). */
export function registrationsPerHour(channel: MandateChannel, ms: number, size: number): number {
  const { hour, weekday } = istParts(ms);
  if (weekday === 0) return 0;
  return (REGISTRATIONS_PER_DAY * size * CHANNEL_SHARE[channel] * (BRANCH_HOURS[hour] ?? 0) * (weekday === 6 ? 0.5 : 1)) / 10;
}

/** Outcomes under normal conditions; the rest succeed. */
const FAILURES: Record<MandateChannel, ReadonlyArray<readonly [MandateFailure, number]>> = {
  upi_autopay: [
    ['customer_abandoned', 0.015],
    ['rejected_by_bank', 0.007],
    ['technical_error', 0.003],
  ],
  nach: [
    ['invalid_details', 0.012],
    ['rejected_by_bank', 0.01],
    ['technical_error', 0.003],
  ],
};

/** Probability that a registration on the channel succeeds under normal conditions. */
export function registrationSuccessProbability(channel: MandateChannel): number {
  return 1 - FAILURES[channel].reduce((sum, [, p]) => sum + p, 0);
}

/** One registration: its failure reason (null: success) and how long the answer takes, in seconds. */
export function sampleRegistration(rng: Rng, channel: MandateChannel): { reason: MandateFailure | null; answerSeconds: number } {
  const success = registrationSuccessProbability(channel);
  const reason = rng.next() < success ? null : rng.pick(FAILURES[channel]);
  const answerSeconds = channel === 'upi_autopay' ? rng.lognormal(45, 0.8) : rng.lognormal(2 * 3600, 0.6);
  return { reason, answerSeconds: Math.min(channel === 'upi_autopay' ? 1800 : 86_400, answerSeconds) };
}
