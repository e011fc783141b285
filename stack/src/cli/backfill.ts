// `npm run backfill -- [--days 30] [--data-dir DIR] [--branches N] [--seed N] [--force]` (--help: all options)
// Writes N days of simulated history (raw series from the simulator's model, and the recording
// rules evaluated from them by a temporary Prometheus) into the local stack's Prometheus data
// directory with promtool. Run it while Prometheus is stopped, or restart Prometheus afterwards
// (it loads new blocks at start). `npm start` runs it on a first start.
import { chownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseOptions, parseOrExit, type OptionSpec, type OptionTable } from '@paywatch/runtime';
import { FLEET_OPTIONS } from '@paywatch/simulator';
import { dataDir } from '../paths.ts';
import { FLEET_DEFAULTS, historyState, runBackfill } from '../backfill/run.ts';
import { COMPOSE_TARGETS } from '../compose.ts';

/**
 * The backfill's options. The fleet (branches, officers, payments per branch, seed) has the names
 * npm start and the simulator read, so the history matches the live simulator's business.
 */
export const OPTIONS = {
  days: {
    flag: 'days',
    env: 'PAYWATCH_BACKFILL_DAYS',
    type: 'integer',
    min: 1,
    max: 3650,
    default: 30,
    help: 'days of history, up to now when Prometheus holds nothing yet, else ending 3 hours ago',
  },
  dataDir: {
    flag: 'data-dir',
    env: 'PAYWATCH_DATA_DIR',
    type: 'string',
    help: "the stack's data directory (default .data); blocks go to DIR/prometheus/data",
  },
  prometheusDir: { flag: 'prometheus-dir', env: null, type: 'string', help: "Prometheus's directory directly (blocks to D/data)" },
  branches: { ...FLEET_OPTIONS.branches, help: `the simulator's branches (default ${FLEET_DEFAULTS.branches})` },
  seed: { ...FLEET_OPTIONS.seed, help: `the simulator's seed (default ${FLEET_DEFAULTS.seed})` },
  paymentsPerBranch: { ...FLEET_OPTIONS.paymentsPerBranch, help: "the simulator's repayment attempts per average branch per weekday" },
  officers: { ...FLEET_OPTIONS.officers, help: "the simulator's field officers per branch" },
  budget: {
    flag: 'budget',
    env: null,
    type: 'integer',
    min: 1,
    help: 'most raw samples to write; the steps are chosen to fit (default 4000000)',
  },
  force: { flag: 'force', env: null, type: 'boolean', default: false, help: 'add history although this data directory already has some' },
  ifMissing: {
    flag: 'if-missing',
    env: null,
    type: 'boolean',
    default: false,
    help: 'do nothing (exit 0) when this data directory already has history',
  },
  compose: {
    flag: 'compose',
    env: null,
    type: 'boolean',
    default: false,
    help: "label the series as docker-compose.yml's Prometheus scrapes them (service names)",
  },
  owner: {
    flag: 'owner',
    env: null,
    type: 'string',
    help: 'UID:GID to hand the Prometheus directory to afterwards (the prom/prometheus image runs as 65534)',
    check: (value: string, source: string) => {
      if (!/^\d+:\d+$/.test(value)) throw new Error(`${source}: expected UID:GID such as 65534:65534, got ${JSON.stringify(value)}`);
    },
  },
} as const satisfies Record<string, OptionSpec>;

export const OPTION_TABLE: OptionTable<typeof OPTIONS> = {
  component: 'backfill',
  envPrefix: 'PAYWATCH_BACKFILL_',
  usage: 'usage: npm run backfill -- [options]',
  options: OPTIONS,
};

const { values } = parseOrExit('backfill', OPTION_TABLE, () => parseOptions(OPTION_TABLE, process.argv.slice(2), process.env));
const prometheusDir = values.prometheusDir ?? join(dataDir(values.dataDir ?? ''), 'prometheus');

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

const existing = historyState(prometheusDir);
if (existing && values.ifMissing) {
  console.log(`backfill: ${prometheusDir} already has ${existing.days} days of history (${existing.samples} samples); nothing to do`);
  if (owner) chownTree(prometheusDir, owner[0]!, owner[1]!);
  process.exit(0);
}
try {
  const c = COMPOSE_TARGETS;
  const result = await runBackfill({
    prometheusDir,
    days: values.days,
    branches: values.branches,
    seed: values.seed,
    perBranchPerDay: values.paymentsPerBranch,
    officersPerBranch: values.officers,
    sampleBudget: values.budget,
    force: values.force,
    ...(values.compose
      ? { instances: { payments: c.payments, lms: c.lms, rfid: c.rfid, pool: c.pool, api: c.paymentsApi, blackbox: c.blackbox } }
      : {}),
  });
  if (owner) chownTree(prometheusDir, owner[0]!, owner[1]!);
  console.log(
    `backfill: done: ${result.samples} raw and ${result.ruleSamples} recording-rule samples imported (${result.series} raw series, ${result.blocks} blocks) in ${result.seconds} s; restart Prometheus if it is running`,
  );
} catch (error) {
  console.error(`backfill: ${(error as Error).message}`);
  process.exit(1);
}
