// The metric families the exporters derive from the database, and their text exposition.
//
// Why not prom-client's Counter/Gauge/Histogram for these: the values come from SQL aggregates
// (a histogram arrives as per-bucket counts, which prom-client's Histogram cannot take), and at
// production scale the payments exporter carries ~100k series (500 branches x 30 officers x OTP
// outcomes). Rendering that many series on every scrape is what would make scrapes slow, so each
// series keeps its rendered `name{labels}` prefix, and the exporter renders the whole text once per
// poll and serves that cached text to every scrape. prom-client still provides the exporter's own
// health metrics and the default process metrics (see exporter.ts).

export type MetricType = 'counter' | 'gauge' | 'histogram';

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

abstract class Family<V> {
  protected readonly series = new Map<string, { labels: string[]; value: V; prefix: string }>();

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  protected key(labels: readonly string[]): string {
    return labels.join('\u0000');
  }

  protected entry(labels: readonly string[], initial: () => V) {
    if (labels.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes labels ${this.labelNames.join(', ')}, got ${labels.length} values`);
    }
    const key = this.key(labels);
    let found = this.series.get(key);
    if (!found) {
      found = { labels: [...labels], value: initial(), prefix: `${this.name}${renderLabels(this.labelNames, labels)}` };
      this.series.set(key, found);
    }
    return found;
  }

  get size(): number {
    return this.series.size;
  }

  /** Every series as labels (by name) and value, for tests and tools. */
  entries(): Array<{ labels: Record<string, string>; value: V }> {
    return [...this.series.values()].map(({ labels, value }) => ({
      labels: Object.fromEntries(this.labelNames.map((name, i) => [name, labels[i] ?? ''])),
      value,
    }));
  }

  protected header(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
  }

  abstract render(out: string[]): void;
}

/** A counter fed by deltas (rows newer than the watermark) on top of a baseline (rows up to it). */
export class CounterFamily extends Family<number> {
  /**
   * `scale`: the counter is kept in integer units of 1/scale (money in paise: scale 100) so that
   * adding deltas poll after poll stays exact; it is exported divided by scale.
   */
  constructor(name: string, help: string, labelNames: readonly string[], readonly scale = 1) {
    if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    super(name, 'counter', help, labelNames);
  }

  /** Adds `amount` units (of 1/scale). */
  add(labels: readonly string[], amount: number): void {
    if (amount < 0) throw new Error(`${this.name} cannot decrease (got ${amount})`);
    this.entry(labels, () => 0).value += amount;
  }

  /** The exported value. */
  get(labels: readonly string[]): number | undefined {
    const value = this.series.get(this.key(labels))?.value;
    return value === undefined ? undefined : value / this.scale;
  }

  render(out: string[]): void {
    out.push(this.header());
    for (const { prefix, value } of this.series.values()) out.push(`${prefix} ${formatValue(value / this.scale)}\n`);
  }
}

/** A gauge that each poll replaces as a whole. */
export class GaugeFamily extends Family<number> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, 'gauge', help, labelNames);
  }

  set(labels: readonly string[], value: number): void {
    this.entry(labels, () => 0).value = value;
  }

  get(labels: readonly string[]): number | undefined {
    return this.series.get(this.key(labels))?.value;
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
    for (const [key, entry] of this.series) {
      if (seen.has(key)) continue;
      if (keepAtZero) entry.value = 0;
      else this.series.delete(key);
    }
  }

  render(out: string[]): void {
    out.push(this.header());
    for (const { prefix, value } of this.series.values()) out.push(`${prefix} ${formatValue(value)}\n`);
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
    for (let i = 0; i < this.buckets.length; i++) entry.value.buckets[i]! += cumulative[i] ?? 0;
    entry.value.count += count;
    entry.value.sum += sum;
  }

  get(labels: readonly string[]): HistogramValue | undefined {
    return this.series.get(this.key(labels))?.value;
  }

  render(out: string[]): void {
    out.push(this.header());
    for (const { labels, value } of this.series.values()) {
      for (let i = 0; i < this.buckets.length; i++) {
        out.push(`${this.name}_bucket${renderLabels(this.labelNames, labels, this.bucketLabels[i])} ${value.buckets[i]}\n`);
      }
      out.push(`${this.name}_bucket${renderLabels(this.labelNames, labels, 'le="+Inf"')} ${value.count}\n`);
      out.push(`${this.name}_sum${renderLabels(this.labelNames, labels)} ${formatValue(value.sum)}\n`);
      out.push(`${this.name}_count${renderLabels(this.labelNames, labels)} ${value.count}\n`);
    }
  }
}

export type AnyFamily = CounterFamily | GaugeFamily | HistogramFamily;

/** The text exposition of the families, in order. */
export function renderFamilies(families: readonly AnyFamily[]): string {
  const out: string[] = [];
  for (const family of families) family.render(out);
  return out.join('');
}

/** SQL select-list items counting rows whose `expression` is <= each bucket bound (cumulative). */
export function bucketColumns(expression: string, buckets: readonly number[]): string {
  return buckets.map((bound, i) => `count(*) FILTER (WHERE ${expression} <= ${bound}) AS le_${i}`).join(',\n  ');
}

/** The cumulative bucket counts from a row produced with bucketColumns(). */
export function bucketValues(row: Record<string, unknown>, buckets: readonly number[]): number[] {
  return buckets.map((_, i) => Number(row[`le_${i}`] ?? 0));
}
