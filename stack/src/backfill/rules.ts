// The recording rules' history, evaluated by Prometheus from the raw history with
// `promtool tsdb create-blocks-from rules` over the committed rule files: nothing here knows what a
// rule computes.
//
// How (the same with promtool 2.42 and 3.x):
//   1. A temporary Prometheus (free port, no scrapes) serves a TSDB holding the raw history's
//      blocks.
//   2. promtool evaluates rules through that Prometheus's query API and writes the results as
//      blocks. It cannot see the rules it is writing, so a rule that reads another rule's series
//      (channel:payments:rate5m reads branch_channel:payments:rate5m) must wait for that rule's
//      blocks to be served: the rules are run in dependency levels, and the Prometheus is
//      restarted on the new blocks between levels.
//   3. The rules are evaluated every RULE_STEP, by copies of the rule groups whose `interval` is
//      that step (expressions untouched): every rule over the dense stretch of the timeline, the
//      fleet-wide ones before it. promtool's hidden --max-block-duration makes it query and
//      write one block per rule per stretch rather than one per 2 hours.
//   4. promtool evaluates one rule after another, and Prometheus answers one query on one core:
//      the rules of a level are run by one promtool each, as many at a time as there are cores,
//      the costliest first (those reading the longest windows), so the cores stay busy.
// A rule whose windows the raw history cannot fill at some time (a 5-minute rate over per-branch
// counters kept every 6 hours) gets no sample there: the history shows what Prometheus can compute.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { durationSeconds } from '@paywatch/kpi';
import { blockTable, eachAtOnce, promtool, startPrometheus, type RunningServer } from '@paywatch/runtime';

/**
 * Rule evaluation step: the dashboards read recorded series with Prometheus's 5-minute lookback,
 * so a longer step would leave most points of a chart empty.
 */
export const RULE_STEP = 300;

/** Aggregation levels (the part of a rule's name before the first colon) that keep a series per branch or officer. */
const PER_BRANCH_LEVELS = new Set(['branch', 'branch_channel', 'officer']);

/** The rule records one series per branch (or officer): by the naming convention level:metric:operations. */
export function isPerBranch(rule: RecordingRule): boolean {
  return PER_BRANCH_LEVELS.has(rule.record.split(':')[0]!);
}

/** The rule file every promtool run reads, relative to its own directory (see recordRuleHistory). */
const RULE_FILE = 'recording.yml';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
  group: string;
}

/** The recording rules of the rule files (alerting rules are not history). */
export function loadRecordingRules(files: string[]): RecordingRule[] {
  return files.flatMap((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as {
      groups?: Array<{ name: string; rules: Array<{ record?: string; expr: string; labels?: Record<string, string> }> }>;
    };
    return (doc.groups ?? []).flatMap((group) =>
      group.rules
        .filter((rule) => rule.record)
        .map((rule) => ({ record: rule.record!, expr: String(rule.expr), labels: rule.labels, group: group.name })),
    );
  });
}

/** The rules by dependency level: level 0 reads raw series only, level n reads some rule of level n-1. */
export function dependencyLevels(rules: RecordingRule[]): RecordingRule[][] {
  const byName = new Map<string, RecordingRule[]>();
  for (const rule of rules) byName.set(rule.record, [...(byName.get(rule.record) ?? []), rule]);
  const level = new Map<RecordingRule, number>();
  const levelOf = (rule: RecordingRule, path: Set<RecordingRule>): number => {
    const known = level.get(rule);
    if (known !== undefined) return known;
    if (path.has(rule)) throw new Error(`recording rule ${rule.record} depends on itself`);
    path.add(rule);
    let deepest = -1;
    for (const name of rule.expr.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []) {
      for (const input of byName.get(name) ?? []) if (input !== rule) deepest = Math.max(deepest, levelOf(input, path));
    }
    path.delete(rule);
    level.set(rule, deepest + 1);
    return deepest + 1;
  };
  const levels: RecordingRule[][] = [];
  for (const rule of rules) (levels[levelOf(rule, new Set())] ??= []).push(rule);
  return levels.filter(Boolean);
}

/** A rule file with `rules`, in their groups, each group evaluated every `stepSeconds`. */
export function ruleFileText(rules: RecordingRule[], stepSeconds: number): string {
  const groups = new Map<string, RecordingRule[]>();
  for (const rule of rules) groups.set(rule.group, [...(groups.get(rule.group) ?? []), rule]);
  return stringify({
    groups: [...groups].map(([name, members]) => ({
      name,
      interval: `${stepSeconds}s`,
      rules: members.map((rule) => ({ record: rule.record, expr: rule.expr, ...(rule.labels ? { labels: rule.labels } : {}) })),
    })),
  });
}

export interface RuleStretch {
  /** First and last evaluation time, epoch seconds. */
  from: number;
  to: number;
  stepSeconds: number;
  /** Also the per-branch rules (false before the dense stretch: 500 branches x 30 days of them would outweigh the raw history). */
  perBranch: boolean;
  /** false: the per-branch rules only (a benchmark evaluates the fleet-wide ones at a finer step in a stretch of their own). */
  fleetWide?: boolean;
  /** Only these rules (by recorded name; per-branch or not): a benchmark's fine stretch, see rulesReadBy. */
  only?: ReadonlySet<string>;
}

/**
 * The recorded names that expressions read, directly or through other rules (an alert over
 * paywatch:rfid_success_ratio:rate5m reads branch:rfid_verifications:rate5m through it).
 */
export function rulesReadBy(rules: RecordingRule[], expressions: string[]): Set<string> {
  const byName = new Map<string, RecordingRule[]>();
  for (const rule of rules) byName.set(rule.record, [...(byName.get(rule.record) ?? []), rule]);
  const read = new Set<string>();
  const visit = (expr: string) => {
    for (const name of expr.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []) {
      if (read.has(name) || !byName.has(name)) continue;
      read.add(name);
      for (const rule of byName.get(name)!) visit(rule.expr);
    }
  };
  for (const expr of expressions) visit(expr);
  return read;
}

/** Blocks (ULID directories) in a directory. */
export function blocksIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(name));
}

/** Samples in the blocks of a directory, as `promtool tsdb list` reports them. */
export async function samplesIn(dir: string): Promise<{ samples: number; blocks: number }> {
  if (blocksIn(dir).length === 0) return { samples: 0, blocks: 0 };
  return blockTable(await promtool(['tsdb', 'list', dir]));
}

/** A range (`[5m]`, a subquery's `[1h:1m]`) or an offset (`offset 1d`) in an expression, with its Prometheus duration. */
const RANGE_OR_OFFSET = /\[((?:\d+(?:ms|s|m|h|d|w|y))+)(?::[^\]]*)?\]|offset\s+((?:\d+(?:ms|s|m|h|d|w|y))+)/g;

/** Seconds of every range and of every offset a rule's expression reads. */
function reach(rule: RecordingRule): { ranges: number[]; offsets: number[] } {
  const ranges: number[] = [];
  const offsets: number[] = [];
  for (const [, range, offset] of rule.expr.matchAll(RANGE_OR_OFFSET))
    if (range) ranges.push(durationSeconds(range));
    else offsets.push(durationSeconds(offset!));
  return { ranges, offsets };
}

/** The longest range a rule reads ([1d] -> 86400), so the raw history it needs can be served. */
export function longestWindowSeconds(rules: RecordingRule[]): number {
  return Math.max(0, ...rules.flatMap((rule) => reach(rule).ranges));
}

/** Seconds of raw series one evaluation reads (every range and offset added up): a rule's cost, roughly. */
export function readSeconds(rule: RecordingRule): number {
  const { ranges, offsets } = reach(rule);
  return [...ranges, ...offsets].reduce((sum, seconds) => sum + seconds, 0);
}

/**
 * Evaluates `rules` over `stretches` against the raw blocks in `serverDir`/data and leaves the
 * rule blocks there too. The temporary Prometheus may compact what it serves (it does after a
 * minute): the caller takes every block it finds there afterwards.
 */
export async function recordRuleHistory(options: {
  /** A directory whose data/ holds the raw blocks; a temporary Prometheus serves it. */
  serverDir: string;
  workDir: string;
  rules: RecordingRule[];
  stretches: RuleStretch[];
  retentionDays: number;
  log: (line: string) => void;
  onLevel?: (done: number, total: number) => void;
}): Promise<{ levels: number }> {
  const levels = dependencyLevels(options.rules);
  const serverDir = options.serverDir;
  const tsdbDir = join(serverDir, 'data');
  mkdirSync(options.workDir, { recursive: true });
  let prometheus: RunningServer | undefined;
  const serve = async () => {
    await prometheus?.stop();
    prometheus = await startPrometheus({
      dir: serverDir,
      config: 'global:\n  scrape_interval: 1h\n',
      retention: `${Math.ceil(options.retentionDays) + 15}d`,
      // Range queries over weeks of 500 branches' series: more than a dashboard's limits.
      extraArgs: ['--query.max-samples=500000000', '--query.timeout=10m'],
    });
    return prometheus;
  };
  const parallel = Math.max(1, cpus().length);
  let runs = 0;
  try {
    for (let level = 0; level < levels.length; level++) {
      options.onLevel?.(level, levels.length);
      const started = Date.now();
      const server = await serve();
      const served = Date.now();
      const tasks = options.stretches
        .filter((stretch) => stretch.to >= stretch.from)
        .flatMap((stretch) =>
          levels[level]!.filter((rule) =>
            stretch.only ? stretch.only.has(rule.record) : isPerBranch(rule) ? stretch.perBranch : stretch.fleetWide !== false,
          ).map((rule) => ({
            rule,
            stretch,
          })),
        )
        .sort((a, b) => readSeconds(b.rule) * (b.stretch.to - b.stretch.from) - readSeconds(a.rule) * (a.stretch.to - a.stretch.from));
      await eachAtOnce(tasks, parallel, async ({ rule, stretch }) => {
        // Each run in a directory of its own, all with the same relative file name: Prometheus
        // offsets a group's evaluation times by a hash of its name and file, so a group's rules of
        // every level and every run are evaluated at the same times, and a rule reads the value
        // its group recorded at that very evaluation, as live.
        const dir = join(options.workDir, `run-${runs++}`);
        mkdirSync(dir);
        writeFileSync(join(dir, RULE_FILE), ruleFileText([rule], stretch.stepSeconds));
        // One block per rule over the whole stretch (compatible durations: 2h * 3^n; a range query
        // may have 11 000 points, so the block may not hold more than that many steps).
        const span = Math.min(stretch.to - stretch.from + 2 * stretch.stepSeconds, 10_000 * stretch.stepSeconds);
        await promtool(
          [
            'tsdb',
            'create-blocks-from',
            '--quiet',
            `--max-block-duration=${Math.max(2, Math.ceil(span / 3600))}h`,
            'rules',
            `--url=${server.url}`,
            `--start=${stretch.from}`,
            `--end=${stretch.to}`,
            `--eval-interval=${stretch.stepSeconds}s`,
            '--output-dir=blocks',
            RULE_FILE,
          ],
          dir,
        );
        for (const block of blocksIn(join(dir, 'blocks'))) renameSync(join(dir, 'blocks', block), join(tsdbDir, block));
      });
      const seconds = (from: number) => ((Date.now() - from) / 1000).toFixed(1);
      options.log(
        `backfill: recording rules, level ${level + 1}/${levels.length}: ${tasks.length} promtool runs, ${parallel} at a time, ${seconds(served)} s (Prometheus ready in ${((served - started) / 1000).toFixed(1)} s)`,
      );
    }
    options.onLevel?.(levels.length, levels.length);
  } finally {
    await prometheus?.stop();
  }
  options.log(`backfill: recording rules: ${levels.length} dependency levels evaluated over ${options.stretches.length} stretches`);
  return { levels: levels.length };
}
