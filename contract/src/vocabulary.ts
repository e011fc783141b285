// The fixed vocabularies of the payments contract (docs/schema.md): the values a customer's
// mapping must produce. The exporters start a series at 0 for each of them (a channel with no
// payment yet reads 0 rather than vanishing) and refuse rows outside them.

/** `paywatch.payments.channel`. */
export const PAYMENT_CHANNELS = ['cash', 'upi', 'upi_autopay', 'qr', 'bbps', 'nach', 'card', 'netbanking'] as const;
export type PaymentChannel = (typeof PAYMENT_CHANNELS)[number];

/** The terminal values of `paywatch.payments.status` (`pending` is the other one). */
export const PAYMENT_TERMINAL_STATUSES = ['success', 'failed'] as const;
export type PaymentTerminalStatus = (typeof PAYMENT_TERMINAL_STATUSES)[number];

/** `paywatch.payment_reversals.reason`: why a payment reported successful was reversed afterwards. */
export const PAYMENT_REVERSAL_REASONS = ['nach_return', 'autopay_return', 'chargeback', 'gateway_reversal', 'refund'] as const;
export type PaymentReversalReason = (typeof PAYMENT_REVERSAL_REASONS)[number];
