// How fast the simulator writes a simulated day at a given fleet size, on a real PostgreSQL (the
// URL given) or on the embedded database: `node --import tsx simulator/bench/throughput.ts
// [--embedded] [--branches 500] [--hours 24] [--database-url postgres://...]` (the database must be
// empty or new; the run writes into it).
import { startEmbeddedDatabase } from '@paywatch/database/embedded';
import { parseArgs } from 'node:util';
import { startSimulator } from '../src/simulator.ts';

const { values } = parseArgs({
  options: {
    embedded: { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    branches: { type: 'string', default: '500' },
    officers: { type: 'string', default: '30' },
    hours: { type: 'string', default: '24' },
    start: { type: 'string', default: '2026-03-16T00:00:00+05:30' },
  },
});
const embedded = values.embedded ? await startEmbeddedDatabase() : undefined;
const databaseUrl = embedded?.url ?? values['database-url'];
if (!databaseUrl) throw new Error('give --database-url or --embedded');
const start = Date.parse(values.start);
const simulator = await startSimulator({
  databaseUrl,
  manualClock: true,
  port: 0,
  apiRate: 0,
  branches: Number(values.branches),
  officersPerBranch: Number(values.officers),
  start,
  log: () => {},
});
const hours = Number(values.hours);
const rss: number[] = [];
const began = performance.now();
for (let h = 1; h <= hours; h++) {
  await simulator.advanceTo(start + h * 3_600_000);
  rss.push(process.memoryUsage().rss);
}
const seconds = (performance.now() - began) / 1000;
const totals = simulator.engine.totals;
console.log(
  JSON.stringify({
    database: embedded ? 'embedded PGlite' : 'PostgreSQL',
    branches: Number(values.branches),
    officersPerBranch: Number(values.officers),
    simulatedHours: hours,
    wallSeconds: Number(seconds.toFixed(1)),
    realTimeFactor: Math.round((hours * 3600) / seconds),
    payments: totals.payments,
    paymentsPerWallSecond: Math.round(totals.payments / seconds),
    collections: totals.collections,
    verifications: totals.verifications,
    postings: totals.postingsDrained,
    maxRssMiB: Math.round(Math.max(...rss) / 2 ** 20),
  }),
);
await simulator.stop();
await embedded?.stop();
