// The metric families the exporters derive from the database, and their text exposition.
//
// Why not prom-client's Counter/Gauge/Histogram for these: the values come from SQL aggregates
// (a histogram arrives as per-bucket counts, which prom-client's Histogram cannot take), and at
// production scale the payments exporter carries ~100k series (500 branches x 30 officers x OTP
// outcomes). prom-client keeps an object per series with a label object and a hash string, and
// renders every series on every scrape: that is what made the payments exporter big (~290 MiB)
// and its scrapes slow. Here a series is one rendered label string (`{branch="BR0001",...}`, also
// the lookup key) and its numbers in a Float64Array; the exposition text is rendered once per
// poll, by chunks of series (only the chunks whose values changed), and every scrape writes those
// cached buffers. The text is also kept gzipped, by groups of chunks of ~50 KiB, each a gzip member
// of its own (members one after the other are one gzip stream, RFC 1952; Prometheus's reader takes
// them as one), compressed a group at a time between scrapes and again only when one of their
// chunks changed: Prometheus, which asks for gzip, is served an eighth of the bytes without
// anything compressed at scrape time, and a poll compresses what it changed, not all. prom-client
// still provides the exporter's own health metrics and the default process metrics (see
// exporter.ts).

import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import type { MetricFamily, MetricType } from '@paywatch/contract';

export type { MetricType };

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** What a label value needs escaped in the exposition (most values need nothing). */
const NEEDS_ESCAPE = /[\\\n"]/;

/**
 * A series' rendered labels, `{name="value",...}` ('' without labels), from `pieces`, what comes
 * before each value (`{branch="`, `",officer="`, ...). The one rendering of labels: a series is
 * looked up by this string and exported with the same string, so the two cannot disagree. Built
 * with one join, so the string is flat: a new series keeps it for its life, holding none of the
 * strings it was built from (a concatenation would keep them all, as a tree). Values are escaped
 * only when they need it: a poll looks up every row of the gauges it replaces (~15k officers).
 */
function renderLabels(pieces: readonly string[], values: readonly string[]): string {
  if (!pieces.length) return '';
  const parts: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const value = values[i]!;
    parts.push(pieces[i]!, NEEDS_ESCAPE.test(value) ? escapeLabelValue(value) : value);
  }
  parts.push('"}');
  return parts.join('');
}

/** A series' rendered labels with one more label (a histogram's `le`). */
function withLabel(block: string, extra: string): string {
  return block ? `${block.slice(0, -1)},${extra}}` : `{${extra}}`;
}

/** Series per cached chunk of rendered text: a poll re-renders only the chunks whose series changed. */
const CHUNK_SERIES = 32;

/**
 * Lines (numbers) per gzip member: ~50 KiB of text, enough for deflate's 32 KiB window to find its
 * repeats, few enough members that zlib's per-member set-up (~70 us) stays small.
 */
const GROUP_LINES = 512;

/**
 * Level 1: exposition text still shrinks ~8x, at a fraction of the default level's CPU. On the
 * event loop, a group (~0.2 ms) at a time between scrapes: zlib's asynchronous calls (a stream
 * object and a thread-pool round trip per group) cost more CPU than the compression itself (a
 * simulation of the benchmark's polls at 97k series: 27-33 ms of gzip and 46-54 ms of CPU per
 * poll async, 15-19 ms and 30-37 ms this way).
 */
function gzipped(parts: readonly Buffer[]): Buffer {
  // The group's text is copied into one reused buffer (compressed at once, so nothing else holds
  // it), and the result copied out of zlib's 16 KiB output buffer: neither leaves ~50 KiB of
  // garbage per group nor keeps 16 KiB for a ~6 KiB member.
  let size = 0;
  for (const part of parts) size += part.length;
  if (size > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(size, 2 * scratch.length));
  let at = 0;
  for (const part of parts) at += part.copy(scratch, at);
  const member = gzipSync(scratch.subarray(0, size), { level: 1 });
  return member.length < member.buffer.byteLength ? Buffer.from(member) : member;
}
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

abstract class Family {
  /** Rendered labels → series number. */
  private index = new Map<string, number>();
  /** `{name="`, `",name="`, ...: what comes before each label value in the rendered labels. */
  private readonly labelPieces: string[];
  /** Each series' rendered labels, by series number (the same strings as the index's keys). */
  private labelBlocks: string[] = [];
  /** `width` numbers per series, by series number. */
  protected values: Float64Array;
  private chunks: Buffer[] = [];
  private readonly dirty = new Set<number>();
  /** Gzip members, one per group of `groupChunks` chunks, and the groups whose chunks changed since. */
  private groups: Buffer[] = [];
  private readonly staleGroups = new Set<number>();
  private readonly groupChunks: number;
  private gzipHeader?: Buffer;
  private headerBuffer?: Buffer;

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly help: string,
    readonly labelNames: readonly string[],
    /** Numbers per series: 1, or a histogram's buckets plus count and sum. */
    protected readonly width: number,
    /** A new series' first number. */
    private readonly initial: number,
  ) {
    this.values = new Float64Array(64 * width).fill(initial);
    this.labelPieces = labelNames.map((label, i) => `${i ? '",' : '{'}${label}="`);
    this.groupChunks = Math.max(1, Math.floor(GROUP_LINES / (CHUNK_SERIES * width)));
  }

  /** The rendered labels of a label set: the key a series is found by, and its text. */
  protected key(labels: readonly string[]): string {
    if (labels.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes labels ${this.labelNames.join(', ')}, got ${labels.length} values`);
    }
    return renderLabels(this.labelPieces, labels);
  }

  /** The series number of a label set, or -1. */
  protected find(labels: readonly string[]): number {
    return this.index.get(this.key(labels)) ?? -1;
  }

  /** The series number of a label set, the series created (at its initial value) if new. */
  protected series(labels: readonly string[]): number {
    const key = this.key(labels);
    let found = this.index.get(key);
    if (found === undefined) {
      found = this.labelBlocks.length;
      if ((found + 1) * this.width > this.values.length) {
        const grown = new Float64Array(this.values.length * 2).fill(this.initial);
        grown.set(this.values);
        this.values = grown;
      }
      this.index.set(key, found);
      this.labelBlocks.push(key);
      this.dirty.add(Math.floor(found / CHUNK_SERIES));
    }
    return found;
  }

  /** A series' numbers changed: its chunk is rendered again at the next render. */
  protected changed(series: number): void {
    this.dirty.add(Math.floor(series / CHUNK_SERIES));
  }

  /** Drops the series not kept; the rest are renumbered (rare: readers removed, a target gone). */
  protected retain(keep: (series: number) => boolean): void {
    const blocks: string[] = [];
    const values = new Float64Array(Math.max(64, this.labelBlocks.length) * this.width).fill(this.initial);
    this.index = new Map();
    for (let i = 0; i < this.labelBlocks.length; i++) {
      if (!keep(i)) continue;
      values.set(this.values.subarray(i * this.width, (i + 1) * this.width), blocks.length * this.width);
      this.index.set(this.labelBlocks[i]!, blocks.length);
      blocks.push(this.labelBlocks[i]!);
    }
    this.labelBlocks = blocks;
    this.values = values;
    this.chunks = [];
    this.groups = [];
    for (let chunk = 0; chunk * CHUNK_SERIES < blocks.length; chunk++) this.dirty.add(chunk);
  }

  get size(): number {
    return this.labelBlocks.length;
  }

  /** One series' lines: `name{labels} value\n`. */
  protected abstract renderSeries(block: string, series: number): string;

  /**
   * Renders the chunks whose series changed, until the clock passes `until` (a
   * performance.now() time; at 100k series a poll that changed a few hundred re-renders a few
   * hundred chunks of 32); true when none is left to render.
   */
  renderChanged(until = Infinity): boolean {
    for (const chunk of this.dirty) {
      if (performance.now() >= until) return false;
      let text = '';
      const end = Math.min(this.labelBlocks.length, (chunk + 1) * CHUNK_SERIES);
      for (let i = chunk * CHUNK_SERIES; i < end; i++) text += this.renderSeries(this.labelBlocks[i]!, i);
      this.chunks[chunk] = Buffer.from(text);
      this.dirty.delete(chunk);
      this.staleGroups.add(Math.floor(chunk / this.groupChunks));
    }
    return true;
  }

  /** The family's `# HELP` and `# TYPE` lines. */
  private get header(): Buffer {
    return (this.headerBuffer ??= Buffer.from(`# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`));
  }

  /**
   * The family's exposition as buffers: the header, then one buffer per chunk of series (a new
   * list each time: a scrape keeps writing the list it took while the next poll renders).
   */
  render(): Buffer[] {
    this.renderChanged();
    this.chunks.length = Math.ceil(this.labelBlocks.length / CHUNK_SERIES);
    return [this.header, ...this.chunks];
  }

  /** Gzip members of the chunks: one per group of `groupChunks` chunks. */
  private get groupCount(): number {
    return Math.ceil(this.labelBlocks.length / CHUNK_SERIES / this.groupChunks);
  }

  /**
   * Compresses the groups whose chunks were rendered since, until the clock passes `until`; true
   * when none is left. Only after rendering: a chunk changed but not yet rendered would be left
   * out of the gzip until a later poll, so that is refused.
   */
  gzipChanged(until = Infinity): boolean {
    if (this.dirty.size) {
      throw new Error(`${this.name}: gzipped with changes not yet rendered: render the families (renderFamilies) before gzipping them`);
    }
    const count = this.groupCount;
    for (const group of this.staleGroups) {
      if (performance.now() >= until) return false;
      this.staleGroups.delete(group);
      if (group >= count) continue;
      const start = group * this.groupChunks;
      this.groups[group] = gzipped(this.chunks.slice(start, start + this.groupChunks));
    }
    return true;
  }

  /** The family's exposition gzipped, as gzip members (a new list each time), after gzipChanged(). */
  gzipMembers(): Buffer[] {
    this.gzipHeader ??= gzipped([this.header]);
    this.groups.length = this.groupCount;
    return [this.gzipHeader, ...this.groups];
  }
}

/** A counter fed by deltas (rows newer than the watermark) on top of a baseline (rows up to it). */
export class CounterFamily extends Family {
  /**
   * `scale`: the counter is kept in integer units of 1/scale (money in paise: scale 100) so that
   * adding deltas poll after poll stays exact (doubles are exact integers up to 2^53); it is
   * exported divided by scale.
   */
  readonly scale: number;

  constructor(name: string, help: string, labelNames: readonly string[], scale = 1) {
    if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    super(name, 'counter', help, labelNames, 1, 0);
    this.scale = scale;
  }

  /** Adds `amount` units (of 1/scale). */
  add(labels: readonly string[], amount: number): void {
    if (amount < 0) throw new Error(`${this.name} cannot decrease (got ${amount})`);
    const series = this.series(labels);
    if (amount === 0) return;
    this.values[series]! += amount;
    this.changed(series);
  }

  /** The exported value. */
  get(labels: readonly string[]): number | undefined {
    const series = this.find(labels);
    return series < 0 ? undefined : this.values[series]! / this.scale;
  }

  protected renderSeries(block: string, series: number): string {
    return `${this.name}${block} ${formatValue(this.values[series]! / this.scale)}\n`;
  }
}

/** A gauge that each poll replaces as a whole. */
export class GaugeFamily extends Family {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, 'gauge', help, labelNames, 1, NaN);
  }

  set(labels: readonly string[], value: number): void {
    this.setSeries(this.series(labels), value);
  }

  private setSeries(series: number, value: number): void {
    if (Object.is(this.values[series], value)) return;
    this.values[series] = value;
    this.changed(series);
  }

  get(labels: readonly string[]): number | undefined {
    const series = this.find(labels);
    return series < 0 ? undefined : this.values[series];
  }

  /**
   * Replaces all series with the given rows. `keepAtZero`: series seen before but absent now stay,
   * at 0 (a branch whose queue drained shows 0, not "no data"); otherwise they are dropped (a
   * reader removed from the table disappears).
   */
  replace(rows: Iterable<{ labels: readonly string[]; value: number }>, { keepAtZero }: { keepAtZero: boolean }): void {
    const given: number[] = [];
    for (const row of rows) {
      const series = this.series(row.labels);
      this.setSeries(series, row.value);
      given.push(series);
    }
    const seen = new Uint8Array(this.size);
    for (const series of given) seen[series] = 1;
    if (keepAtZero) {
      for (let series = 0; series < seen.length; series++) if (!seen[series]) this.setSeries(series, 0);
    } else if (seen.includes(0)) {
      this.retain((series) => seen[series] === 1);
    }
  }

  protected renderSeries(block: string, series: number): string {
    return `${this.name}${block} ${formatValue(this.values[series]!)}\n`;
  }
}

export interface HistogramValue {
  /** Cumulative count per bucket upper bound, same order as the family's buckets. */
  buckets: number[];
  sum: number;
  count: number;
}

/** A histogram fed with per-bucket counts computed in SQL. */
export class HistogramFamily extends Family {
  private readonly bucketLabels: string[];

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    // Per series: the cumulative bucket counts, then the count (the +Inf bucket), then the sum.
    super(name, 'histogram', help, labelNames, buckets.length + 2, 0);
    this.bucketLabels = [...buckets.map((bound) => `le="${formatValue(bound)}"`), 'le="+Inf"'];
  }

  /** Adds observations: `cumulative[i]` of them were <= buckets[i]; `count` in all, summing to `sum`. */
  add(labels: readonly string[], cumulative: readonly number[], count: number, sum: number): void {
    const series = this.series(labels);
    if (count === 0) return;
    const at = series * this.width;
    const n = this.buckets.length;
    for (let i = 0; i < n; i++) this.values[at + i]! += cumulative[i] ?? 0;
    this.values[at + n]! += count;
    this.values[at + n + 1]! += sum;
    this.changed(series);
  }

  get(labels: readonly string[]): HistogramValue | undefined {
    const series = this.find(labels);
    if (series < 0) return undefined;
    const at = series * this.width;
    const n = this.buckets.length;
    return { buckets: [...this.values.subarray(at, at + n)], count: this.values[at + n]!, sum: this.values[at + n + 1]! };
  }

  protected renderSeries(block: string, series: number): string {
    const at = series * this.width;
    const n = this.buckets.length;
    let text = '';
    for (let i = 0; i <= n; i++) text += `${this.name}_bucket${withLabel(block, this.bucketLabels[i]!)} ${this.values[at + i]}\n`;
    text += `${this.name}_sum${block} ${formatValue(this.values[at + n + 1]!)}\n`;
    text += `${this.name}_count${block} ${this.values[at + n]}\n`;
    return text;
  }
}

export type AnyFamily = CounterFamily | GaugeFamily | HistogramFamily;

/**
 * The text exposition of the families, in order, as buffers to write one after the other
 * (re-rendering only what changed, and never copying the unchanged text into one big buffer:
 * at 7 MiB that copy cost more than the rendering).
 */
export function renderFamilies(families: readonly AnyFamily[]): Buffer[] {
  return families.flatMap((family) => family.render());
}

/**
 * Milliseconds of rendering (or gzipping) between two turns of the event loop: a scrape waits at
 * most about that, stretched by the machine's load (a 2-core VM at load 7 gives a busy process
 * about a third of a core). A turn costs microseconds.
 */
const TURN_MS = 1;

/** Lets the event loop run what is waiting (a scrape) before the next slice of work. */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * renderFamilies() in slices of a few milliseconds, letting scrapes through between them (they
 * get the previous poll's buffers until this resolves): a poll that changed many series must not
 * hold a scrape back for the whole rendering. Nothing may change the families meanwhile.
 */
export async function renderFamiliesInTurns(families: readonly AnyFamily[]): Promise<Buffer[]> {
  for (const family of families) {
    while (!family.renderChanged(performance.now() + TURN_MS)) await nextTurn();
  }
  return renderFamilies(families);
}

/**
 * The families' exposition gzipped (gzip members, to write one after the other), once rendered
 * (renderFamiliesInTurns), compressed in slices of a few milliseconds like the rendering. Nothing
 * may change the families meanwhile.
 */
export async function gzipFamilies(families: readonly AnyFamily[]): Promise<Buffer[]> {
  for (const family of families) {
    while (!family.gzipChanged(performance.now() + TURN_MS)) await nextTurn();
  }
  return families.flatMap((family) => family.gzipMembers());
}

/** SQL select-list items counting rows whose `expression` is <= each bucket bound (cumulative). */
export function bucketColumns(expression: string, buckets: readonly number[]): string {
  return buckets.map((bound, i) => `count(*) FILTER (WHERE ${expression} <= ${bound}) AS le_${i}`).join(',\n  ');
}

/** The cumulative bucket counts from a row produced with bucketColumns(). */
export function bucketValues(row: Record<string, unknown>, buckets: readonly number[]): number[] {
  return buckets.map((_, i) => Number(row[`le_${i}`] ?? 0));
}

/**
 * The families of the contract (@paywatch/contract), built as the exporters keep them: name,
 * labels, help and buckets come from the declaration, so a collector cannot drift from it.
 */
export function counterFor(def: MetricFamily, options: { scale?: number } = {}): CounterFamily {
  expectType(def, 'counter');
  return new CounterFamily(def.name, def.help, def.labels, options.scale);
}

export function gaugeFor(def: MetricFamily, options: { help?: string } = {}): GaugeFamily {
  expectType(def, 'gauge');
  return new GaugeFamily(def.name, options.help ?? def.help, def.labels);
}

export function histogramFor(def: MetricFamily): HistogramFamily {
  expectType(def, 'histogram');
  if (!def.buckets?.length)
    throw new Error(`histogram ${def.name} declares no buckets in the contract: add them to contract/src/families.ts`);
  return new HistogramFamily(def.name, def.help, def.labels, def.buckets);
}

function expectType(def: MetricFamily, type: MetricType): void {
  if (def.type !== type)
    throw new Error(`${def.name} is a ${def.type} in the contract, built here as a ${type}: fix the collector or contract/src/families.ts`);
}
