// `npm run backfill -- [--days 30] [--data-dir DIR] [--branches N] [--seed N] [--force]`
// Writes N days of simulated history (from the simulator's model) into the local stack's
// Prometheus data directory with promtool. Run it while Prometheus is stopped, or restart
// Prometheus afterwards (it loads new blocks at start). `npm start` runs it on a first start.
import { chownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dataDir } from '../paths.ts';
import { FLEET_DEFAULTS, historyState, runBackfill } from '../backfill/run.ts';
import { COMPOSE_TARGETS } from '../compose.ts';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '30' },
    'data-dir': { type: 'string' },
    'prometheus-dir': { type: 'string' },
    branches: { type: 'string', default: process.env.PAYWATCH_BRANCHES },
    seed: { type: 'string', default: process.env.PAYWATCH_SEED },
    'per-branch-per-day': { type: 'string' },
    'officers-per-branch': { type: 'string' },
    budget: { type: 'string' },
    force: { type: 'boolean', default: false },
    'if-missing': { type: 'boolean', default: false },
    compose: { type: 'boolean', default: false },
    owner: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`usage: npm run backfill -- [--days 30] [--data-dir DIR] [--branches ${FLEET_DEFAULTS.branches}] [--seed ${FLEET_DEFAULTS.seed}] [--budget 4000000] [--force]
  --days N             days of history ending 3 hours ago (Prometheus must not get samples in its head block)
  --data-dir DIR       the stack's data directory (PAYWATCH_DATA_DIR, default .data); blocks go to DIR/prometheus/data
  --prometheus-dir D   Prometheus's directory directly (blocks to D/data)
  --branches, --seed, --per-branch-per-day, --officers-per-branch   the simulator's fleet (use the live simulator's values)
  --budget N           most samples to write; per-branch series get a coarser step to fit
  --force              add history although this data directory already has some
  --if-missing         do nothing (exit 0) when this data directory already has history
  --compose            label the series as docker-compose.yml's Prometheus scrapes them (service names)
  --owner UID:GID      hand the Prometheus directory to this user afterwards (the prom/prometheus image runs as 65534)`);
  process.exit(0);
}

const num = (value: string | undefined) => (value === undefined || value === '' ? undefined : Number(value));
if (values['data-dir']) process.env.PAYWATCH_DATA_DIR = values['data-dir'];
const prometheusDir = values['prometheus-dir'] ?? join(dataDir(), 'prometheus');

/** chown -R, so a Prometheus running as another user can compact and delete the blocks. */
function chownTree(path: string, uid: number, gid: number) {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, uid, gid);
    else chownSync(child, uid, gid);
  }
}
const owner = values.owner?.split(':').map(Number);
if (owner && (owner.length !== 2 || owner.some((n) => !Number.isInteger(n)))) {
  console.error(`backfill: --owner must be UID:GID, got ${values.owner}`);
  process.exit(2);
}

const existing = historyState(prometheusDir);
if (existing && values['if-missing']) {
  console.log(`backfill: ${prometheusDir} already has ${existing.days} days of history (${existing.samples} samples); nothing to do`);
  if (owner) chownTree(prometheusDir, owner[0]!, owner[1]!);
  process.exit(0);
}
try {
  const c = COMPOSE_TARGETS;
  const result = await runBackfill({
    prometheusDir,
    days: Number(values.days),
    branches: num(values.branches),
    seed: num(values.seed),
    perBranchPerDay: num(values['per-branch-per-day']),
    officersPerBranch: num(values['officers-per-branch']),
    sampleBudget: num(values.budget),
    force: values.force,
    ...(values.compose ? { instances: { payments: c.payments, lms: c.lms, rfid: c.rfid, pool: c.pool, api: c.paymentsApi, blackbox: c.blackbox } } : {}),
  });
  if (owner) chownTree(prometheusDir, owner[0]!, owner[1]!);
  console.log(`backfill: done: ${result.samples} samples imported (${result.series} series, ${result.blocks} blocks) in ${result.seconds} s; restart Prometheus if it is running`);
} catch (error) {
  console.error(`backfill: ${(error as Error).message}`);
  process.exit(1);
}
