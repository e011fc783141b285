// `npm test`: every test Paywatch has, in one run, ending with one summary line
// ("paywatch: N passed, N failed"). Installs the Debian tools the tests need first.
//   npm test                       everything
//   npm test -- exporters scope    only node test files whose path contains one of the words
//   npm test -- lint               the root lint and Prettier check (also part of a whole run)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ensureTools, TOOLS } from '@paywatch/runtime';
import { ensureTestPostgres, type TestPostgres } from '../test-postgres.ts';
import { repoRoot } from '../paths.ts';

const filters = process.argv.slice(2);
const started = Date.now();
interface Step {
  name: string;
  ok: boolean;
  passed: number;
  failed: number;
}
const steps: Step[] = [];
/** The environment every test process gets (the test PostgreSQL's URL among it). */
const testEnv: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };

function log(line: string) {
  console.log(`paywatch test: ${line}`);
}

function run(name: string, command: string, args: string[], cwd = repoRoot): boolean {
  log(`${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: testEnv });
  return result.status === 0;
}

/** Runs a command, showing its output as it comes, and returns that output too (to read counts). */
function runCapturing(name: string, command: string, args: string[], cwd = repoRoot): { ok: boolean; output: string } {
  log(`${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: testEnv, maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** Node test files: **\/test/**\/*.test.ts outside node_modules and the plugin (which runs Jest). */
function testFiles(dir = repoRoot): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'plugin' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (entry.endsWith('.test.ts') && relative(repoRoot, path).split('/').includes('test')) found.push(path);
  }
  return found.sort();
}

const missing = ensureTools(
  ['prometheus', 'promtool', 'alertmanager', 'amtool', 'blackbox', 'nodeExporter', 'chromium', 'pdftotext', 'pdftoppm'],
  log,
);
if (missing.length) {
  for (const name of missing) log(`missing ${name}: ${TOOLS[name].hint}`);
  log('the tests need these tools; install them and run again.');
  console.log('paywatch: 0 passed, 1 failed');
  process.exit(1);
}

// The database tests need a PostgreSQL server: the machine's, or one started here for this run.
let postgres: TestPostgres | undefined;
try {
  postgres = await ensureTestPostgres(log);
  testEnv.PAYWATCH_TEST_DATABASE_URL = postgres.url;
} catch (error) {
  log(`PostgreSQL: ${(error as Error).message}`);
  log('the database tests will fail with how to start one');
}
const stopPostgres = () => {
  postgres?.stop();
  postgres = undefined;
};
process.on('exit', stopPostgres);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

/** A check that passes or fails as a whole (one count either way), run with a node script of a package. */
function check(name: string, script: string, args: string[]): void {
  const ok = run(name, process.execPath, [join(repoRoot, 'node_modules', script), ...args]);
  steps.push({ name, ok, passed: ok ? 1 : 0, failed: ok ? 0 : 1 });
}

if (filters.length === 0) check('typecheck', 'typescript/bin/tsc', ['-p', 'tsconfig.json']);

// The root lint (eslint.config.mjs) on every run of the whole suite, or on `npm test -- lint`; then
// the layout, which is Prettier's (npm run format rewrites it): a file off that layout fails.
if (filters.length === 0 || filters.includes('lint')) {
  check('lint', 'eslint/bin/eslint.js', ['.']);
  check('format', 'prettier/bin/prettier.cjs', ['--check', '**/*.{ts,mjs}']);
}

const files = testFiles().filter((file) => filters.length === 0 || filters.some((word) => relative(repoRoot, file).includes(word)));
// Thanos is large: build it here, with its progress on the console, rather than inside a test's
// time limit, and only when a selected test needs it.
if (files.some((file) => /thanos/.test(relative(repoRoot, file)))) {
  for (const name of ensureTools(['thanos'], log)) log(`missing ${name}: ${TOOLS[name].hint}`);
}
/** Node's test runner over some files: its arguments, with a TAP copy of the results to count. */
function nodeTestArgs(selected: string[], tap: string, destination: string): string[] {
  return [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-reporter-destination=${destination}`,
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...selected.map((file) => relative(repoRoot, file)),
  ];
}

function countTap(name: string, tap: string, ok: boolean, fileCount: number): Step {
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (word: string) => Number(new RegExp(`^# ${word} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const failed = count('fail') + (ok ? 0 : count('fail') === 0 ? 1 : 0);
  return { name: `${name} (${fileCount} files)`, ok, passed: count('pass'), failed };
}

// Watches: tests that observe a real stack for a stretch of real time (Prometheus's own uptime)
// and spend it waiting, not computing. They run in a process of their own beside everything else,
// their output kept in a file and printed at the end, so that their minutes of waiting do not add
// to the run's length.
const WATCHES = ['stack/test/quiet-start.test.ts'];
const watches = files.filter((file) => WATCHES.includes(relative(repoRoot, file)));
const direct = files.filter((file) => !watches.includes(file));
const results = mkdtempSync(join(tmpdir(), 'paywatch-test-'));
let watching: { done: Promise<boolean>; output: string; tap: string } | undefined;
if (watches.length > 0) {
  const output = join(results, 'watches.txt');
  const tap = join(results, 'watches.tap');
  log(`watches, beside the rest (output at the end): ${watches.map((file) => relative(repoRoot, file)).join(' ')}`);
  const child = spawn(process.execPath, nodeTestArgs(watches, tap, output), { cwd: repoRoot, stdio: 'ignore', env: testEnv });
  const done = new Promise<boolean>((resolve) => child.on('exit', (code) => resolve(code === 0)));
  process.on('exit', () => child.kill('SIGTERM'));
  watching = { done, output, tap };
}
if (direct.length > 0) {
  const tap = join(results, 'results.tap');
  const ok = run('node tests', process.execPath, nodeTestArgs(direct, tap, 'stdout'));
  steps.push(countTap('node tests', tap, ok, direct.length));
}

const plugin = join(repoRoot, 'plugin');
if (filters.length === 0 && existsSync(join(plugin, 'package.json'))) {
  for (const script of ['typecheck', 'lint', 'test:ci', 'build']) {
    const { ok, output } = runCapturing(`plugin ${script}`, 'npm', ['run', '--silent', script], plugin);
    // Jest's summary line ("Tests: 1 failed, 55 passed, 56 total") gives the real counts.
    const jest = /^Tests:\s+(.*)$/m.exec(output)?.[1];
    const jestCount = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(jest ?? '')?.[1] ?? 0);
    const passed = jest ? jestCount('passed') : ok ? 1 : 0;
    const failed = jest ? jestCount('failed') + (ok || jestCount('failed') > 0 ? 0 : 1) : ok ? 0 : 1;
    steps.push({ name: `plugin ${script}${jest ? ' (Jest)' : ''}`, ok, passed, failed });
  }
}

if (watching) {
  log('waiting for the watches to end ...');
  const ok = await watching.done;
  log('watches: their output');
  if (existsSync(watching.output)) process.stdout.write(readFileSync(watching.output, 'utf8'));
  steps.push(countTap('watches', watching.tap, ok, watches.length));
}

const seconds = Math.round((Date.now() - started) / 1000);
console.log('');
for (const step of steps) log(`${step.ok ? 'ok  ' : 'FAIL'} ${step.name}: ${step.passed} passed, ${step.failed} failed`);
log(`took ${seconds} s`);
const passed = steps.reduce((sum, step) => sum + step.passed, 0);
const failed = steps.reduce((sum, step) => sum + step.failed, 0);
console.log(`paywatch: ${passed} passed, ${failed} failed`);
process.exit(steps.every((step) => step.ok) && steps.length > 0 ? 0 : 1);
