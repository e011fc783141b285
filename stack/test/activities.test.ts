// Every activity the simulator declares (simulator/src/model/activities.ts) end to end on real
// PostgreSQL: the simulator's generic writer puts its rows in the activity's table, and the exporter
// that lists its family counts them exactly as independent SQL over that table says — with no
// fixture or ground truth written for the activity by hand. (exporters/test/fixtures.ts keeps its
// own hand-written rows and truths for the families it knows; this covers every declared one.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXPORTER_FAMILIES } from '@paywatch/contract';
import { startExporter } from '@paywatch/exporters';
import { startSimulator } from '@paywatch/simulator';
import { ACTIVITIES, splitValues } from '@paywatch/simulator/model';
import { createTestDatabase } from '@paywatch/testing';

/** A Monday in the middle of the month (no EMI surge, no maintenance window). */
const MONDAY = Date.parse('2026-03-16T00:00:00+05:30');
const HOUR = 3_600_000;

/** The samples of one family in a text exposition, by their labels. */
function samplesOf(text: string, family: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${family}\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.set(JSON.stringify(Object.entries(labels).sort()), Number(match[2]));
  }
  return samples;
}

test("every declared activity: the simulator's rows, counted by its family's exporter exactly as SQL over the table counts them", async (t) => {
  const db = await createTestDatabase('activities');
  const simulator = await startSimulator({
    databaseUrl: db.url,
    manualClock: true,
    port: 0,
    apiRate: 0,
    incidents: false,
    branches: 10,
    seed: 7,
    start: MONDAY,
    log: () => {},
  });
  t.after(async () => {
    await simulator.stop();
    await db.drop();
  });
  await simulator.advanceTo(MONDAY + 36 * HOUR);

  assert.ok(ACTIVITIES.length > 0);
  for (const activity of ACTIVITIES) {
    const { family, table, split, outcome } = activity;
    const exporterName = (Object.keys(EXPORTER_FAMILIES) as Array<keyof typeof EXPORTER_FAMILIES>).find((name) =>
      EXPORTER_FAMILIES[name].some((f) => f.name === family.name),
    );
    assert.ok(exporterName, `an exporter lists ${family.name}`);
    const exporter = await startExporter(exporterName, { databaseUrl: db.url, port: 0, pollIntervalSeconds: 3600, log: () => {} });
    try {
      assert.equal(await exporter.poll(), true);
      const samples = samplesOf(await (await fetch(`${exporter.url}/metrics`)).text(), family.name);
      // Independent of the exporter's query: the base table, not the view, and the activity's own columns.
      const truth = await db.pool.query<{ branch: string; value: string; outcome: string; n: string }>(
        `SELECT branch, ${split.label} AS value, ${outcome.label} AS outcome, count(*) AS n FROM ${table}
         WHERE ${outcome.label} IN ($1, $2) GROUP BY 1, 2, 3`,
        [outcome.success, outcome.failed],
      );
      assert.deepEqual(
        [...new Set(truth.rows.map((r) => r.value))].sort(),
        splitValues(activity).sort(),
        `${table}: rows for every ${split.label}`,
      );
      assert.ok(
        truth.rows.some((r) => r.outcome === outcome.failed),
        `${table}: some events failed`,
      );
      let total = 0;
      for (const row of truth.rows) {
        const key = JSON.stringify(Object.entries({ branch: row.branch, [split.label]: row.value, [outcome.label]: row.outcome }).sort());
        assert.equal(samples.get(key), Number(row.n), `${family.name}${key}`);
        total += Number(row.n);
      }
      const exported = [...samples.values()].reduce((sum, n) => sum + n, 0);
      assert.equal(exported, total, `${family.name}: every counted event is a row of ${table}, none twice`);
      assert.ok(total > 100, `${table}: ${total} events in a simulated day and a half`);
    } finally {
      await exporter.stop();
    }
  }
});
