// How customers pay: each channel's share of a branch's repayments, when in the day they happen,
// how the calendar moves them, what they cost, how long they take and how they fail.
import { GATEWAYS } from '@paywatch/contract';
import { istParts, istTime } from './calendar.ts';
import type { Rng } from './random.ts';

export const CHANNELS = ['cash', 'upi', 'upi_autopay', 'qr', 'bbps', 'nach', 'card', 'netbanking'] as const;
export type Channel = (typeof CHANNELS)[number];

// The gateways are the contract's (the probes, alerts and dashboards name the same ones).
export { GATEWAYS };
export type Gateway = (typeof GATEWAYS)[number];

export const FAILURE_REASONS = [
  'insufficient_funds',
  'mandate_error',
  'gateway_timeout',
  'declined',
  'otp_failed',
  'technical_error',
  'cancelled',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Share of a typical weekday's repayment attempts by channel (sums to 1). */
export const CHANNEL_SHARES: Readonly<Record<Channel, number>> = {
  cash: 0.38,
  upi: 0.22,
  upi_autopay: 0.08,
  qr: 0.08,
  bbps: 0.04,
  nach: 0.12,
  card: 0.04,
  netbanking: 0.04,
};

/** Mandate debits presented by the lender in the early-morning batch, not initiated by customers. */
export const SCHEDULED_CHANNELS: ReadonlySet<Channel> = new Set(['nach', 'upi_autopay']);
/** Card and net banking go through one of the two payment gateways. */
export const GATEWAY_CHANNELS: ReadonlySet<Channel> = new Set(['card', 'netbanking']);
/** The share of gateway traffic routed to each gateway. */
export const GATEWAY_SHARES: ReadonlyArray<readonly [Gateway, number]> = [
  ['gateway_a', 0.6],
  ['gateway_b', 0.4],
];

// Relative activity per IST hour (0-23). Customers pay from their phones through the day with a
// late-morning peak and quiet nights; officers collect cash in field hours; the mandate batch is
// presented between 05:00 and 07:00.
const SELF_SERVICE = [
  0.15, 0.08, 0.05, 0.05, 0.06, 0.1, 0.3, 0.6, 1.0, 1.6, 2.3, 2.6, 2.3, 1.9, 1.8, 1.8, 1.7, 1.6, 1.5, 1.4, 1.2, 0.9, 0.6, 0.3,
];
const FIELD = [0, 0, 0, 0, 0, 0, 0, 0, 0.3, 1.0, 2.2, 2.6, 2.2, 1.4, 1.8, 1.8, 1.5, 0.9, 0.3, 0, 0, 0, 0, 0];
const MANDATE_BATCH = [0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

function normalise(weights: number[]): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => w / total);
}

const HOUR_PROFILES: Record<Channel, number[]> = {
  cash: normalise(FIELD),
  upi: normalise(SELF_SERVICE),
  qr: normalise(SELF_SERVICE),
  bbps: normalise(SELF_SERVICE),
  card: normalise(SELF_SERVICE),
  netbanking: normalise(SELF_SERVICE),
  nach: normalise(MANDATE_BATCH),
  upi_autopay: normalise(MANDATE_BATCH),
};

/** Fraction of the channel's daily attempts that start in the given IST hour (sums to 1 over 0-23). */
export function hourShare(channel: Channel, hour: number): number {
  return HOUR_PROFILES[channel][hour] ?? 0;
}

/**
 * How the calendar scales a channel's day against a typical weekday: EMIs fall due at the start of
 * the month (mandate batches surge on the 1st-5th, 10th and 15th, self-service after salary day),
 * officers rest on Sundays, and no mandate is presented on a Sunday.
 */
export function dayFactor(channel: Channel, ms: number): number {
  const { weekday, dayOfMonth } = istParts(ms);
  if (SCHEDULED_CHANNELS.has(channel)) {
    if (weekday === 0) return 0;
    const surge = [0, 2.6, 2.2, 1.8, 1.4, 1.2][dayOfMonth] ?? (dayOfMonth === 10 ? 1.6 : dayOfMonth === 15 ? 1.3 : 0.55);
    return surge;
  }
  const salary = dayOfMonth <= 7 ? 1.35 : dayOfMonth >= 28 ? 1.1 : 0.95;
  if (channel === 'cash') return salary * (weekday === 0 ? 0.1 : weekday === 6 ? 0.7 : 1);
  return salary * (weekday === 0 ? 0.55 : weekday === 6 ? 0.8 : 1);
}

/**
 * Expected repayment attempts per hour for one branch and channel at instant `ms`, for a branch
 * of the given size (1 = average) that sees `perBranchPerDay` attempts on a typical weekday.
 */
export function expectedAttemptsPerHour(channel: Channel, ms: number, size: number, perBranchPerDay: number): number {
  return perBranchPerDay * size * CHANNEL_SHARES[channel] * dayFactor(channel, ms) * hourShare(channel, istParts(ms).hour);
}

/** Median repayment in INR by channel: small weekly instalments in cash, larger EMIs elsewhere. */
export const AMOUNT_MEDIAN_INR: Readonly<Record<Channel, number>> = {
  cash: 1800,
  upi: 2500,
  qr: 2000,
  bbps: 3000,
  upi_autopay: 3500,
  nach: 4200,
  card: 6500,
  netbanking: 7500,
};
const AMOUNT_SIGMA = 0.45;
/** Mean of the log-normal amount distribution (median × e^(σ²/2)). */
export function meanAmountInr(channel: Channel): number {
  return AMOUNT_MEDIAN_INR[channel] * Math.exp((AMOUNT_SIGMA * AMOUNT_SIGMA) / 2);
}

export function sampleAmountInr(rng: Rng, channel: Channel): number {
  const raw = Math.min(200_000, Math.max(100, rng.lognormal(AMOUNT_MEDIAN_INR[channel], AMOUNT_SIGMA)));
  return channel === 'cash' ? Math.round(raw / 10) * 10 : Math.round(raw);
}

/** What is going wrong right now, as far as payments are concerned. */
export interface PaymentConditions {
  /** Gateways that are down (their calls time out). */
  gatewaysDown: ReadonlySet<Gateway>;
  /** The payments engine's database is slow: instant payments fail on technical errors more. */
  slowDatabase: boolean;
}

export const NORMAL_CONDITIONS: PaymentConditions = { gatewaysDown: new Set(), slowDatabase: false };

/**
 * Probability of each failure reason for one attempt; the rest succeed. Cash is decided by OTP.
 *
 * A healthy business meets its own targets: the real-time channels (UPI, QR, BBPS, card, net
 * banking) succeed about 99.5 % of the time on a normal day, declines and customer cancellations
 * counted as the payment success KPI counts them, so the KPI's 99 % target holds with a margin and
 * the error budget is spent by incidents, not by the model's ordinary day (issue 15: a week of
 * normal traffic notifies nobody). Incidents (a gateway down, a slow database) push it well under.
 */
export function failureProbabilities(
  channel: Channel,
  gateway: Gateway | null,
  conditions: PaymentConditions = NORMAL_CONDITIONS,
): Array<[FailureReason, number]> {
  const slow = conditions.slowDatabase ? 0.03 : 0;
  switch (channel) {
    case 'cash':
      return [['otp_failed', 0.025]];
    case 'upi':
      return [
        ['technical_error', 0.002 + slow],
        ['declined', 0.0015],
        ['cancelled', 0.0015],
      ];
    case 'qr':
      return [
        ['technical_error', 0.002 + slow],
        ['cancelled', 0.002],
      ];
    case 'bbps':
      return [['technical_error', 0.003 + slow]];
    case 'upi_autopay':
      return [
        ['insufficient_funds', 0.03],
        ['mandate_error', 0.01],
      ];
    case 'nach':
      return [
        ['insufficient_funds', 0.045],
        ['mandate_error', 0.012],
      ];
    case 'card':
    case 'netbanking': {
      if (gateway && conditions.gatewaysDown.has(gateway))
        return [
          ['gateway_timeout', 0.85],
          ['declined', 0.01],
        ];
      return channel === 'card'
        ? [
            ['gateway_timeout', 0.002 + slow],
            ['declined', 0.006],
          ]
        : [
            ['gateway_timeout', 0.003 + slow],
            ['declined', 0.004],
          ];
    }
  }
}

/** Probability that an attempt on the channel succeeds under normal conditions. */
export function successProbability(
  channel: Channel,
  gateway: Gateway | null = null,
  conditions: PaymentConditions = NORMAL_CONDITIONS,
): number {
  return 1 - failureProbabilities(channel, gateway, conditions).reduce((sum, [, p]) => sum + p, 0);
}

/** Draws the outcome of one attempt: null for success, else the failure reason. */
export function sampleOutcome(
  rng: Rng,
  channel: Channel,
  gateway: Gateway | null,
  conditions: PaymentConditions = NORMAL_CONDITIONS,
): FailureReason | null {
  let x = rng.next();
  for (const [reason, p] of failureProbabilities(channel, gateway, conditions)) {
    if (x < p) return reason;
    x -= p;
  }
  return null;
}

/** Banks answer the morning mandate batch by 07:50 IST; later responses are folded into that. */
export function mandateAnsweredBy(createdMs: number): number {
  return istTime(createdMs, 7, 50);
}

/**
 * Seconds from creation to a terminal status for non-cash channels: UPI and QR answer in seconds,
 * gateways in seconds (30 s when they time out), BBPS in tens of seconds, the mandate batch in
 * tens of minutes as the banks return their responses.
 */
export function sampleProcessingSeconds(rng: Rng, channel: Channel, reason: FailureReason | null): number {
  switch (channel) {
    case 'upi':
    case 'qr':
      return Math.min(60, rng.lognormal(reason === 'cancelled' ? 20 : 1.8, 0.4));
    case 'bbps':
      return Math.min(600, rng.lognormal(8, 0.6));
    case 'card':
    case 'netbanking':
      return reason === 'gateway_timeout' ? 30 + rng.next() : Math.min(60, rng.lognormal(3.5, 0.45));
    case 'upi_autopay':
      return Math.min(5400, rng.lognormal(20 * 60, 0.5));
    case 'nach':
      return Math.min(5400, rng.lognormal(50 * 60, 0.35));
    case 'cash':
      return 0;
  }
}
