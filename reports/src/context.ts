// What every report is built from: the client reading as the recipient, who they are, and the
// period. Plus the one rule about missing numbers: a headline figure that is not there stops the
// report (ReportUnavailable) instead of printing a zero that looks like a fact.
import { ReportUnavailable, type Sample, type ScopeClient, type WhoAmI } from './client.ts';
import type { Period } from './document.ts';
import { istDateTime } from './format.ts';

export interface ReportContext {
  client: ScopeClient;
  who: WhoAmI;
  period: Period;
}

/** Seconds from the period's start to its end: the window of every increase() in a report. */
export function window(period: Period): string {
  return `${Math.max(60, Math.round(period.end - period.start))}s`;
}

export async function required(ctx: ReportContext, what: string, query: string): Promise<number> {
  const value = await ctx.client.scalar(query, ctx.period.end);
  if (value === undefined) {
    throw new ReportUnavailable(
      `no data for ${what} as of ${istDateTime(ctx.period.end)} in ${ctx.who.login}'s scope (${query}): the report is not made rather than shown incomplete. ` +
        'Is the stack collecting data for that day (npm start), or was the date before the data began?',
    );
  }
  return value;
}

/** A labelled breakdown: label value -> number (NaN dropped). */
export function byLabel(samples: Sample[], label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (Number.isNaN(s.value)) continue;
    const key = s.labels[label] ?? '';
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

export function scopeText(who: WhoAmI): string {
  switch (who.scope.kind) {
    case 'all':
      return 'all branches';
    case 'branch':
      return `branch${who.scope.branches.length > 1 ? 'es' : ''} ${who.scope.branches.join(', ')}`;
    case 'officer':
      return `officer ${who.scope.officer} of ${who.scope.branch}`;
    case 'aggregate':
      return 'fleet-wide status figures only';
  }
}

/** Readable failure reason and channel names. */
export const REASONS: Record<string, string> = {
  insufficient_funds: 'Insufficient funds',
  mandate_error: 'Mandate error',
  gateway_timeout: 'Gateway timeout',
  declined: 'Declined',
  otp_failed: 'OTP failed',
  technical_error: 'Technical error',
  cancelled: 'Cancelled',
};
export const CHANNELS: Record<string, string> = {
  cash: 'Cash (field)',
  upi: 'UPI',
  upi_autopay: 'UPI AutoPay',
  qr: 'QR',
  bbps: 'BBPS',
  nach: 'NACH',
  card: 'Card',
  netbanking: 'Net banking',
};
export const label = (names: Record<string, string>, key: string) => names[key] ?? key;
