// The reports section of the real policy/policy.yml, its validation, and how money and times read.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { inr, inrShort, istDateTime, istMidnight } from '../src/format.ts';
import { periodOf } from '../src/render.ts';
import { loadAssignments, parseSchedule } from '../src/schedule.ts';

const POLICY = join(import.meta.dirname, '..', '..', 'policy', 'policy.yml');
const ROLES = new Set(['executive', 'finance', 'branch_manager', 'viewer']);

test("the repository's policy: executives, finance and branch managers (people and team members) get their reports at 18:00 IST", () => {
  const { assignments, schedule } = loadAssignments(POLICY);
  assert.equal(schedule.sendAt, 18 * 60);
  assert.deepEqual(
    assignments.map((a) => `${a.login} ${a.report} ${a.email} ${a.sendAt}`),
    [
      'asha.exec executive-daily asha.exec@paywatch.example 1080',
      'farhan.fin finance-reconciliation farhan.fin@paywatch.example 1080',
      'lakshmi.bm branch-daily lakshmi.bm@paywatch.example 1080',
      'meera.bm branch-daily meera.bm@paywatch.example 1080',
      'sunil.bm branch-daily sunil.bm@paywatch.example 1080',
    ],
  );
});

test('a role may have its own time; a bad section names every problem with its line', () => {
  const ok = parseSchedule(
    'roles: {}\nreports:\n  roles:\n    finance: { reports: [finance-reconciliation], send_at: "07:30" }\n',
    'p.yml',
    ROLES,
  );
  assert.deepEqual(ok.roles.get('finance'), { reports: ['finance-reconciliation'], sendAt: 7 * 60 + 30 });
  assert.throws(
    () =>
      parseSchedule(
        'roles: {}\nreports:\n  send_at: "6pm"\n  colour: blue\n  roles:\n    cfo: { reports: [x] }\n    finance: { reports: [weekly] }\n',
        'p.yml',
        ROLES,
      ),
    (error: Error) => {
      assert.match(error.message, /p\.yml:3:\d+: reports\.send_at: expected a time "HH:MM"/);
      assert.match(error.message, /p\.yml:4:\d+: reports\.colour: unknown key/);
      assert.match(error.message, /p\.yml:6:\d+: reports\.roles\.cfo: unknown role/);
      assert.match(error.message, /p\.yml:7:\d+: reports\.roles\.finance\.reports: unknown report "weekly"/);
      return true;
    },
  );
});

test('rupees with ₹ and lakh/crore grouping; IST dates and periods', () => {
  assert.equal(inr(123456789), '₹12,34,56,789');
  assert.equal(inr(99999.6), '₹1,00,000');
  assert.equal(inr(NaN), '—');
  assert.equal(inrShort(21_764_000), '₹2.18 Cr');
  assert.equal(inrShort(426_221), '₹4.26 L');
  const midnight = istMidnight('2026-12-04');
  assert.equal(new Date(midnight * 1000).toISOString(), '2026-12-03T18:30:00.000Z');
  assert.equal(istDateTime(midnight + 18 * 3600 + 5), 'Fri 4 Dec 2026, 18:00:05 IST');
  assert.throws(() => istMidnight('2026-02-30'), /not a calendar date/);
  assert.deepEqual(periodOf('2026-12-04', midnight + 3600), { date: '2026-12-04', start: midnight, end: midnight + 3600, complete: false });
  assert.deepEqual(periodOf('2026-12-03', midnight + 3600), {
    date: '2026-12-03',
    start: midnight - 86400,
    end: midnight - 1,
    complete: true,
  });
  assert.throws(() => periodOf('2026-12-05', midnight + 3600), /has not begun/);
});
