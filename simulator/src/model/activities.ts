// The business events the simulator writes generically, one declaration each (activity.ts): the
// live simulator writes their rows and the history backfill their family's series from this table
// alone. A KPI over new data adds its table and view (database/migrations), its counter family with
// its `source` (contract/src/families.ts), and one entry here (docs/adding-a-kpi.md).
//
// The payments, cash, LMS posting, RFID and reconciliation models stay code of their own
// (channel.ts, collection.ts, posting.ts, reader.ts, reconciliation.ts): they carry pending states,
// incidents and follow-ups (postings, confirmations, reversals) that a table would not say better.
import { activity, type Activity } from './activity.ts';

/**
 * Mandate registrations: when a loan is disbursed the customer authorises auto-debit of its EMIs,
 * by UPI AutoPay (approved in their UPI app, answered in seconds to minutes) or NACH (an e-mandate
 * through the sponsor bank, answered within hours). A healthy fleet stays above the 95 % target:
 * most failures are customers abandoning the approval or details typed wrong at the branch.
 */
export const MANDATE_REGISTRATIONS = activity({
  family: 'mandate_registrations_total',
  stream: 'mandate',
  table: 'mandate_registrations',
  // New loans a day per unit of branch size, at branch hours (10:00-18:00), none on Sundays, half on Saturdays.
  perBranchPerDay: 10,
  hours: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 1.2, 1.6, 1.5, 1.0, 1.3, 1.4, 1.1, 0.6, 0, 0, 0, 0, 0, 0],
  weekdays: [0, 1, 1, 1, 1, 1, 0.5],
  split: { label: 'channel', shares: { upi_autopay: 0.6, nach: 0.4 } },
  outcome: {
    label: 'status',
    success: 'success',
    failed: 'failed',
    reasonColumn: 'failure_reason',
    failures: {
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
    },
  },
  answer: {
    upi_autopay: { medianSeconds: 45, sigma: 0.8, maxSeconds: 1800 },
    nach: { medianSeconds: 2 * 3600, sigma: 0.6, maxSeconds: 86_400 },
  },
  columns: { started: 'created_at', loan: 'loan_ref' },
});

/** Every activity, in the order the simulator draws them (append only: each has its own streams anyway). */
export const ACTIVITIES: ReadonlyArray<Activity> = [MANDATE_REGISTRATIONS];
