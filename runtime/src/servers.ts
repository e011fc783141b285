// Prometheus and Alertmanager from their real binaries, started on a given config, for the local
// stack and for tests alike.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { startService, type Service } from './process.ts';
import { requireTool } from './tools.ts';

export interface PrometheusOptions {
  /** Directory for the config, rule files and TSDB. */
  dir: string;
  /** prometheus.yml content; rule files it names are resolved relative to `dir`. */
  config: string;
  /** Extra files (e.g. rule files) to write into `dir`, by relative path. */
  files?: Record<string, string>;
  port?: number;
  retention?: string;
  extraArgs?: string[];
  /** How long to wait for /-/ready (a TSDB with weeks of backfilled blocks takes a while). */
  readyTimeoutMs?: number;
  onOutput?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  service: Service;
  stop(): Promise<void>;
}

function writeFiles(dir: string, files: Record<string, string>) {
  for (const [relative, content] of Object.entries(files)) {
    const path = join(dir, relative);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  mkdirSync(join(options.dir, 'data'), { recursive: true });
  writeFiles(options.dir, { 'prometheus.yml': options.config, ...(options.files ?? {}) });
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 'prometheus',
    command: requireTool('prometheus'),
    args: [
      `--config.file=${join(options.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(options.dir, 'data')}`,
      `--storage.tsdb.retention.time=${options.retention ?? '45d'}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      ...(options.extraArgs ?? []),
    ],
    cwd: options.dir,
    readyUrl: `${url}/-/ready`,
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
    onOutput: options.onOutput,
  });
  return { url, port, service, stop: () => service.stop() };
}

export interface AlertmanagerOptions {
  dir: string;
  config: string;
  files?: Record<string, string>;
  port?: number;
  /**
   * Gossip on a free cluster port (default), as a member of an HA pair would; false runs a lone
   * Alertmanager with no cluster at all (the local stack), which sends without waiting to settle.
   */
  gossip?: boolean;
  extraArgs?: string[];
  onOutput?: (line: string) => void;
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  const cluster = options.gossip === false ? ['--cluster.listen-address='] : await gossipArgs();
  mkdirSync(join(options.dir, 'data'), { recursive: true });
  writeFiles(options.dir, { 'alertmanager.yml': options.config, ...(options.files ?? {}) });
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 'alertmanager',
    command: requireTool('alertmanager'),
    args: [
      `--config.file=${join(options.dir, 'alertmanager.yml')}`,
      `--storage.path=${join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...cluster,
      ...(options.extraArgs ?? []),
    ],
    cwd: options.dir,
    readyUrl: `${url}/-/ready`,
    onOutput: options.onOutput,
  });
  return { url, port, service, stop: () => service.stop() };
}

async function gossipArgs(): Promise<string[]> {
  const clusterPort = await freePort();
  return [`--cluster.listen-address=127.0.0.1:${clusterPort}`, `--cluster.advertise-address=127.0.0.1:${clusterPort}`];
}

/** Runs an instant PromQL query and returns the result vector. */
export async function promQuery(
  prometheusUrl: string,
  query: string,
  time?: number,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const body = new URLSearchParams({ query });
  if (time !== undefined) body.set('time', String(time));
  const response = await fetch(`${prometheusUrl}/api/v1/query`, { method: 'POST', body });
  const json = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
  if (json.status !== 'success') throw new Error(`query ${query} failed: ${json.error}`);
  if (json.data?.resultType !== 'vector') throw new Error(`query ${query} returned ${json.data?.resultType}, not a vector`);
  return json.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>;
}

export interface PostgresExporterOptions {
  /** The database to watch (node-pg's URL form); its server's statistics are read with this role. */
  databaseUrl: string;
  /** Directory for its extra-queries file. */
  dir: string;
  /** The extra queries (kpi's postgresExporterQueriesYaml()). */
  queries: string;
  port?: number;
  extraArgs?: string[];
  onOutput?: (line: string) => void;
}

/**
 * postgres_exporter's connection string: lib/pq, unlike node-pg, asks for TLS unless told
 * otherwise, so a URL without `sslmode` gets node-pg's default (no TLS).
 */
export function postgresExporterDsn(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'disable');
  return url.href;
}

/** postgres_exporter (Debian's 0.11.1, or POSTGRES_EXPORTER_BIN) on a database, for the local stack and tests. */
export async function startPostgresExporter(options: PostgresExporterOptions): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  writeFiles(options.dir, { 'postgres-exporter.yml': options.queries });
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 'postgres-exporter',
    command: requireTool('postgresExporter'),
    args: [
      `--web.listen-address=127.0.0.1:${port}`,
      `--extend.query-path=${join(options.dir, 'postgres-exporter.yml')}`,
      ...(options.extraArgs ?? []),
    ],
    // The connection string (with its password, if any) stays out of the process list.
    env: { ...process.env, DATA_SOURCE_NAME: postgresExporterDsn(options.databaseUrl) },
    readyUrl: `${url}/metrics`,
    onOutput: options.onOutput,
  });
  return { url, port, service, stop: () => service.stop() };
}
