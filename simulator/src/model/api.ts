// The payments engine's own API as customers and the portal use it: how much traffic each route
// gets (it follows the self-service payment rhythm) and how long requests take (the database pool
// gets busier at peak; a slow database multiplies it).
import { CHANNEL_SHARES, CHANNELS, expectedAttemptsPerHour, hourShare, SCHEDULED_CHANNELS } from './channel.ts';
import type { Rng } from './random.ts';

export const API_ROUTES = ['/api/payments', '/api/loans/:ref', '/api/login', '/health'] as const;
export type ApiRoute = (typeof API_ROUTES)[number];

/** Portal requests per customer payment attempt, by route. */
export const REQUESTS_PER_PAYMENT: Readonly<Record<Exclude<ApiRoute, '/health'>, number>> = {
  '/api/payments': 1,
  '/api/loans/:ref': 2.2,
  '/api/login': 1.1,
};

/**
 * Share of portal logins with a wrong password on a normal day. Small enough that a healthy
 * business stays well under the security team's signal (more than 5 failed logins in a minute,
 * the requirements' number): at the default peak of 25 requests/s (about 6 logins/s) this is under
 * half a failed login a minute, so FailedLoginsHigh means someone guessing, not customers typing.
 */
export const LOGIN_FAILURE_PROBABILITY = 0.001;

/** Self-service (API-initiated) payment attempts per hour across a fleet of total size `fleetSize`. */
export function apiPaymentsPerHour(ms: number, fleetSize: number, perBranchPerDay: number): number {
  let total = 0;
  for (const channel of CHANNELS) {
    if (channel === 'cash' || SCHEDULED_CHANNELS.has(channel)) continue;
    total += expectedAttemptsPerHour(channel, ms, fleetSize, perBranchPerDay);
  }
  return total;
}

const SELF_SERVICE_SHARE = CHANNELS.filter((c) => c !== 'cash' && !SCHEDULED_CHANNELS.has(c)).reduce(
  (sum, c) => sum + CHANNEL_SHARES[c],
  0,
);

/** 0..1: how busy the API is compared with a month-start weekday peak hour. */
export function apiLoad(ms: number, fleetSize: number, perBranchPerDay: number): number {
  const peak = fleetSize * perBranchPerDay * SELF_SERVICE_SHARE * 1.35 * hourShare('upi', 11);
  return Math.min(1, apiPaymentsPerHour(ms, fleetSize, perBranchPerDay) / peak);
}

/** Seconds a request holds a database connection: grows with load, ×20 with a slow database. */
export function dbSeconds(rng: Rng, route: ApiRoute, load: number, slowDatabase: boolean): number {
  const base = route === '/api/payments' ? 0.045 : route === '/api/login' ? 0.03 : route === '/api/loans/:ref' ? 0.02 : 0.002;
  const pressure = 1 + 8 * load * load;
  return rng.lognormal(base * pressure, 0.35) * (slowDatabase ? 20 : 1);
}

/** Seconds a gateway call takes; outcome decided by the payment model. */
export function gatewaySeconds(rng: Rng, outcome: 'success' | 'declined' | 'timeout' | 'error'): number {
  if (outcome === 'timeout') return 30;
  return Math.min(7, rng.lognormal(outcome === 'declined' ? 0.5 : 0.7, 0.4));
}

/** The API gives up on a request after this many seconds (504, counted as kind="timeout"). */
export const API_TIMEOUT_SECONDS = 5;
