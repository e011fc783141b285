// Raw families into TSDB blocks: OpenMetrics files (series dealt round-robin, one file per core, so
// the promtool processes import side by side; Prometheus >= 2.39 takes overlapping blocks) ->
// `promtool tsdb create-blocks-from openmetrics`, with the samples counted twice: written, and
// reported by promtool per block.
//
// Why one block per file: promtool parses its whole input once per block window (and once more
// for the first and last timestamps), skipping the samples outside the window. With 24-hour
// windows a 30-day history was parsed 31 times: 105 of the first start's CPU seconds. The largest
// window promtool knows (39,366 h) makes it one parse per file (two when the history straddles a
// window boundary, once in years); Prometheus loads a block of any length, and its retention drops
// a block only when all of it is older than the retention time.
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { eachAtOnce, importOpenMetrics } from '@paywatch/runtime';
import { writeOpenMetrics, type Family } from './openmetrics.ts';
import { ProgressBar } from './progress.ts';

/** More than promtool's largest block window (2 h x 3^9 = 39,366 h): it then uses that one. */
const ONE_WINDOW = '40000h';

export interface ImportResult {
  series: number;
  samplesWritten: number;
  samples: number;
  /** Block directory names now in `into`. */
  blocks: string[];
}

/** Writes `families` as OpenMetrics under `workDir`, imports them, moves the blocks into `into`. */
export async function importRaw(
  families: Family[],
  options: { workDir: string; into: string; stream?: NodeJS.WriteStream; log: (line: string) => void },
): Promise<ImportResult> {
  const { workDir, log } = options;
  mkdirSync(workDir, { recursive: true });
  // A file per promtool process: with one block window per file, more files would only mean more
  // blocks for the temporary Prometheus and the main one to open and merge.
  const parallel = Math.max(1, cpus().length);
  const shards = Math.max(2, Math.min(8, parallel));
  const files = Array.from({ length: shards }, (_, i) => join(workDir, `history-${i}.om`));
  const totalSeries = families.reduce((sum, family) => sum + family.series.length, 0);
  const writeBar = new ProgressBar('backfill: writing OpenMetrics', options.stream, log);
  let written = 0;
  const result = writeOpenMetrics(families, files, () => {
    written++;
    if (written % 200 === 0) writeBar.update(written / totalSeries, `${written}/${totalSeries} series`);
  });
  writeBar.finish(`${result.series} series, ${result.samples.toLocaleString('en')} samples`);

  const importBar = new ProgressBar('backfill: promtool create-blocks-from openmetrics', options.stream, log);
  const outputs = files.map((_, i) => join(workDir, `blocks-${i}`));
  let done = 0;
  let samples = 0;
  importBar.update(0, `0/${files.length} files`);
  await eachAtOnce(files, parallel, async (file, i) => {
    const imported = await importOpenMetrics(file, outputs[i]!, { maxBlockDuration: ONE_WINDOW });
    samples += imported.samples;
    done++;
    importBar.update(done / files.length, `${done}/${files.length} files, ${samples.toLocaleString('en')} samples`);
  });
  if (samples !== result.samples) throw new Error(`promtool imported ${samples} samples but ${result.samples} were written`);
  mkdirSync(options.into, { recursive: true });
  const blocks: string[] = [];
  for (const output of outputs) {
    if (!existsSync(output)) continue;
    for (const block of readdirSync(output)) {
      renameSync(join(output, block), join(options.into, block));
      blocks.push(block);
    }
  }
  importBar.finish(`${blocks.length} blocks, ${samples.toLocaleString('en')} samples`);
  return { series: result.series, samplesWritten: result.samples, samples, blocks };
}
