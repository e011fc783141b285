// What the start-up steps share (stack.ts runs them, start-steps.ts defines them): progress lines
// numbered per step, the services started so far (stopped in reverse order on failure, abort or
// stop), their log files, and the URLs the later steps and the banner need.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXPORTER_NODE_OPTIONS, prebuiltEntry, startService, withNodeOptions, type Service } from '@paywatch/runtime';
import type { ServiceName, StackConfig } from './config.ts';
import { repoRoot } from './paths.ts';
import { ENTRY_POINTS } from './start-steps.ts';

export interface Progress {
  step(title: string): { done(detail?: string): void; fail(detail: string): void };
  info(line: string): void;
  warn(line: string): void;
}

export function consoleProgress(write: (line: string) => void = (line) => console.log(line)): Progress {
  let n = 0;
  return {
    step(title) {
      const started = Date.now();
      const index = ++n;
      write(`paywatch: [${index}] ${title} ...`);
      const took = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
      return {
        done: (detail) => write(`paywatch: [${index}] ${title}: ok${detail ? `, ${detail}` : ''} (${took()})`),
        fail: (detail) => write(`paywatch: [${index}] ${title}: FAILED (${took()})\n${detail}`),
      };
    },
    info: (line) => write(`paywatch: ${line}`),
    warn: (line) => write(`paywatch: warning: ${line}`),
  };
}

const TSX_IMPORT = ['--import', 'tsx'];

export class Launch {
  readonly runDir: string;
  readonly logDir: string;
  readonly urls: Partial<Record<ServiceName, string>> = {};
  /** Services that were skipped, with why. */
  readonly skipped: Array<{ name: string; why: string }> = [];
  /** Resolves when a service exits on its own (a crash), with its name. */
  readonly crashed: Promise<string>;
  private crash: (name: string) => void = () => {};
  private readonly stoppers: Array<{ name: string; stop: () => Promise<void> }> = [];
  private stopping = false;

  constructor(
    readonly config: StackConfig,
    readonly progress: Progress,
    readonly signal?: AbortSignal,
  ) {
    this.runDir = join(config.dataDir, 'run');
    this.logDir = join(config.dataDir, 'logs');
    mkdirSync(this.runDir, { recursive: true });
    mkdirSync(this.logDir, { recursive: true });
    this.crashed = new Promise<string>((resolve) => (this.crash = resolve));
    signal?.addEventListener('abort', () => void this.stopAll(), { once: true });
  }

  /** Stops everything started so far, newest first. */
  readonly stopAll = async () => {
    this.stopping = true;
    while (this.stoppers.length) {
      const entry = this.stoppers.pop()!;
      await entry.stop().catch((error: Error) => this.progress.warn(`stopping ${entry.name}: ${error.message}`));
    }
  };

  /** A writer appending to <data dir>/logs/<name>.log. */
  logTo(name: string) {
    const file = join(this.logDir, `${name}.log`);
    appendFileSync(file, `--- ${new Date().toISOString()} starting ${name}\n`);
    return (line: string) => appendFileSync(file, `${line}\n`);
  }

  /** Remembers a started service: stopped with the rest, and a crash is reported. */
  track(service: Service): Service {
    this.stoppers.push({ name: service.name, stop: () => service.stop() });
    void service.exited.then((code) => {
      if (!this.stopping) {
        this.progress.warn(
          `${service.name} exited (code ${code}); its last output:\n${service.output().split('\n').slice(-15).join('\n')}`,
        );
        this.crash(service.name);
      }
    });
    return service;
  }

  /**
   * One of our own services, as a Node process running its entry point with tsx; the exporters
   * from a prebuilt bundle of it (runtime/src/bundle.ts: they must serve within 2 s of start).
   */
  async node(name: string, script: string, args: string[], readyUrl?: string, env: NodeJS.ProcessEnv = {}): Promise<Service> {
    const exporter = script === ENTRY_POINTS.exporter;
    return this.track(
      await startService({
        name,
        command: process.execPath,
        args: exporter ? [await prebuiltEntry(script), ...args] : [...TSX_IMPORT, script, ...args],
        cwd: repoRoot,
        // The exporters run with their V8 flags (runtime's EXPORTER_NODE_OPTIONS), as everywhere
        // else they are started.
        env: {
          ...process.env,
          ...(exporter ? { NODE_OPTIONS: withNodeOptions(EXPORTER_NODE_OPTIONS) } : {}),
          ...env,
        },
        readyUrl,
        readyTimeoutMs: 90_000,
        onOutput: this.logTo(name),
      }),
    );
  }

  /** Runs one titled step; on failure or abort stops everything started and throws. */
  async step<T>(title: string, work: () => Promise<T>, detail?: (value: T) => string | undefined): Promise<T> {
    await this.stopIfAborted();
    const s = this.progress.step(title);
    try {
      const value = await work();
      s.done(detail?.(value));
      return value;
    } catch (error) {
      if (this.signal?.aborted) {
        s.fail('stopped');
        await this.stopAll();
        throw new Error('aborted');
      }
      s.fail((error as Error).message);
      await this.stopAll();
      throw error;
    }
  }

  async stopIfAborted() {
    if (this.signal?.aborted) {
      await this.stopAll();
      throw new Error('aborted');
    }
  }
}
