// Starting, watching and stopping the long-running processes Paywatch is made of (its own
// services and the outside servers), the same way for `npm start` and for tests.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ServiceOptions {
  /** Short name used in log prefixes and error messages. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** URL that answers 2xx once the service is ready. */
  readyUrl?: string;
  readyTimeoutMs?: number;
  /** Where to send the service's output lines; by default they are kept for error messages only. */
  onOutput?: (line: string) => void;
}

export interface Service {
  name: string;
  child: ChildProcess;
  /** The last lines the service printed (for error messages). */
  output(): string;
  /** Stops the service: SIGTERM, then SIGKILL after a grace period. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

const KEPT_LINES = 200;

export async function startService(options: ServiceOptions): Promise<Service> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      options.onOutput?.(line);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 : null);
      resolve(exitCode);
    });
    child.on('error', (error) => {
      lines.push(`failed to start ${options.command}: ${error.message}`);
      exitCode = 127;
      resolve(127);
    });
  });
  const service: Service = {
    name: options.name,
    child,
    exited,
    output: () => lines.join('\n'),
    async stop(graceMs = 5000) {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  if (options.readyUrl) {
    try {
      await waitFor(
        async () => {
          if (exitCode !== undefined) throw new Error(`${options.name} exited with code ${exitCode}`);
          const response = await fetch(options.readyUrl!, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
          return response?.ok ?? false;
        },
        { timeoutMs: options.readyTimeoutMs ?? 30_000, what: `${options.name} ready at ${options.readyUrl}` },
      );
    } catch (error) {
      await service.stop();
      throw new Error(`${(error as Error).message}\n--- last output of ${options.name} ---\n${service.output()}`);
    }
  }
  return service;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What we are waiting for, for the timeout message. */
  what: string;
}

/** Polls until the check returns a truthy value, and returns it. An exception ends the wait. */
export async function waitFor<T>(
  check: () => Promise<T | false | undefined | null> | T | false | undefined | null,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/**
 * The V8 flags every exporter process runs with, given through NODE_OPTIONS wherever one is started
 * (the local stack, docker-compose.yml, bench/exporters.ts, the README's commands; a test checks
 * compose and the npm script). Young-generation semi-spaces of at most 2 MiB instead of V8's 16:
 * the exporters allocate little that lives, and a grown young generation was ~35 MiB of the
 * payments exporter's RSS (150 -> 114 MiB at 51k series, docs/benchmarks.md). The flag must be
 * on the process's command line or NODE_OPTIONS: v8.setFlagsFromString from inside is too late.
 * The exporters' other V8 flag, --heap-growing-percent, is the opposite: Node refuses it in
 * NODE_OPTIONS, so exporters/src/main.ts sets it from inside.
 */
export const EXPORTER_NODE_OPTIONS = '--max-semi-space-size=2';

/** NODE_OPTIONS with `flags` added after the caller's own (which stay). */
export function withNodeOptions(flags: string, env: NodeJS.ProcessEnv = process.env): string {
  return [env.NODE_OPTIONS, flags].filter(Boolean).join(' ');
}
