// Random PromQL from the grammar's constructs (selectors, functions, aggregations, binary ops and
// vector matching, subqueries, offsets, @, regexes, quoting styles), valid and broken, with a
// seeded generator so a failure can be replayed (FUZZ_SEED).

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratorOptions {
  /** Metric names to draw from. */
  metrics: string[];
  /** Regexes for __name__ matchers. */
  nameRegexes: string[];
  /** Label values to draw from, by label. */
  labelValues: Record<string, string[]>;
  /** Allow label_replace/label_join/count_values to write any label (scoped callers are refused). */
  writeLabels: string[];
  /** Probability of breaking the generated text. */
  breakProbability: number;
  /** Histogram bucket series for histogram_quantile. */
  histograms?: string[];
  /** Whether to use absolute @ timestamps around this time. */
  end: number;
}

export class QueryGenerator {
  constructor(
    private readonly random: () => number,
    private readonly o: GeneratorOptions,
  ) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }
  private chance(p: number): boolean {
    return this.random() < p;
  }
  private ws(): string {
    return this.pick(['', '', '', ' ', '  ', '\n', ' # note\n']);
  }

  private str(value: string): string {
    const style = this.random();
    if (style < 0.6) return JSON.stringify(value);
    if (style < 0.8 && !value.includes("'") && !value.includes('\\')) return `'${value}'`;
    if (!value.includes('`')) return `\`${value}\``;
    return JSON.stringify(value);
  }

  private matcher(): string {
    const labels = Object.keys(this.o.labelValues);
    const label = this.pick(labels);
    const op = this.pick(['=', '=', '!=', '=~', '!~']);
    let value: string;
    if (op === '=~' || op === '!~')
      value = this.pick([
        ...this.o.labelValues[label]!,
        '.*',
        '.+',
        `${this.pick(this.o.labelValues[label]!)}|.*`,
        'BR000[1-5]',
        '(?i)br0002',
        '',
      ]);
    else value = this.pick([...this.o.labelValues[label]!, '']);
    const name = this.chance(0.1) ? JSON.stringify(label) : label;
    return `${name}${this.ws()}${op}${this.ws()}${this.str(value)}`;
  }

  selector(): string {
    const parts: string[] = [];
    const n = Math.floor(this.random() * 3);
    for (let i = 0; i < n; i++) parts.push(this.matcher());
    const form = this.random();
    if (form < 0.15) {
      parts.unshift(`__name__=~${this.str(this.pick(this.o.nameRegexes))}`);
      return `{${parts.join(', ')}}`;
    }
    if (form < 0.2) {
      parts.unshift(JSON.stringify(this.pick(this.o.metrics)));
      return `{${parts.join(',')}}`;
    }
    const name = this.pick(this.o.metrics);
    return parts.length ? `${name}{${parts.join(',')}${this.chance(0.1) ? ',' : ''}}` : name;
  }

  private duration(): string {
    return this.pick(['1m', '5m', '10m', '30m', '1h', '90s', '1h30m']);
  }
  private modifiers(): string {
    let out = '';
    if (this.chance(0.15)) out += ` offset ${this.chance(0.2) ? '-' : ''}${this.pick(['1m', '5m', '10m', '30m'])}`;
    if (this.chance(0.1)) out += ` @ ${this.pick([String(this.o.end), String(this.o.end - 600), 'end()', 'start()'])}`;
    return out;
  }

  private rangeVector(depth: number): string {
    if (depth > 0 && this.chance(0.25))
      return `${this.paren(this.instant(depth - 1))}[${this.duration()}:${this.chance(0.5) ? this.pick(['1m', '5m']) : ''}]${this.modifiers()}`;
    return `${this.selector()}[${this.duration()}]${this.modifiers()}`;
  }

  private paren(inner: string): string {
    return /^[a-zA-Z_:]+(\{.*\})?$/.test(inner) || /^[a-z_]+\(.*\)$/s.test(inner) ? inner : `(${inner})`;
  }

  scalar(depth: number): string {
    const r = this.random();
    if (depth <= 0 || r < 0.5) return this.pick(['1', '0.5', '2', '100', '-1', '1e3', '0x10', 'Inf', 'NaN']);
    if (r < 0.7) return `scalar(${this.instant(depth - 1)})`;
    if (r < 0.8) return this.pick(['time()', 'pi()']);
    return `${this.scalar(depth - 1)} ${this.pick(['+', '-', '*', '/', '^', '%'])} ${this.scalar(depth - 1)}`;
  }

  instant(depth: number): string {
    const r = this.random();
    if (depth <= 0 || r < 0.2) return `${this.selector()}${this.modifiers()}`;
    if (r < 0.35) {
      const fn = this.pick([
        'rate',
        'increase',
        'delta',
        'irate',
        'avg_over_time',
        'max_over_time',
        'min_over_time',
        'sum_over_time',
        'count_over_time',
        'last_over_time',
        'changes',
        'resets',
        'absent_over_time',
        'present_over_time',
        'stddev_over_time',
      ]);
      return `${fn}(${this.rangeVector(depth - 1)})`;
    }
    if (r < 0.42) return `quantile_over_time(${this.pick(['0.5', '0.9'])}, ${this.rangeVector(depth - 1)})`;
    if (r < 0.5) {
      const op = this.pick(['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev']);
      const grouping = this.chance(0.6) ? ` ${this.pick(['by', 'without'])} (${this.labels()})` : '';
      return this.chance(0.5) ? `${op}${grouping}(${this.instant(depth - 1)})` : `${op}(${this.instant(depth - 1)})${grouping}`;
    }
    if (r < 0.55) return `${this.pick(['topk', 'bottomk'])}(${this.pick(['1', '3', '100'])}, ${this.instant(depth - 1)})`;
    if (r < 0.58)
      return `quantile${this.chance(0.5) ? ` by (${this.labels()})` : ''}(${this.pick(['0.5', '0.99'])}, ${this.instant(depth - 1)})`;
    if (r < 0.61) return `count_values(${this.str(this.pick(['value', ...this.o.writeLabels]))}, ${this.instant(depth - 1)})`;
    if (r < 0.68) {
      const fn = this.pick([
        'abs',
        'ceil',
        'floor',
        'sqrt',
        'exp',
        'ln',
        'sort',
        'sort_desc',
        'timestamp',
        'absent',
        'sgn',
        'round',
        'hour',
        'month',
      ]);
      return `${fn}(${this.instant(depth - 1)})`;
    }
    if (r < 0.71) return `${this.pick(['clamp_min', 'clamp_max'])}(${this.instant(depth - 1)}, ${this.scalar(depth - 1)})`;
    if (r < 0.74)
      return `label_replace(${this.instant(depth - 1)}, ${this.str(this.pick(['copy', ...this.o.writeLabels]))}, "$1", ${this.str(this.pick(['branch', 'officer', 'channel']))}, "(.*)")`;
    if (r < 0.76)
      return `label_join(${this.instant(depth - 1)}, ${this.str(this.pick(['joined', ...this.o.writeLabels]))}, "-", "branch", "channel")`;
    if (r < 0.78)
      return `histogram_quantile(${this.pick(['0.5', '0.95'])}, sum by (le) (rate(${this.pick(this.o.histograms ?? ['rfid_verification_duration_seconds_bucket', 'payment_processing_seconds_bucket'])}[5m])))`;
    if (r < 0.8) return `vector(${this.scalar(depth - 1)})`;
    if (r < 0.83) return `-${this.paren(this.instant(depth - 1))}`;
    if (r < 0.86) return `(${this.instant(depth - 1)})`;
    // Binary operations.
    const op = this.pick(['+', '-', '*', '/', '%', '^', '==', '!=', '>', '<', '>=', '<=', 'and', 'or', 'unless', 'atan2']);
    let modifier = '';
    if (['==', '!=', '>', '<', '>=', '<='].includes(op) && this.chance(0.3)) modifier += ' bool';
    if (this.chance(0.35)) {
      modifier += ` ${this.pick(['on', 'ignoring'])}(${this.labels()})`;
      if (!['and', 'or', 'unless'].includes(op) && this.chance(0.3))
        modifier += ` ${this.pick(['group_left', 'group_right'])}${this.chance(0.5) ? `(${this.labels()})` : ''}`;
    }
    const lhs = this.chance(0.2) ? this.scalar(depth - 1) : this.instant(depth - 1);
    const rhs = this.chance(0.2) ? this.scalar(depth - 1) : this.instant(depth - 1);
    return `${lhs} ${op}${modifier} ${rhs}`;
  }

  private labels(): string {
    const all = ['branch', 'officer', 'channel', 'status', 'le', 'otp'];
    const n = Math.floor(this.random() * 3);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.pick(all));
    return [...new Set(out)].join(', ');
  }

  /** One query: usually valid, sometimes deliberately broken. */
  next(): string {
    let q = this.instant(Math.floor(this.random() * 4) + 1);
    if (this.chance(this.o.breakProbability)) q = this.break(q);
    return q;
  }

  break(q: string): string {
    const i = Math.floor(this.random() * (q.length + 1));
    const r = this.random();
    if (r < 0.3) return q.slice(0, i) + q.slice(i + 1);
    if (r < 0.6)
      return (
        q.slice(0, i) +
        this.pick([
          '{',
          '}',
          '(',
          ')',
          '[',
          ']',
          '"',
          "'",
          '`',
          ',',
          '=',
          '=~',
          '!',
          '@',
          ':',
          'offset',
          ' or ',
          '\\',
          '#',
          '\u0000',
          'é',
        ]) +
        q.slice(i)
      );
    if (r < 0.8) return q.slice(0, i);
    return q + this.pick([')', '}', ' offset 5m', '[5m]', ' by (branch)', ' @ 1', '[1m:]']);
  }
}

/**
 * The generator the fast reader's differential tests share (against lezer and against
 * Prometheus's own parser): one seeded stream of valid and broken queries over a few families,
 * with `branches` as the branch values.
 */
export function differentialGenerator(seed: number, branches: string[]): QueryGenerator {
  return new QueryGenerator(rng(seed), {
    metrics: [
      'payments_total',
      'branch:payment_success_ratio:rate5m',
      'db_up',
      'paywatch:payments:rate5m',
      'payment_processing_seconds_bucket',
    ],
    nameRegexes: ['.+', 'pay.*', 'payments_total|db_up'],
    labelValues: { branch: branches, officer: ['BR0001-FO01'], channel: ['upi', 'cash'], status: ['success', 'failed'] },
    histograms: ['payment_processing_seconds_bucket'],
    writeLabels: ['branch', 'officer', 'channel'],
    breakProbability: 0.2,
    end: 1_800_000_000,
  });
}
