// branch_collected_today_inr is kept from the counters' delta rows and starts again at 0 when the
// IST business day changes (the real-database tests cannot move the clock to midnight).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PollWindow, Queryable } from '../src/core/collector.ts';
import { paymentsCollector } from '../src/payments.ts';

/**
 * A database stub answering the payments collector's queries with the given terminal rows (on the
 * first poll they are read through a cursor: DECLARE, then FETCH until a short batch).
 */
function stub(terminal: Array<Record<string, unknown>>): Queryable {
  let declared: Array<Record<string, unknown>> = [];
  return {
    async query<R>(text: string) {
      const terminalQuery = text.includes('FROM paywatch.payments') && text.includes('AS refusal');
      if (terminalQuery && text.startsWith('DECLARE')) declared = terminal;
      else if (terminalQuery) return { rows: terminal as R[] };
      else if (text.startsWith('FETCH')) {
        const rows = declared;
        declared = [];
        return { rows: rows as R[] };
      }
      return { rows: [] as R[] };
    },
  };
}

const row = (branch: string, paise: number, todayPaise: number) => ({
  branch,
  refusal: null,
  channel: 'upi',
  status: 'success',
  failure_reason: null,
  n: '1',
  paise: String(paise),
  today_paise: String(todayPaise),
  seconds: 1,
});
const window = (today: string, newDay: boolean, baseline = false): PollWindow => ({
  from: baseline ? '-infinity' : 'x',
  to: 'y',
  now: 'y',
  baseline,
  today,
  todayStart: `${today} 00:00+05:30`,
  newDay,
  counted: () => 'true',
  refuse: () => assert.fail('no row is refused here'),
});

test("today's collections add up within a day and restart at 0 on the next", async () => {
  const collector = paymentsCollector();
  const collected = collector.families.find((f) => f.name === 'branch_collected_today_inr')!;
  const amount = collector.families.find((f) => f.name === 'payment_amount_total')!;
  const value = (family: typeof collected, labels: string[]) => (family as unknown as { get(l: string[]): number | undefined }).get(labels);

  (await collector.poll(stub([row('BR0001', 150_000, 50_050), row('BR0002', 20_000, 0)]), window('2026-11-23', false, true)))();
  assert.equal(value(collected, ['BR0001']), 500.5);
  assert.equal(value(collected, ['BR0002']), 0);
  (await collector.poll(stub([row('BR0001', 10_000, 10_000)]), window('2026-11-23', false)))();
  assert.equal(value(collected, ['BR0001']), 600.5);
  // The poll that crosses midnight: only its rows after midnight count for the new day.
  (await collector.poll(stub([row('BR0001', 7_000, 2_500)]), window('2026-11-24', true)))();
  assert.equal(value(collected, ['BR0001']), 25);
  assert.equal(value(collected, ['BR0002']), 0, 'a branch without collections yet today shows 0');
  // The counter never restarts.
  assert.equal(value(amount, ['BR0001', 'upi']), 1670);
});
