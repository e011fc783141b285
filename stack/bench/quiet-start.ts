// Quiet starts: `npm start` on a fresh data directory (free ports), then every alert series
// Prometheus had pending or firing in the first minutes after the stack said it was running
// (ALERTS, read with last_over_time so a series that lived for one evaluation counts); with
// --restart, the same again after a Ctrl-C and a second start on the same data directory.
//
//   npx tsx stack/bench/quiet-start.ts [--minutes 12] [--branches 500] [--backfill-days 2] [--restart]
//
// The goal (issue 15): at most 3 distinct alert series in the first 12 minutes of a first start.
import { setTimeout as sleep } from 'node:timers/promises';
import { loadavg } from 'node:os';
import { arg, hasFlag } from '@paywatch/runtime';
import { alertsSeen, startStack, summarizeAlerts, type StackOptions } from '../test/support/running-stack.ts';

const minutes = Number(arg('minutes', '12'));
const env: Record<string, string> = {
  PAYWATCH_BRANCHES: arg('branches', '500'),
  PAYWATCH_BACKFILL_DAYS: arg('backfill-days', '2'),
};
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

async function watch(label: string, dataDir?: string, ports?: StackOptions['ports']) {
  // What a person's npm start gives at the hour it is run (the stack tests' working hours left out).
  const stack = await startStack({ env, dataDir, ports, simulatorStart: null });
  const ready = Date.now();
  console.log(
    `${label}: running after ${Math.round((ready - stack.launchedAt) / 1000)} s (load ${load()}); watching ${minutes} min (Prometheus ${stack.url('prometheus')})`,
  );
  for (let m = 1; m <= minutes; m++) {
    await sleep(60_000);
    const seen = await alertsSeen(stack.url('prometheus'), (Date.now() - stack.launchedAt) / 1000);
    console.log(`  +${m} min: ${seen.length} alert series so far`);
  }
  const seen = await alertsSeen(stack.url('prometheus'), (Date.now() - stack.launchedAt) / 1000);
  // node_exporter reports the machine the benchmark runs on: true of that machine, not of the start.
  const host = seen.filter((a) => a.labels.job === 'node');
  const own = seen.filter((a) => a.labels.job !== 'node');
  console.log(
    `${label}: ${own.length} distinct alert series pending or firing in the first ${minutes} min, and ${host.length} about this machine (job node) (load ${load()})`,
  );
  for (const line of summarizeAlerts(seen)) console.log(`  ${line}`);
  return { stack, seen: own };
}

const first = await watch('first start');
let worst = first.seen.length;
if (hasFlag('restart')) {
  await first.stack.stop();
  const again = await watch('restart', first.stack.dataDir, first.stack.ports);
  worst = Math.max(worst, again.seen.length);
  await again.stack.dispose();
}
await first.stack.dispose();
process.exitCode = worst <= 3 ? 0 : 1;
