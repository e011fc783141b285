// The backfill as a whole, in named steps:
//   1. refuseOverlap   never write into a Prometheus that has data of its own (it would overlap)
//   2. chooseEnd       up to now on a first start (Prometheus holds nothing yet); else 3 hours ago
//   3. chooseTimeline  the steps that fit the sample budget (timeline.ts)
//   4. buildHistory    the raw series from the simulator's model (history.ts)
//   5. importRaw       OpenMetrics -> `promtool tsdb create-blocks-from openmetrics`, several at once
//   6. recordRules     the recording rules' history, evaluated from the raw blocks by a temporary
//                      Prometheus and `promtool tsdb create-blocks-from rules` (rules.ts)
//   7. installBlocks   every block moved into Prometheus's data directory, and a marker file so
//                      `npm start` backfills only once per data directory
//
// Why the history may reach "now" on a first start: promtool's documentation warns against
// backfilling the last 3 hours because a *running* Prometheus's head block may cover them. On a
// first start there is no head: the blocks are in place before Prometheus first opens the
// directory, it loads them, and its head starts after their end (the first live scrape). Blocks
// that overlap the head's later 2-hour range are merged by Prometheus's vertical compaction
// (always on since 2.39). When Prometheus already has data, the history ends 3 hours before now
// as promtool advises (and is refused unless --force).
//
// Continuity with the live simulation: the series carry the labels the live scrapes give them
// (job, instance, branch, ...), so they are the same series. The live exporters' counters are the
// database's totals, which start from the live simulation's first rows: at the boundary a counter
// drops from the history's total to the live total, which Prometheus treats as a counter reset,
// exactly as after an exporter restart: rate() and increase() count across it correctly.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from '@paywatch/runtime';
import { PORTS } from '../config.ts';
import { repoRoot } from '../paths.ts';
import { branchProfiles } from '@paywatch/simulator/model';
import { DEFAULTS as SIMULATOR_DEFAULTS } from '@paywatch/simulator';
import { buildHistory, fleetSeriesCount, type InjectedIncidents, type Instances } from './history.ts';
import { branchSeriesCount } from './business.ts';
import { importRaw } from './import-raw.ts';
import type { Family } from './openmetrics.ts';
import { ProgressBar } from './progress.ts';
import {
  blocksIn,
  dependencyLevels,
  loadRecordingRules,
  longestWindowSeconds,
  recordRuleHistory,
  RULE_STEP,
  rulesReadBy,
  samplesIn,
  type RecordingRule,
  type RuleStretch,
} from './rules.ts';
import { chooseTimeline, DENSE_STEP, FINE_STEP, type FineKind, type FineStretch, type Timeline } from './timeline.ts';

export const FLEET_DEFAULTS = {
  seed: SIMULATOR_DEFAULTS.seed,
  branches: SIMULATOR_DEFAULTS.branches,
  officersPerBranch: SIMULATOR_DEFAULTS.officersPerBranch,
  perBranchPerDay: SIMULATOR_DEFAULTS.paymentsPerBranchPerDay,
};

export interface BackfillOptions {
  /** Prometheus's directory: blocks go to <dir>/data, the marker to <dir>/backfill.json. */
  prometheusDir: string;
  days: number;
  seed?: number;
  branches?: number;
  officersPerBranch?: number;
  perBranchPerDay?: number;
  /** Most raw samples to write (default DEFAULT_BUDGET); the per-branch steps are chosen to fit. */
  sampleBudget?: number;
  /** "Now" in epoch ms (tests); default Date.now(). */
  now?: number;
  /** Ports the live services use, for the instance labels (default: PORTS' defaults / env). */
  ports?: Partial<Record<'api' | 'payments' | 'lms' | 'rfid' | 'pool' | 'blackbox' | 'postgres' | 'database', number>>;
  /** host:port instance labels, when the services are not on 127.0.0.1 (docker-compose). */
  instances?: Partial<Record<'payments' | 'lms' | 'rfid' | 'pool' | 'api' | 'blackbox' | 'postgres' | 'database', string>>;
  /** Recording rule files (default: the committed prometheus/rules/recording.yml). */
  ruleFiles?: string[];
  /** Add to a directory that already has history or data of its own (default: refuse). */
  force?: boolean;
  /**
   * Evaluate the fleet-wide recording rules every this many seconds instead of RULE_STEP
   * (stack/bench/quiet-week.ts: alerts over recorded series then lag the raw data by this, not by
   * 5 minutes); the per-branch ones keep RULE_STEP. Only for a history dense all along.
   */
  fleetRuleStepSeconds?: number;
  /** Scenarios injected into the history (stack/bench/quiet-week.ts); none by default. */
  injected?: InjectedIncidents;
  /**
   * Alert expressions whose recording rules (and the rules those read) are also evaluated every
   * FINE_STEP over the fine stretches of each kind, as live (15 s): stack/bench/quiet-week.ts
   * passes the RFID verification alerts for the injected RFID outages, so the history's detection
   * is not the 300 s per-branch rule step's.
   */
  fineRules?: Partial<Record<FineKind, string[]>>;
  log?: (line: string) => void;
  /** Where the progress bar draws (default: stderr when it is a terminal, else plain lines). */
  progress?: NodeJS.WriteStream;
}

/** Raw samples the default history may have: about 30 s of promtool on 2 idle cores. */
export const DEFAULT_BUDGET = 4_000_000;

export interface BackfillResult {
  days: number;
  startSeconds: number;
  endSeconds: number;
  /** Every raw series has a sample every 150 s from here on (timeline.ts). */
  denseFromSeconds: number;
  /** Step of the per-branch series before denseFrom, seconds ... */
  branchStepSeconds: number;
  /** ... and over the last two days, from branchRecentFromSeconds on. */
  branchRecentStepSeconds: number;
  branchRecentFromSeconds: number;
  series: number;
  samplesWritten: number;
  /** Raw samples promtool reports in the blocks it wrote (must equal samplesWritten). */
  samples: number;
  /** Samples of the recording rules, evaluated by Prometheus from the raw history. */
  ruleSamples: number;
  blocks: number;
  seconds: number;
  fleet: { seed: number; branches: number; officersPerBranch: number; perBranchPerDay: number };
  /** The instance labels the history carries (the live scrapes' addresses at the time). */
  instances: Instances;
  /** When the live stack first started on this history (set by `npm start`). */
  liveStartSeconds?: number;
  /** The gap between the history and the first live scrape is filled up to here. */
  gapFilledUntil?: number;
}

const MARKER = 'backfill.json';
/** A hole between the history and the first live scrape shorter than this is left as it is. */
const SMALL_GAP_SECONDS = 15 * 60;
/** What promtool advises for a Prometheus that is (or was) running: nothing in its head's range. */
const HEAD_RANGE_SECONDS = 3 * 3600;

/** The marker of a previous backfill, or undefined when this data directory has none. */
export function historyState(prometheusDir: string): BackfillResult | undefined {
  const file = join(prometheusDir, MARKER);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as BackfillResult;
}

function writeMarker(prometheusDir: string, state: BackfillResult) {
  writeFileSync(join(prometheusDir, MARKER), `${JSON.stringify(state, null, 2)}\n`);
}

/** Prometheus has written to this directory (a write-ahead log or blocks of its own). */
export function hasLiveData(prometheusDir: string): boolean {
  const data = join(prometheusDir, 'data');
  if (!existsSync(data)) return false;
  const wal = join(data, 'wal');
  if (existsSync(wal) && readdirSync(wal).some((name) => /^\d+$/.test(name))) return true;
  return blocksIn(data).length > 0;
}

/** The committed recording rules (prometheus/rules/recording.yml). */
export function defaultRuleFiles(): string[] {
  // The SLOs' error budgets and the collections' pace read 30 days and 4 weeks back: a first
  // start shows them from its history, not from empty.
  return ['recording.yml', 'slo.yml', 'pace.yml'].map((file) => join(repoRoot, 'prometheus', 'rules', file));
}

/** Step 1: refuse to write history into a directory that has some, or data of Prometheus's own. */
function refuseOverlap(options: BackfillOptions): void {
  const previous = historyState(options.prometheusDir);
  if (previous && !options.force)
    throw new Error(
      `${options.prometheusDir} already has ${previous.days} days of backfilled history (${MARKER}); use --force to add another`,
    );
  if (!previous && hasLiveData(options.prometheusDir) && !options.force) {
    throw new Error(
      `Prometheus in ${options.prometheusDir} already has data: simulated history would overlap it. Use a fresh data directory, or --force`,
    );
  }
}

/** Step 2: the last sample time: now on a first start, else before the head's range. */
function chooseEnd(options: BackfillOptions): { endSeconds: number; firstStart: boolean } {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const firstStart = !hasLiveData(options.prometheusDir);
  const end = firstStart ? now : now - HEAD_RANGE_SECONDS - 60;
  return { endSeconds: Math.floor(end / DENSE_STEP) * DENSE_STEP, firstStart };
}

function instancesOf(options: BackfillOptions): Instances {
  type Service = 'api' | 'payments' | 'lms' | 'rfid' | 'pool' | 'blackbox' | 'postgres' | 'database';
  const port = (name: Service) => options.ports?.[name] ?? Number(process.env[PORTS[name].env] || PORTS[name].port);
  const at = (name: Service) => options.instances?.[name] ?? `127.0.0.1:${port(name)}`;
  return {
    payments: at('payments'),
    lms: at('lms'),
    rfid: at('rfid'),
    pool: at('pool'),
    api: at('api'),
    blackbox: at('blackbox'),
    apiHost: at('api'),
    postgres: at('postgres'),
    // postgres_exporter's `server` label: the embedded server's address, as the stack runs it.
    databaseServer: at('database'),
  };
}

/** An injected RFID outage's counters every FINE_STEP from this long before it (a 5-minute rate's window, and more) ... */
const RFID_FINE_BEFORE = 10 * 60;
/** ... to this long after it (its recovery, as live scrapes see it). */
const RFID_FINE_AFTER = 15 * 60;

/** The fine stretches of the injected scenarios (timeline.ts `fine`): none in a normal history. */
function fineStretches(injected: InjectedIncidents | undefined): Pick<Timeline, 'fine'> {
  const fine: FineStretch[] = [
    // Login bursts: the login counter, and a minute either side.
    ...(injected?.failedLogins ?? []).map(({ episode }) => ({
      from: episode.start / 1000 - 60,
      to: episode.end / 1000 + 60,
      kind: 'logins' as const,
    })),
    // RFID outages: every branch's verification counters, as scraped live.
    ...(injected?.rfidDown ?? []).map((episode) => ({
      from: episode.start / 1000 - RFID_FINE_BEFORE,
      to: episode.end / 1000 + RFID_FINE_AFTER,
      kind: 'rfid' as const,
    })),
  ];
  return fine.length ? { fine } : {};
}

/**
 * The rule stretches of a timeline: every rule over the dense stretch, the fleet-wide ones before;
 * with `fineRules`, those rules again every FINE_STEP over the fine stretches of their kind.
 */
function ruleStretches(
  timeline: Timeline,
  rules: RecordingRule[],
  fleetStep?: number,
  fineRules?: BackfillOptions['fineRules'],
): RuleStretch[] {
  const fine = Object.entries(fineRules ?? {}).flatMap(([kind, expressions]) => {
    const only = rulesReadBy(rules, expressions ?? []);
    return (timeline.fine ?? [])
      .filter((stretch) => stretch.kind === kind && only.size > 0)
      .map((stretch) => ({
        // On the FINE_STEP grid, as the raw samples are.
        from: Math.ceil(stretch.from / FINE_STEP) * FINE_STEP,
        to: stretch.to,
        stepSeconds: FINE_STEP,
        perBranch: true,
        only,
      }));
  });
  return [...coarseRuleStretches(timeline, fleetStep), ...fine];
}

/** Every rule over the dense stretch, the fleet-wide ones before (or all along at fleetStep). */
function coarseRuleStretches(timeline: Timeline, fleetStep?: number): RuleStretch[] {
  if (fleetStep) {
    if (timeline.denseFrom !== timeline.startSeconds)
      throw new Error('fleetRuleStepSeconds needs a history dense all along: raise the sample budget');
    return [
      { from: timeline.startSeconds, to: timeline.endSeconds, stepSeconds: RULE_STEP, perBranch: true, fleetWide: false },
      { from: timeline.startSeconds, to: timeline.endSeconds, stepSeconds: fleetStep, perBranch: false },
    ];
  }
  return [
    { from: timeline.startSeconds, to: timeline.denseFrom - 1, stepSeconds: RULE_STEP, perBranch: false },
    { from: timeline.denseFrom, to: timeline.endSeconds, stepSeconds: RULE_STEP, perBranch: true },
  ].filter((stretch) => stretch.to >= stretch.from);
}

/** Steps 5-7 for a set of raw families: import, rules, install. */
async function importWithRules(options: {
  prometheusDir: string;
  families: Family[];
  /** Raw families served to the rules but already in Prometheus (the gap's context), not installed. */
  contextFamilies?: Family[];
  stretches: RuleStretch[];
  rules: RecordingRule[];
  retentionDays: number;
  progress?: NodeJS.WriteStream;
  log: (line: string) => void;
}) {
  const dataDir = join(options.prometheusDir, 'data');
  mkdirSync(options.prometheusDir, { recursive: true });
  // Inside Prometheus's directory: the blocks are moved into data/ by rename (one file system).
  const work = mkdtempSync(join(options.prometheusDir, 'backfill-tmp-'));
  try {
    const serverDir = join(work, 'server');
    const served = join(serverDir, 'data');
    // 5. importRaw
    const raw = await importRaw(options.families, { workDir: join(work, 'raw'), into: served, stream: options.progress, log: options.log });
    const context = options.contextFamilies?.length
      ? await importRaw(options.contextFamilies, {
          workDir: join(work, 'context'),
          into: served,
          stream: options.progress,
          log: options.log,
        })
      : undefined;
    // 6. recordRules
    const bar = new ProgressBar('backfill: recording rules (promtool create-blocks-from rules)', options.progress, options.log);
    await recordRuleHistory({
      serverDir,
      workDir: join(work, 'rules'),
      rules: options.rules,
      stretches: options.stretches,
      retentionDays: options.retentionDays,
      log: options.log,
      onLevel: (done, total) => bar.update(done / total, `level ${done}/${total}`),
    });
    // The gap's context is in Prometheus already: its blocks are dropped, unless the temporary
    // Prometheus compacted them into others (it may after a minute): then they are installed
    // too, and Prometheus merges the overlapping blocks, keeping each sample once.
    let contextLeft = 0;
    for (const block of context?.blocks ?? []) {
      if (existsSync(join(served, block))) rmSync(join(served, block), { recursive: true, force: true });
      else contextLeft = context!.samples;
    }
    const total = await samplesIn(served);
    const ruleSamples = total.samples - raw.samples - contextLeft;
    bar.finish(`${ruleSamples.toLocaleString('en')} samples`);
    // 7. installBlocks (with the gap's context too when compaction merged it in: Prometheus
    // merges overlapping blocks and drops the samples they have twice).
    mkdirSync(dataDir, { recursive: true });
    const blocks = blocksIn(served);
    for (const block of blocks) renameSync(join(served, block), join(dataDir, block));
    return { ...raw, ruleSamples, blockCount: blocks.length };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const fleetOptions = {
    seed: options.seed ?? FLEET_DEFAULTS.seed,
    branches: options.branches ?? FLEET_DEFAULTS.branches,
    officersPerBranch: options.officersPerBranch ?? FLEET_DEFAULTS.officersPerBranch,
    perBranchPerDay: options.perBranchPerDay ?? FLEET_DEFAULTS.perBranchPerDay,
  };
  if (!(options.days > 0)) throw new Error(`--days must be more than 0, got ${options.days}`);
  requireTool('promtool'); // before minutes of work, not after
  requireTool('prometheus'); // the rules are evaluated by a temporary Prometheus
  refuseOverlap(options);
  const { endSeconds, firstStart } = chooseEnd(options);
  const fleet = branchProfiles(fleetOptions);
  const timeline: Timeline = {
    ...chooseTimeline({
      endSeconds,
      days: options.days,
      budget: options.sampleBudget ?? DEFAULT_BUDGET,
      branchSeries: branchSeriesCount(fleet),
      fleetSeries: fleetSeriesCount(),
    }),
    ...fineStretches(options.injected),
  };
  const hours = (seconds: number) => `${Math.round((seconds / 3600) * 10) / 10} h`;
  log(
    `backfill: ${options.days} days (${new Date(timeline.startSeconds * 1000).toISOString()} .. ${new Date(endSeconds * 1000).toISOString()}${firstStart ? ', up to now: Prometheus holds nothing yet' : ', 3 hours before now: Prometheus has data'}), ${fleet.length} branches; ` +
      `every series every ${DENSE_STEP} s over the last ${hours(endSeconds - timeline.denseFrom)}, per-branch every ${timeline.branchRecentStep / 60} min over the 2 days before and ${timeline.branchStep / 60} min earlier`,
  );

  const instances = instancesOf(options);
  const bar = new ProgressBar('backfill: simulating', options.progress, log);
  const history = buildHistory({
    ...fleetOptions,
    timeline,
    instances,
    injected: options.injected,
    onDay: (done, total) => bar.update(done / total, `day ${done}/${total}`),
  });
  bar.finish();

  const rules = loadRecordingRules(options.ruleFiles ?? defaultRuleFiles());
  const imported = await importWithRules({
    prometheusDir: options.prometheusDir,
    families: history.families,
    stretches: ruleStretches(timeline, rules, options.fleetRuleStepSeconds, options.fineRules),
    rules,
    retentionDays: options.days,
    progress: options.progress,
    log,
  });
  const summary: BackfillResult = {
    days: options.days,
    startSeconds: timeline.startSeconds,
    endSeconds,
    denseFromSeconds: timeline.denseFrom,
    branchStepSeconds: timeline.branchStep,
    branchRecentStepSeconds: timeline.branchRecentStep,
    branchRecentFromSeconds: timeline.branchRecentFrom,
    series: imported.series,
    samplesWritten: imported.samplesWritten,
    samples: imported.samples,
    ruleSamples: imported.ruleSamples,
    blocks: imported.blockCount,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    fleet: fleetOptions,
    instances,
  };
  writeMarker(options.prometheusDir, summary);
  log(
    `backfill: imported ${summary.samples.toLocaleString('en')} raw and ${summary.ruleSamples.toLocaleString('en')} recording-rule samples (${summary.series} raw series, ${summary.blocks} blocks) into ${join(options.prometheusDir, 'data')} (${summary.seconds} s)`,
  );
  return summary;
}

/** Records when the live stack first ran on this history (the end of the gap to fill later). */
export function recordLiveStart(prometheusDir: string, seconds = Math.floor(Date.now() / 1000)): void {
  const state = historyState(prometheusDir);
  if (!state || state.liveStartSeconds) return;
  writeMarker(prometheusDir, { ...state, liveStartSeconds: seconds });
}

/** Samples of `families` in (from, to] (from < t), or in [from, to] when `inclusive`. */
function slice(families: Family[], from: number, to: number): Family[] {
  return families
    .map((family) => ({
      ...family,
      series: family.series.flatMap((series) => {
        const times = Array.from(series.times);
        const first = times.findIndex((t) => t > from);
        if (first < 0) return [];
        let last = times.length;
        while (last > first && times[last - 1]! > to) last--;
        if (last <= first) return [];
        return [{ ...series, times: times.slice(first, last), values: Array.from(series.values).slice(first, last) }];
      }),
    }))
    .filter((family) => family.series.length > 0);
}

/**
 * Fills the hole between the end of a history that stopped 3 hours before its first live start
 * (Prometheus had data, or the history was made by hand) and that first live scrape, once the hole
 * is itself more than 3 hours old: the model is replayed from the same start with the same seed and
 * the same timeline (so every series continues exactly where the history stopped) up to just
 * before the first live start, the new raw samples are imported and the rules evaluated over the
 * hole (from the replayed raw history). Returns the samples imported, or 0 when there is nothing
 * to do yet.
 */
export async function fillHistoryGap(options: {
  prometheusDir: string;
  now?: number;
  ruleFiles?: string[];
  log?: (line: string) => void;
  progress?: NodeJS.WriteStream;
}): Promise<number> {
  const log = options.log ?? ((line: string) => console.log(line));
  const state = historyState(options.prometheusDir);
  if (!state?.liveStartSeconds || !state.instances || state.gapFilledUntil || state.denseFromSeconds === undefined) return 0;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const gapEnd = Math.floor((state.liveStartSeconds - 60) / DENSE_STEP) * DENSE_STEP;
  // A first start's history ends where the backfill began; the minutes it and the services took
  // to start are not worth replaying 30 days of the model for.
  if (gapEnd - state.endSeconds < SMALL_GAP_SECONDS) {
    writeMarker(options.prometheusDir, { ...state, gapFilledUntil: state.endSeconds });
    return 0;
  }
  if (now - gapEnd < HEAD_RANGE_SECONDS + 60) {
    log(
      `backfill: the ${((gapEnd - state.endSeconds) / 3600).toFixed(1)} h between the history and the first live data is filled on a start after ${new Date((gapEnd + HEAD_RANGE_SECONDS + 60) * 1000).toISOString()}`,
    );
    return 0;
  }
  const started = Date.now();
  const timeline: Timeline = {
    startSeconds: state.startSeconds,
    endSeconds: gapEnd,
    denseFrom: state.denseFromSeconds,
    branchStep: state.branchStepSeconds,
    branchRecentStep: state.branchRecentStepSeconds,
    branchRecentFrom: state.branchRecentFromSeconds,
  };
  const bar = new ProgressBar('backfill: replaying the model up to the first live start', options.progress, log);
  const history = buildHistory({
    ...state.fleet,
    timeline,
    instances: state.instances,
    onDay: (done, total) => bar.update(done / total, `day ${done}/${total}`),
  });
  bar.finish();
  const rules = loadRecordingRules(options.ruleFiles ?? defaultRuleFiles());
  // The rules over the hole read up to their longest window of raw series before it: that
  // stretch of the replayed history is served to them too, but it is already in Prometheus. (Rules
  // of rules, like the SLOs' 30-day budget, read recorded series the replay does not make.)
  const lookback = longestWindowSeconds(dependencyLevels(rules)[0] ?? []) + 2 * RULE_STEP;
  const imported = await importWithRules({
    prometheusDir: options.prometheusDir,
    families: slice(history.families, state.endSeconds, gapEnd),
    contextFamilies: slice(history.families, state.endSeconds - lookback - 1, state.endSeconds),
    stretches: [{ from: state.endSeconds + 1, to: gapEnd, stepSeconds: RULE_STEP, perBranch: true }],
    rules,
    retentionDays: (gapEnd - state.startSeconds) / 86400,
    progress: options.progress,
    log,
  });
  writeMarker(options.prometheusDir, {
    ...state,
    gapFilledUntil: gapEnd,
    samples: state.samples + imported.samples,
    samplesWritten: state.samplesWritten + imported.samplesWritten,
    ruleSamples: (state.ruleSamples ?? 0) + imported.ruleSamples,
  });
  log(
    `backfill: filled ${((gapEnd - state.endSeconds) / 3600).toFixed(1)} h up to the first live start: ${imported.samples.toLocaleString('en')} raw and ${imported.ruleSamples.toLocaleString('en')} rule samples (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return imported.samples;
}
