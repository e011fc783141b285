// The local stack: every Paywatch process and the outside servers, started in dependency order,
// each waited for, all stopped in reverse order. Used by `npm start` and by the stack test.
// Our own services run as separate Node processes (as they would in production), started with
// tsx; their output goes to <data dir>/logs/<name>.log. The steps are in start-steps.ts, what
// they share (progress, started services, URLs) in launch.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceName, StackConfig } from './config.ts';
import { consoleProgress, Launch, type Progress } from './launch.ts';
import {
  checkPorts,
  checkTools,
  prepareDatabase,
  prepareHistory,
  startAlerting,
  startExporters,
  startGrafana,
  startProbers,
  startPrometheusStep,
  startReports,
  startScopeProxyStep,
  startSimulator,
  syncAccess,
} from './start-steps.ts';

export { consoleProgress, type Progress } from './launch.ts';
export { ENTRY_POINTS, grafanaIdentityArgs, renderLocalAlertmanager } from './start-steps.ts';

export interface RunningStack {
  config: StackConfig;
  urls: Partial<Record<ServiceName, string>>;
  databaseUrl: string;
  /** Services that were skipped, with why. */
  skipped: Array<{ name: string; why: string }>;
  /** Resolves when a service exits on its own (a crash), with its name. */
  crashed: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts everything; on failure stops what it started and throws. Aborting `signal` (Ctrl-C
 * during start-up) stops what has started so far and makes it throw `aborted`.
 */
export async function startStack(config: StackConfig, progress: Progress = consoleProgress(), signal?: AbortSignal): Promise<RunningStack> {
  const launch = new Launch(config, progress, signal);
  const promDir = join(config.dataDir, 'prometheus');
  const optional = await checkTools(launch);
  await checkPorts(launch, optional);
  const databaseUrl = await prepareDatabase(launch);
  await prepareHistory(launch, promDir);
  await startSimulator(launch, databaseUrl);
  await startExporters(launch, databaseUrl);
  await startAlerting(launch);
  await startProbers(launch, optional, databaseUrl);
  await startPrometheusStep(launch, optional, promDir);
  await startScopeProxyStep(launch, optional);
  await startReports(launch);
  if (optional.grafana) {
    const firstGrafanaStart = await startGrafana(launch, optional.grafana);
    await syncAccess(launch, firstGrafanaStart);
  }
  await launch.stopIfAborted();
  writeFileSync(
    join(launch.runDir, 'urls.json'),
    JSON.stringify({ ...launch.urls, database: databaseUrl.replace(/:[^:@/]*@/, ':***@') }, null, 2),
  );
  return { config, urls: launch.urls, databaseUrl, skipped: launch.skipped, crashed: launch.crashed, stop: launch.stopAll };
}
