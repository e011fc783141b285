import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPool } from '@paywatch/database';
import { startEmbeddedDatabase } from '@paywatch/database/embedded';
import { startSimulator } from '../src/simulator.ts';

const MONDAY = Date.parse('2026-03-16T00:00:00+05:30');

// The demo's shape: the simulator writing into the embedded database while exporter-like pools
// read the contract views incrementally at the same time, all over the PostgreSQL protocol.
test('the simulator and concurrent readers share the embedded database', async (t) => {
  const embedded = await startEmbeddedDatabase();
  t.after(() => embedded.stop());
  const simulator = await startSimulator({
    databaseUrl: embedded.url,
    manualClock: true,
    port: 0,
    apiRate: 0,
    branches: 8,
    start: MONDAY,
    log: () => {},
  });
  t.after(() => simulator.stop());
  const readers = ['payments', 'lms', 'rfid'].map((name) => createPool(embedded.url, { applicationName: `exporter-${name}`, max: 2 }));
  t.after(() => Promise.all(readers.map((pool) => pool.end())));

  let writing = true;
  const counted = new Map<string, number>();
  const reads = readers.map(async (pool, i) => {
    let watermark = new Date(0).toISOString();
    let polls = 0;
    // Poll until a poll that started after the writing stopped has run: an earlier last poll may
    // have read just before the final batch committed.
    for (let last = false; !last;) {
      last = !writing;
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        const upper = (await client.query<{ upper: Date }>('SELECT now AS upper FROM paywatch.clock')).rows[0]!.upper.toISOString();
        const view = ['payments', 'lms_postings', 'rfid_verifications'][i]!;
        const column = ['completed_at', 'finished_at', 'verified_at'][i]!;
        const rows = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM paywatch.${view} WHERE ${column} > $1 AND ${column} <= $2`,
          [watermark, upper],
        );
        await client.query('COMMIT');
        counted.set(view, (counted.get(view) ?? 0) + rows.rows[0]!.n);
        watermark = upper;
        polls++;
      } finally {
        client.release();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return polls;
  });
  for (let hour = 1; hour <= 12; hour++) await simulator.advanceTo(MONDAY + hour * 3_600_000);
  writing = false;
  const polls = await Promise.all(reads);
  assert.ok(
    polls.every((n) => n > 1),
    `every reader polled while the simulator wrote: ${polls.join(', ')}`,
  );

  // Reading by the business clock, incrementally, counted every finished row exactly once.
  const truth = createPool(embedded.url, { applicationName: 'truth', max: 1 });
  t.after(() => truth.end());
  const totals = (
    await truth.query<{ payments: number; lms_postings: number; rfid_verifications: number }>(
      `SELECT (SELECT count(*) FROM paywatch.payments WHERE completed_at IS NOT NULL)::int AS payments,
              (SELECT count(*) FROM paywatch.lms_postings WHERE finished_at IS NOT NULL)::int AS lms_postings,
              (SELECT count(*) FROM paywatch.rfid_verifications)::int AS rfid_verifications`,
    )
  ).rows[0]!;
  assert.ok(totals.payments > 300, `${totals.payments} payments`);
  assert.deepEqual(Object.fromEntries(counted), totals);
});
