// The metric families the exporters derive from the database, and their text exposition.
//
// Why not prom-client's Counter/Gauge/Histogram for these: the values come from SQL aggregates
// (a histogram arrives as per-bucket counts, which prom-client's Histogram cannot take), and at
// production scale the payments exporter carries ~100k series (500 branches x 30 officers x OTP
// outcomes). Rendering that many series on every scrape is what would make scrapes slow, so each
// series keeps its rendered `name{labels}` prefix, and the exporter renders the whole text once per
// poll and serves that cached text to every scrape. prom-client still provides the exporter's own
// health metrics and the default process metrics (see exporter.ts).

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

function renderLabels(names: readonly string[], values: readonly string[], extra?: string): string {
  const parts = names.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Series per cached chunk of rendered text: a poll re-renders only the chunks whose series changed. */
const CHUNK_SERIES = 64;

interface Entry<V> {
  labels: string[];
  value: V;
  /** `name{labels}`, rendered once. */
  prefix: string;
  /** This series' rendered lines, until its value changes. */
  text?: string;
  chunk: number;
}

abstract class Family<V> {
  private readonly index = new Map<string, Entry<V>>();
  private readonly ordered: Entry<V>[] = [];
  private chunks: Buffer[] = [];
  private readonly dirty = new Set<number>();
  private headerBuffer?: Buffer;

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  protected key(labels: readonly string[]): string {
    return labels.join('\u0000');
  }

  protected find(labels: readonly string[]): Entry<V> | undefined {
    return this.index.get(this.key(labels));
  }

  protected entry(labels: readonly string[], initial: () => V): Entry<V> {
    if (labels.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes labels ${this.labelNames.join(', ')}, got ${labels.length} values`);
    }
    const key = this.key(labels);
    let found = this.index.get(key);
    if (!found) {
      found = {
        labels: [...labels],
        value: initial(),
        prefix: `${this.name}${renderLabels(this.labelNames, labels)}`,
        chunk: Math.floor(this.ordered.length / CHUNK_SERIES),
      };
      this.index.set(key, found);
      this.ordered.push(found);
      this.dirty.add(found.chunk);
    }
    return found;
  }

  /** The series' value changed: its text and its chunk are rendered again at the next render. */
  protected changed(entry: Entry<V>): void {
    entry.text = undefined;
    this.dirty.add(entry.chunk);
  }

  /** Drops series; the rest are renumbered into chunks (rare: readers removed, a target gone). */
  protected remove(keys: Set<string>): void {
    if (!keys.size) return;
    for (const key of keys) this.index.delete(key);
    const kept = this.ordered.filter((entry) => this.index.get(this.key(entry.labels)) === entry);
    this.ordered.length = 0;
    kept.forEach((entry, i) => {
      entry.chunk = Math.floor(i / CHUNK_SERIES);
      this.ordered.push(entry);
    });
    this.chunks = [];
    for (let chunk = 0; chunk * CHUNK_SERIES < this.ordered.length; chunk++) this.dirty.add(chunk);
  }

  protected *all(): Iterable<[string, Entry<V>]> {
    yield* this.index;
  }

  get size(): number {
    return this.index.size;
  }

  /** Every series as labels (by name) and value, for tests and tools. */
  entries(): Array<{ labels: Record<string, string>; value: V }> {
    return this.ordered.map(({ labels, value }) => ({
      labels: Object.fromEntries(this.labelNames.map((name, i) => [name, labels[i] ?? ''])),
      value,
    }));
  }

  protected abstract renderSeries(entry: Entry<V>): string;

  /**
   * The family's exposition as buffers: the header, then one buffer per chunk of series. Only the
   * chunks with a changed series are rendered again, and in them only the changed series; at
   * 100k series a poll that changed a few hundred re-renders a few hundred.
   */
  render(): Buffer[] {
    this.headerBuffer ??= Buffer.from(`# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`);
    for (const chunk of this.dirty) {
      const parts: string[] = [];
      const end = Math.min(this.ordered.length, (chunk + 1) * CHUNK_SERIES);
      for (let i = chunk * CHUNK_SERIES; i < end; i++) {
        const entry = this.ordered[i]!;
        parts.push((entry.text ??= this.renderSeries(entry)));
      }
      this.chunks[chunk] = Buffer.from(parts.join(''));
    }
    this.dirty.clear();
    this.chunks.length = Math.ceil(this.ordered.length / CHUNK_SERIES);
    return [this.headerBuffer, ...this.chunks];
  }
}

/** A counter fed by deltas (rows newer than the watermark) on top of a baseline (rows up to it). */
export class CounterFamily extends Family<number> {
  /**
   * `scale`: the counter is kept in integer units of 1/scale (money in paise: scale 100) so that
   * adding deltas poll after poll stays exact; it is exported divided by scale.
   */
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly scale = 1,
  ) {
    if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    super(name, 'counter', help, labelNames);
  }

  /** Adds `amount` units (of 1/scale). */
  add(labels: readonly string[], amount: number): void {
    if (amount < 0) throw new Error(`${this.name} cannot decrease (got ${amount})`);
    const entry = this.entry(labels, () => 0);
    if (amount === 0) return;
    entry.value += amount;
    this.changed(entry);
  }

  /** The exported value. */
  get(labels: readonly string[]): number | undefined {
    const value = this.find(labels)?.value;
    return value === undefined ? undefined : value / this.scale;
  }

  protected renderSeries(entry: Entry<number>): string {
    return `${entry.prefix} ${formatValue(entry.value / this.scale)}\n`;
  }
}

/** A gauge that each poll replaces as a whole. */
export class GaugeFamily extends Family<number> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, 'gauge', help, labelNames);
  }

  set(labels: readonly string[], value: number): void {
    const entry = this.entry(labels, () => NaN);
    if (Object.is(entry.value, value)) return;
    entry.value = value;
    this.changed(entry);
  }

  get(labels: readonly string[]): number | undefined {
    return this.find(labels)?.value;
  }

  /**
   * Replaces all series with the given rows. `keepAtZero`: series seen before but absent now stay,
   * at 0 (a branch whose queue drained shows 0, not "no data"); otherwise they are dropped (a
   * reader removed from the table disappears).
   */
  replace(rows: Iterable<{ labels: readonly string[]; value: number }>, { keepAtZero }: { keepAtZero: boolean }): void {
    const seen = new Set<string>();
    for (const row of rows) {
      this.set(row.labels, row.value);
      seen.add(this.key(row.labels));
    }
    const gone = new Set<string>();
    for (const [key, entry] of this.all()) {
      if (seen.has(key)) continue;
      if (keepAtZero) this.set(entry.labels, 0);
      else gone.add(key);
    }
    this.remove(gone);
  }

  protected renderSeries(entry: Entry<number>): string {
    return `${entry.prefix} ${formatValue(entry.value)}\n`;
  }
}

export interface HistogramValue {
  /** Cumulative count per bucket upper bound, same order as the family's buckets. */
  buckets: number[];
  sum: number;
  count: number;
}

/** A histogram fed with per-bucket counts computed in SQL. */
export class HistogramFamily extends Family<HistogramValue> {
  private readonly bucketLabels: string[];

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, 'histogram', help, labelNames);
    this.bucketLabels = buckets.map((bound) => `le="${formatValue(bound)}"`);
  }

  /** Adds observations: `cumulative[i]` of them were <= buckets[i]; `count` in all, summing to `sum`. */
  add(labels: readonly string[], cumulative: readonly number[], count: number, sum: number): void {
    const entry = this.entry(labels, () => ({ buckets: this.buckets.map(() => 0), sum: 0, count: 0 }));
    if (count === 0) return;
    for (let i = 0; i < this.buckets.length; i++) entry.value.buckets[i]! += cumulative[i] ?? 0;
    entry.value.count += count;
    entry.value.sum += sum;
    this.changed(entry);
  }

  get(labels: readonly string[]): HistogramValue | undefined {
    return this.find(labels)?.value;
  }

  protected renderSeries({ labels, value }: Entry<HistogramValue>): string {
    let text = '';
    for (let i = 0; i < this.buckets.length; i++) {
      text += `${this.name}_bucket${renderLabels(this.labelNames, labels, this.bucketLabels[i])} ${value.buckets[i]}\n`;
    }
    text += `${this.name}_bucket${renderLabels(this.labelNames, labels, 'le="+Inf"')} ${value.count}\n`;
    text += `${this.name}_sum${renderLabels(this.labelNames, labels)} ${formatValue(value.sum)}\n`;
    text += `${this.name}_count${renderLabels(this.labelNames, labels)} ${value.count}\n`;
    return text;
  }
}

export type AnyFamily = CounterFamily | GaugeFamily | HistogramFamily;

/**
 * The text exposition of the families, in order, as buffers to write one after the other
 * (re-rendering only what changed, and never copying the unchanged text into one big buffer).
 */
export function renderFamilies(families: readonly AnyFamily[]): Buffer[] {
  return families.flatMap((family) => family.render());
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
