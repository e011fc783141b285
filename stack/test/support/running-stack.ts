// How the stack tests start the stack, on free ports and a fresh data directory, with the live
// simulation in the business's weekday working hours whatever the hour of the run (the simulated
// business keeps IST hours: after 17:30 IST no counter is open, no RFID card read, no mandate
// answered, so a test run in the evening would see none of it). The history still ends at the
// wall clock's now; the live business continues from the working hours' simulated time.
// - startStack(): `npm start` (stack/src/cli/start.ts) from this checkout, for tests and benchmarks
//   that watch the whole stack: what it printed, where each service listens, and a stop that sends
//   Ctrl-C like a terminal (then kills what is left of its process group: stopGroup(), also for
//   tests that run npm start their own way);
// - stackTestConfig(): npm start's settings for a stack a test starts in-process (src/stack.ts);
// - waitForData(): until the stack's Prometheus answers each of a test's queries with data.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, PORTS, promQuery, repoRoot, waitFor, type ServiceName } from '@paywatch/runtime';
import { WORKING_HOURS_START } from '@paywatch/simulator';
import { parseStackConfig, type StackConfig } from '../../src/config.ts';

/** The variable npm start (and the simulator it starts) reads the live simulation's start from. */
const SIMULATOR_START = 'PAYWATCH_SIMULATOR_START';

/** A free port for every service (freePort reserves each: no two the same, in this process or another). */
async function freePorts(): Promise<Record<ServiceName, number>> {
  const ports = {} as Record<ServiceName, number>;
  for (const name of Object.keys(PORTS) as ServiceName[]) ports[name] = await freePort();
  return ports;
}

/**
 * npm start's settings for a stack a test starts in-process: the test's PAYWATCH_* settings
 * (as npm start reads them), every port free, the live simulation in weekday working hours.
 */
export async function stackTestConfig(env: Record<string, string>): Promise<StackConfig> {
  const parsed = parseStackConfig([], { [SIMULATOR_START]: WORKING_HOURS_START, ...env });
  if (parsed === 'help') throw new Error('stackTestConfig: no --help in a test');
  parsed.ports = await freePorts();
  return parsed;
}

export interface RunningStack {
  dataDir: string;
  ports: Record<ServiceName, number>;
  url(name: ServiceName): string;
  output(): string;
  /** When `npm start` was launched (epoch ms). */
  launchedAt: number;
  /** Ctrl-C, then whatever of the group is still alive is killed. Keeps the data directory. */
  stop(): Promise<void>;
  /** stop() and delete the data directory (when this module made it). */
  dispose(): Promise<void>;
}

export interface StackOptions {
  /** PAYWATCH_* settings (branches, backfill days …); ports and the data directory are set here. */
  env?: Record<string, string>;
  /** Reuse a data directory (a restart); by default a fresh one. */
  dataDir?: string;
  /** Reuse ports (a restart on the same addresses). */
  ports?: Record<ServiceName, number>;
  readyTimeoutMs?: number;
  /**
   * Where the live simulation starts (PAYWATCH_SIMULATOR_START): by default in weekday working
   * hours; null leaves the simulator its own default, the hour of the run, as a person's
   * `npm start` has it.
   */
  simulatorStart?: string | null;
}

/**
 * Ctrl-C as a terminal sends it to a process started `detached` (its own process group); if it has
 * not stopped in 30 s it is killed, and then whatever of its group is still alive.
 */
export async function stopGroup(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid) return;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGINT');
    const exited = once(child, 'exit').then(() => true);
    const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000).unref());
    if (!(await Promise.race([exited, timedOut]))) child.kill('SIGKILL');
  }
  try {
    process.kill(-child.pid, 'SIGKILL'); // anything of the group still alive
  } catch {
    // the group is gone: everything stopped
  }
}

export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? join(mkdtempSync(join(tmpdir(), 'paywatch-run-')), 'data');
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', PAYWATCH_GRAFANA: '0', ...options.env, PAYWATCH_DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  const simulatorStart = options.simulatorStart === undefined ? WORKING_HOURS_START : options.simulatorStart;
  if (simulatorStart === null) delete env[SIMULATOR_START];
  else env[SIMULATOR_START] ??= simulatorStart;
  const ports = options.ports ?? (await freePorts());
  for (const [name, spec] of Object.entries(PORTS) as Array<[ServiceName, (typeof PORTS)[ServiceName]]>)
    env[spec.env] = String(ports[name]);
  const launchedAt = Date.now();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'stack', 'src', 'cli', 'start.ts')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = () => stopGroup(child);
  const stack: RunningStack = {
    dataDir,
    ports,
    url: (name) => `http://127.0.0.1:${ports[name]}`,
    output: () => output,
    launchedAt,
    stop,
    dispose: async () => {
      await stop();
      if (ownDir) rmSync(join(dataDir, '..'), { recursive: true, force: true });
    },
  };
  try {
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
        return output.includes('Paywatch is running');
      },
      { timeoutMs: options.readyTimeoutMs ?? 600_000, intervalMs: 500, what: 'the stack to start' },
    );
  } catch (error) {
    await stack.dispose();
    throw error;
  }
  return stack;
}

/**
 * Waits until Prometheus answers every query with at least one series, one query after another
 * (every 2 s, at most 3 minutes each): what a test reads has been scraped or recorded by then.
 */
export async function waitForData(prometheusUrl: string, queries: string[]): Promise<void> {
  for (const query of queries)
    await waitFor(async () => (await promQuery(prometheusUrl, query)).length > 0, {
      timeoutMs: 180_000,
      intervalMs: 2000,
      what: `${query} to have data`,
    });
}

export interface AlertSeries {
  alertname: string;
  alertstate: string;
  labels: Record<string, string>;
}

/**
 * Every ALERTS series (pending or firing) Prometheus had in the last `seconds` up to `at`, by its
 * identity (labels without alertstate; the states it was seen in are joined). `last_over_time`
 * sees a series that existed for a single evaluation, which polling could miss.
 */
export async function alertsSeen(prometheusUrl: string, seconds: number, at = Date.now() / 1000): Promise<AlertSeries[]> {
  const query = `last_over_time(ALERTS[${Math.ceil(seconds)}s])`;
  const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query, time: String(at) })}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string> }> } };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${query}: ${body.error}`);
  const byIdentity = new Map<string, AlertSeries>();
  for (const { metric } of body.data.result) {
    const { alertstate = '', __name__: _name, ...labels } = metric;
    const key = JSON.stringify(Object.entries(labels).sort());
    const seen = byIdentity.get(key);
    if (seen) seen.alertstate = [...new Set([...seen.alertstate.split(','), alertstate])].sort().join(',');
    else byIdentity.set(key, { alertname: labels.alertname ?? '', alertstate, labels });
  }
  return [...byIdentity.values()].sort((a, b) => a.alertname.localeCompare(b.alertname));
}

/** "RfidReaderOffline ×284 (pending)" lines, for messages and benchmark output. */
export function summarizeAlerts(alerts: AlertSeries[]): string[] {
  const counts = new Map<string, number>();
  for (const a of alerts) {
    const key = `${a.alertname} ${a.labels.incident_class ?? ''} (${a.alertstate})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n} × ${key}`);
}
