// promtool's TSDB commands as Paywatch runs them (the history backfill imports the raw history,
// evaluates the recording rules and lists blocks; tests and benchmarks import data sets of their
// own): what it printed is kept, both for the block table it reports and for the error when it
// fails, since promtool says what went wrong on stderr.
import { spawn } from 'node:child_process';
import { requireTool } from './tools.ts';

/** What promtool printed that an error message repeats: its last lines say what went wrong. */
const ERROR_TAIL_CHARS = 3000;

/** Runs the pinned promtool with `args` (in `cwd`); resolves to everything it printed, stdout and stderr. */
export function promtool(args: string[], cwd?: string): Promise<string> {
  const binary = requireTool('promtool');
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', (error) => reject(new Error(`could not run ${binary}: ${error.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve(text);
      const how = signal ? `was stopped by ${signal}` : `exited ${code}`;
      reject(new Error(`promtool ${args.join(' ')}${cwd ? ` (in ${cwd})` : ''} ${how}:\n${text.slice(-ERROR_TAIL_CHARS)}`));
    });
  });
}

/**
 * Blocks and samples in a block table promtool printed (`tsdb list`, and `create-blocks-from`
 * after each block it writes):
 * BLOCK ULID  MIN TIME  MAX TIME  DURATION  NUM SAMPLES  NUM CHUNKS  NUM SERIES  SIZE
 */
export function blockTable(text: string): { samples: number; blocks: number } {
  let samples = 0;
  let blocks = 0;
  for (const line of text.split('\n')) {
    const match = /^([0-9A-HJKMNP-TV-Z]{26})\s+\d+\s+\d+\s+\S+\s+(\d+)\s/.exec(line.trim());
    if (match) {
      blocks++;
      samples += Number(match[2]);
    }
  }
  return { samples, blocks };
}

/**
 * `promtool tsdb create-blocks-from openmetrics`: the OpenMetrics file `input` (ending in `# EOF`)
 * into TSDB blocks in the directory `output` (a Prometheus data directory, or blocks to move into
 * one); the blocks and samples promtool reports writing. `maxBlockDuration`: promtool's block
 * window (default 2h), e.g. one window for a whole history.
 */
export async function importOpenMetrics(
  input: string,
  output: string,
  options: { maxBlockDuration?: string } = {},
): Promise<{ samples: number; blocks: number }> {
  const window = options.maxBlockDuration ? [`--max-block-duration=${options.maxBlockDuration}`] : [];
  return blockTable(await promtool(['tsdb', 'create-blocks-from', 'openmetrics', ...window, input, output]));
}
