// The backfill as a whole: model -> OpenMetrics files -> `promtool tsdb create-blocks-from
// openmetrics` (several at once) -> blocks moved into Prometheus's data directory, with a progress
// bar, the samples counted twice (written, and reported by promtool per block) and a marker file
// so `npm start` backfills only once per data directory.
//
// Continuity with the live simulation: the history ends 3 hours before "now" (Prometheus 2.42
// must not get backfilled samples in its head block's range) on a 5-minute boundary. Its series
// carry the same labels (job, instance, branch, ...) as the live scrapes, so they are the same
// series. The live exporters' counters are the database's totals, which start from the live
// simulation's first rows (the embedded database holds no history rows): at the boundary a
// counter drops from the history's total to the live total, which Prometheus treats as a counter
// reset, exactly as after an exporter restart: rate() and increase() count across it correctly
// (they add the post-reset value in full) and never go negative. The 3 hours between the end of
// the history and the first live scrape have no samples.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from '../tools.ts';
import { PORTS } from '../config.ts';
import { branchProfiles } from '@paywatch/simulator/model';
import { DEFAULTS as SIMULATOR_DEFAULTS } from '@paywatch/simulator';
import { branchSeriesCount, buildHistory, TICK_SECONDS, type HistoryOptions } from './history.ts';
import { writeOpenMetrics, type Family } from './openmetrics.ts';
import { ProgressBar } from './progress.ts';

/** The simulator's fleet defaults (simulator/src/simulator.ts); the history must use the same fleet. */
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
  /** Most samples to write (default 4 000 000: 30-60 s of promtool on 2 cores); older per-branch history gets a coarser step to fit. */
  sampleBudget?: number;
  /** "Now" in epoch ms (tests); default Date.now(). */
  now?: number;
  /** Ports the live services use, for the instance labels (default: PORTS' defaults / env). */
  ports?: Partial<Record<'api' | 'payments' | 'lms' | 'rfid' | 'pool' | 'blackbox', number>>;
  /** host:port instance labels, when the services are not on 127.0.0.1 (docker-compose). */
  instances?: Partial<Record<'payments' | 'lms' | 'rfid' | 'pool' | 'api' | 'blackbox', string>>;
  /** Replace an existing history (default: refuse when there is one). */
  force?: boolean;
  log?: (line: string) => void;
  /** Where the progress bar draws (default: stderr when it is a terminal, else plain lines). */
  progress?: NodeJS.WriteStream;
}

export interface BackfillResult {
  days: number;
  startSeconds: number;
  endSeconds: number;
  /** Step of the per-branch series, seconds (older history) ... */
  branchStepSeconds: number;
  /** ... and over the last two days, from branchRecentFromSeconds on. */
  branchRecentStepSeconds?: number;
  branchRecentFromSeconds?: number;
  series: number;
  samplesWritten: number;
  /** Samples promtool reports in the blocks it wrote (must equal samplesWritten). */
  samples: number;
  blocks: number;
  seconds: number;
  fleet: { seed: number; branches: number; officersPerBranch: number; perBranchPerDay: number };
  /** The instance labels the history carries (the live scrapes' addresses at the time). */
  instances?: HistoryOptions['instances'];
  /** When the live stack first started on this history (set by `npm start`). */
  liveStartSeconds?: number;
  /** The gap between the history and the first live scrape is filled up to here. */
  gapFilledUntil?: number;
}

const MARKER = 'backfill.json';

/** The marker of a previous backfill, or undefined when this data directory has none. */
export function historyState(prometheusDir: string): BackfillResult | undefined {
  const file = join(prometheusDir, MARKER);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as BackfillResult;
}

/** Prometheus has written to this directory (a write-ahead log or blocks of its own). */
export function hasLiveData(prometheusDir: string): boolean {
  const data = join(prometheusDir, 'data');
  if (!existsSync(data)) return false;
  const wal = join(data, 'wal');
  if (existsSync(wal) && readdirSync(wal).some((name) => /^\d+$/.test(name))) return true;
  return readdirSync(data).some((name) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(name));
}

/** Steps for per-branch series, in ticks: 5, 10, 15, 30 minutes, 1, 2, 3, 6, 12 hours. */
const STEPS = [1, 2, 3, 6, 12, 24, 36, 72, 144];

function runPromtool(promtool: string, input: string, output: string): Promise<{ samples: number; blocks: number; text: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=24h', input, output], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`promtool exited ${code} importing ${input}:\n${text.slice(-2000)}`));
      // BLOCK ULID  MIN TIME  MAX TIME  DURATION  NUM SAMPLES  NUM CHUNKS  NUM SERIES  SIZE
      let samples = 0;
      let blocks = 0;
      for (const line of text.split('\n')) {
        const match = /^([0-9A-HJKMNP-TV-Z]{26})\s+\d+\s+\d+\s+\S+\s+(\d+)\s/.exec(line.trim());
        if (match) {
          blocks++;
          samples += Number(match[2]);
        }
      }
      resolve({ samples, blocks, text });
    });
  });
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
  const dataDir = join(options.prometheusDir, 'data');
  const previous = historyState(options.prometheusDir);
  if (previous && !options.force) throw new Error(`${options.prometheusDir} already has ${previous.days} days of backfilled history (${MARKER}); use --force to add another`);
  if (!previous && hasLiveData(options.prometheusDir) && !options.force) {
    throw new Error(`Prometheus in ${options.prometheusDir} already has data: simulated history would overlap it. Use a fresh data directory, or --force`);
  }

  // Nothing in the last 3 hours (the head block's range), on a tick boundary.
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const endSeconds = Math.floor((now - 3 * 3600 - 60) / TICK_SECONDS) * TICK_SECONDS;
  const startSeconds = endSeconds - Math.round(options.days * 86400);
  const ticks = (endSeconds - startSeconds) / TICK_SECONDS + 1;

  // Per-branch step within the sample budget.
  const fleet = branchProfiles(fleetOptions);
  const budget = options.sampleBudget ?? 4_000_000;
  const perBranch = branchSeriesCount(fleet);
  // Gauges, probes, the API histogram and the recording rules: 5 min for a week, 15 min before.
  const recentTicks = Math.min(ticks, (7 * 86400) / TICK_SECONDS);
  const fleetSamples = 140 * (recentTicks + Math.ceil((ticks - recentTicks) / 3));
  // Per-branch: 30 minutes (or 1 hour) over the last 2 days (the 24-hour views), then the step that fits.
  const branchRecentFrom = endSeconds - Math.min(2 * 86400, endSeconds - startSeconds);
  const branchRecentTicks = (endSeconds - branchRecentFrom) / TICK_SECONDS;
  const branchSamples = (k: number, recent: number) => perBranch * (Math.ceil(branchRecentTicks / recent) + Math.ceil((ticks - branchRecentTicks) / k));
  // The first (older step, recent step) that fits: 30 min recent if possible, else 1 h.
  const choice = STEPS.flatMap((k) => [Math.min(k, 6), Math.min(k, 12)].map((recent) => [k, recent] as const)).find(([k, recent]) => branchSamples(k, recent) + fleetSamples <= budget) ?? [STEPS[STEPS.length - 1]!, 12];
  const [every, recentEvery] = choice;
  const minutes = (k: number) => (k * TICK_SECONDS) / 60;
  log(`backfill: ${options.days} days (${new Date(startSeconds * 1000).toISOString()} .. ${new Date(endSeconds * 1000).toISOString()}), ${fleet.length} branches; per-branch step ${minutes(recentEvery)} min over the last 2 days, ${minutes(every)} min before; fleet-wide 5 min over the last 7 days, 15 min before`);

  const port = (name: 'api' | 'payments' | 'lms' | 'rfid' | 'pool' | 'blackbox') => options.ports?.[name] ?? Number(process.env[PORTS[name].env] || PORTS[name].port);
  const instances: HistoryOptions['instances'] = {
    payments: options.instances?.payments ?? `127.0.0.1:${port('payments')}`,
    lms: options.instances?.lms ?? `127.0.0.1:${port('lms')}`,
    rfid: options.instances?.rfid ?? `127.0.0.1:${port('rfid')}`,
    pool: options.instances?.pool ?? `127.0.0.1:${port('pool')}`,
    api: options.instances?.api ?? `127.0.0.1:${port('api')}`,
    blackbox: options.instances?.blackbox ?? `127.0.0.1:${port('blackbox')}`,
    apiHost: options.instances?.api ?? `127.0.0.1:${port('api')}`,
  };
  const bar = new ProgressBar('backfill: simulating', options.progress, log);
  const history = buildHistory({
    ...fleetOptions,
    startSeconds,
    endSeconds,
    branchEvery: every,
    branchRecentEvery: recentEvery,
    branchRecentFrom,
    instances,
    onDay: (done, total) => bar.update(done / total, `day ${done}/${total}`),
  });
  bar.finish();

  const imported = await importFamilies(options.prometheusDir, history.families, options.progress, log);
  const summary: BackfillResult = {
    days: options.days,
    startSeconds,
    endSeconds,
    branchStepSeconds: every * TICK_SECONDS,
    branchRecentStepSeconds: recentEvery * TICK_SECONDS,
    branchRecentFromSeconds: branchRecentFrom,
    series: imported.series,
    samplesWritten: imported.samplesWritten,
    samples: imported.samples,
    blocks: imported.blocks,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    fleet: fleetOptions,
    instances,
  };
  writeMarker(options.prometheusDir, summary);
  log(`backfill: imported ${summary.samples.toLocaleString('en')} samples of ${summary.series} series in ${summary.blocks} blocks into ${dataDir} (${summary.seconds} s)`);
  return summary;
}

function writeMarker(prometheusDir: string, state: BackfillResult) {
  writeFileSync(join(prometheusDir, MARKER), `${JSON.stringify(state, null, 2)}\n`);
}

/** Records when the live stack first ran on this history (the end of the gap to fill later). */
export function recordLiveStart(prometheusDir: string, seconds = Math.floor(Date.now() / 1000)): void {
  const state = historyState(prometheusDir);
  if (!state || state.liveStartSeconds) return;
  writeMarker(prometheusDir, { ...state, liveStartSeconds: seconds });
}

/**
 * Fills the hole between the end of the history (3 hours before the first start) and the first
 * live scrape, once that range is itself more than 3 hours old: the model is replayed from the
 * same start with the same seed (so every series continues exactly where the history stopped)
 * up to just before the first live start, and only the new samples are imported. Returns the
 * samples imported, or 0 when there is nothing to do yet.
 */
export async function fillHistoryGap(options: { prometheusDir: string; now?: number; log?: (line: string) => void; progress?: NodeJS.WriteStream }): Promise<number> {
  const log = options.log ?? ((line: string) => console.log(line));
  const state = historyState(options.prometheusDir);
  if (!state?.liveStartSeconds || !state.instances || state.gapFilledUntil) return 0;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const gapEnd = Math.floor((state.liveStartSeconds - 60) / TICK_SECONDS) * TICK_SECONDS;
  if (gapEnd <= state.endSeconds) {
    writeMarker(options.prometheusDir, { ...state, gapFilledUntil: state.endSeconds });
    return 0;
  }
  if (now - gapEnd < 3 * 3600 + 60) {
    log(`backfill: the ${((gapEnd - state.endSeconds) / 3600).toFixed(1)} h between the history and the first live data is filled on a start after ${new Date((gapEnd + 3 * 3600 + 60) * 1000).toISOString()}`);
    return 0;
  }
  const started = Date.now();
  const bar = new ProgressBar('backfill: replaying the model up to the first live start', options.progress, log);
  const history = buildHistory({
    ...state.fleet,
    startSeconds: state.startSeconds,
    endSeconds: gapEnd,
    branchEvery: state.branchStepSeconds / TICK_SECONDS,
    branchRecentEvery: (state.branchRecentStepSeconds ?? state.branchStepSeconds) / TICK_SECONDS,
    branchRecentFrom: state.branchRecentFromSeconds ?? state.endSeconds,
    instances: state.instances,
    closeAt: state.endSeconds,
    onDay: (done, total) => bar.update(done / total, `day ${done}/${total}`),
  });
  bar.finish();
  const families = history.families
    .map((family) => ({
      ...family,
      series: family.series.flatMap((series) => {
        const first = Array.from(series.times).findIndex((t) => t > state.endSeconds);
        if (first < 0) return [];
        return [{ ...series, times: Array.from(series.times).slice(first), values: Array.from(series.values).slice(first) }];
      }),
    }))
    .filter((family) => family.series.length > 0);
  const imported = await importFamilies(options.prometheusDir, families, options.progress, log);
  writeMarker(options.prometheusDir, { ...state, gapFilledUntil: gapEnd, samples: state.samples + imported.samples, samplesWritten: state.samplesWritten + imported.samplesWritten });
  log(`backfill: filled ${((gapEnd - state.endSeconds) / 3600).toFixed(1)} h up to the first live start: ${imported.samples.toLocaleString('en')} samples (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return imported.samples;
}

/** Writes families as OpenMetrics, imports them with promtool, moves the blocks into <dir>/data. */
async function importFamilies(prometheusDir: string, families: Family[], stream: NodeJS.WriteStream | undefined, log: (line: string) => void) {
  const promtool = requireTool('promtool');
  const dataDir = join(prometheusDir, 'data');
  mkdirSync(prometheusDir, { recursive: true });
  // Inside Prometheus's directory: the blocks are moved into data/ by rename (one file system).
  const work = mkdtempSync(join(prometheusDir, 'backfill-tmp-'));
  try {
    const shards = Math.max(2, Math.min(8, cpus().length * 2));
    const files = Array.from({ length: shards }, (_, i) => join(work, `history-${i}.om`));
    const totalSeries = families.reduce((sum, family) => sum + family.series.length, 0);
    const writeBar = new ProgressBar('backfill: writing OpenMetrics', stream, log);
    let written = 0;
    const result = writeOpenMetrics(families, files, () => {
      written++;
      if (written % 200 === 0) writeBar.update(written / totalSeries, `${written}/${totalSeries} series`);
    });
    writeBar.finish(`${result.series} series, ${result.samples.toLocaleString('en')} samples`);

    // Import: promtool per file, as many at a time as there are cores.
    const importBar = new ProgressBar('backfill: promtool create-blocks-from openmetrics', stream, log);
    const outputs = files.map((_, i) => join(work, `blocks-${i}`));
    const parallel = Math.max(1, cpus().length);
    let next = 0;
    let done = 0;
    let samples = 0;
    let blocks = 0;
    importBar.update(0, `0/${files.length} files`);
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < files.length) {
          const i = next++;
          const imported = await runPromtool(promtool, files[i]!, outputs[i]!);
          samples += imported.samples;
          blocks += imported.blocks;
          done++;
          importBar.update(done / files.length, `${done}/${files.length} files, ${samples.toLocaleString('en')} samples`);
        }
      }),
    );
    importBar.finish(`${blocks} blocks, ${samples.toLocaleString('en')} samples`);
    if (samples !== result.samples) throw new Error(`promtool imported ${samples} samples but ${result.samples} were written`);

    mkdirSync(dataDir, { recursive: true });
    for (const output of outputs) {
      if (!existsSync(output)) continue;
      for (const block of readdirSync(output)) renameSync(join(output, block), join(dataDir, block));
    }
    return { series: result.series, samplesWritten: result.samples, samples, blocks };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
