// promtool as the backfill runs it (its TSDB commands: importing the raw history, evaluating the
// recording rules, listing blocks): what it printed is kept, both for the block table it reports
// and for the error when it fails, since promtool says what went wrong on stderr.
import { spawn } from 'node:child_process';
import { requireTool } from '@paywatch/runtime';

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
