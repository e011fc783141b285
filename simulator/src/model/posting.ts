// The LMS outbox: every successful payment is posted to the Loan Management System as a receipt.
// Normally within seconds; while the LMS is down postings queue; afterwards the worker drains the
// queue at its capacity, several times the peak inflow.

/** Postings the LMS worker completes per simulated second across the fleet. */
export function lmsDrainPerSecond(branches: number): number {
  return Math.max(2, branches * 0.03);
}

/** Seconds a posting waits before the worker picks it up in normal operation. */
export const LMS_PICKUP_SECONDS = 2;

/** Share of postings the LMS rejects for good (closed loan, bad account): failed after 3 attempts. */
export const LMS_REJECT_PROBABILITY = 0.002;
export const LMS_MAX_ATTEMPTS = 3;
