// Benchmark: a fresh clone to a ready stack. `git clone` of this repository's HEAD into a temporary
// directory, then `npm start` there with default options (only the ports moved to free ones, so it
// can run beside another stack), timed until it prints that Paywatch is running; then Ctrl-C.
// It reports the wall time, where it went (npm installs, the history backfill), the history's
// samples, and the load average, since the machine may be shared.
//
//   npx tsx bench/first-start.ts [--ref COMMIT] [--keep]     (--ref: measure another commit, e.g. before a change)
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, freePort, hasFlag, PORTS, repoRoot, type ServiceName } from '@paywatch/runtime';

const keep = hasFlag('keep');
const ref = arg('ref');
const work = mkdtempSync(join(tmpdir(), 'paywatch-first-start-'));
const checkout = join(work, 'paywatch');
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const loadBefore = load();
const started = Date.now();
const clone = spawnSync('git', ['clone', '--quiet', repoRoot, checkout], { encoding: 'utf8' });
if (clone.status !== 0) throw new Error(`git clone failed: ${clone.stderr}`);
if (ref) {
  const checkoutRef = spawnSync('git', ['-C', checkout, 'checkout', '--quiet', ref], { encoding: 'utf8' });
  if (checkoutRef.status !== 0) throw new Error(`git checkout ${ref} failed: ${checkoutRef.stderr}`);
}

const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
delete env.DATABASE_URL;
delete env.PAYWATCH_DATA_DIR;
for (const spec of Object.values(PORTS) as Array<(typeof PORTS)[ServiceName]>) env[spec.env] = String(await freePort());

const child = spawn('npm', ['start'], { cwd: checkout, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let output = '';
const marks: Array<[string, number]> = [];
const onLine = (text: string) => {
  output += text;
  for (const line of text.split('\n')) {
    // Every step line of npm start (and npm's own summary), with when it was printed.
    if (/^paywatch:|^added \d+ packages|Paywatch is running/.test(line.trim()))
      marks.push([line.trim().slice(0, 120), (Date.now() - started) / 1000]);
  }
};
child.stdout!.on('data', (chunk: Buffer) => onLine(chunk.toString()));
child.stderr!.on('data', (chunk: Buffer) => onLine(chunk.toString()));
const exited = once(child, 'exit');
const ready = await Promise.race([
  new Promise<boolean>((resolve) => {
    const timer = setInterval(() => {
      if (output.includes('Paywatch is running')) {
        clearInterval(timer);
        resolve(true);
      }
    }, 200);
  }),
  exited.then(() => false),
]);
const seconds = (Date.now() - started) / 1000;
const loadAfter = load();
try {
  process.kill(-child.pid!, 'SIGINT');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  process.kill(-child.pid!, 'SIGKILL');
} catch {
  // the group is gone
}
const marker = join(checkout, '.data', 'prometheus', 'backfill.json');
const history = existsSync(marker) ? (JSON.parse(readFileSync(marker, 'utf8')) as Record<string, unknown>) : undefined;
console.log(
  JSON.stringify(
    {
      ref: ref ?? 'HEAD',
      ready,
      seconds,
      cores: cpus().length,
      loadAverageBefore: loadBefore,
      loadAverageAtReady: loadAfter,
      marks,
      history: history && {
        seconds: history.seconds,
        samples: history.samples,
        ruleSamples: history.ruleSamples,
        blocks: history.blocks,
        endSeconds: history.endSeconds,
        denseFromSeconds: history.denseFromSeconds,
        liveStartSeconds: history.liveStartSeconds,
      },
    },
    null,
    2,
  ),
);
if (!ready) console.error(output.slice(-4000));
if (!keep) rmSync(work, { recursive: true, force: true });
else console.error(`kept ${work}`);
process.exit(ready ? 0 : 1);
