// Writes series as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics` (Prometheus
// 2.42): one metric family after another, each series' samples in time order, timestamps in
// seconds, `# EOF` at the end. Series are dealt round-robin to several files so several promtool
// processes can import them side by side (overlapping blocks are fine for Prometheus >= 2.39).
import { closeSync, openSync, writeSync } from 'node:fs';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'unknown';

export interface Series {
  /** Sample name when it differs from the family's (histograms: x_bucket, x_sum, x_count). */
  name?: string;
  labels: Record<string, string>;
  /** Sample timestamps in seconds, ascending. */
  times: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface Family {
  /** The family name in # TYPE (payments_total; x_seconds for a histogram). */
  name: string;
  type: MetricType;
  help: string;
  series: Series[];
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export function formatLabels(labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((key) => `${key}="${escapeLabel(labels[key]!)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e6) / 1e6);
}

export interface WriteResult {
  files: string[];
  samples: number;
  series: number;
}

/** Writes the families into `files.length` OpenMetrics files; returns the samples written. */
export function writeOpenMetrics(families: Iterable<Family>, files: string[], onSeries?: () => void): WriteResult {
  const fds = files.map((file) => openSync(file, 'w'));
  const buffers: string[][] = files.map(() => []);
  const sizes = files.map(() => 0);
  const flush = (i: number) => {
    if (buffers[i]!.length === 0) return;
    writeSync(fds[i]!, buffers[i]!.join(''));
    buffers[i] = [];
    sizes[i] = 0;
  };
  const push = (i: number, text: string) => {
    buffers[i]!.push(text);
    sizes[i]! += text.length;
    if (sizes[i]! > 1 << 20) flush(i);
  };
  let samples = 0;
  let seriesCount = 0;
  let next = 0;
  try {
    for (const family of families) {
      // Each file gets the family's metadata once, then its share of the series.
      const header = `# HELP ${family.name} ${family.help.replace(/\n/g, ' ')}\n# TYPE ${family.name} ${family.type}\n`;
      const started = files.map(() => false);
      for (const series of family.series) {
        const i = next++ % files.length;
        if (!started[i]) {
          push(i, header);
          started[i] = true;
        }
        const prefix = `${series.name ?? family.name}${formatLabels(series.labels)} `;
        let last = -Infinity;
        for (let k = 0; k < series.times.length; k++) {
          const t = series.times[k]!;
          if (t <= last) throw new Error(`${prefix}: samples out of time order at ${t}`);
          last = t;
          push(i, `${prefix}${formatValue(series.values[k]!)} ${t}\n`);
        }
        samples += series.times.length;
        seriesCount++;
        onSeries?.();
      }
    }
    for (let i = 0; i < files.length; i++) {
      push(i, '# EOF\n');
      flush(i);
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  return { files, samples, series: seriesCount };
}
