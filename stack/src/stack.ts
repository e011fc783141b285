// The local stack: every Paywatch process and the outside servers, started in dependency order,
// each waited for, all stopped in reverse order. Used by `npm start` and by the stack test.
// Our own services run as separate Node processes (as they would in production), started with
// tsx; their output goes to <data dir>/logs/<name>.log.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { alertmanagerConfigYaml, renderAlertmanagerConfig, blackboxConfigYaml, prometheusConfigYaml } from '@paywatch/kpi';
import { PORTS, type ServiceName, type StackConfig } from './config.ts';
import { layOutDashboards } from './dashboards.ts';
import { repoRoot } from './paths.ts';
import { startAlertmanager, startPrometheus, startService, waitFor, type Service } from '@paywatch/runtime';
import { findTool, ensureTools, TOOLS, type ToolName } from './tools.ts';
import { fillHistoryGap, hasLiveData, historyState, recordLiveStart, runBackfill } from './backfill/run.ts';

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

const TSX_IMPORT = ['--import', 'tsx'];

/** The entry points of our own services (documented command lines of each part). */
export const ENTRY_POINTS = {
  simulator: join(repoRoot, 'simulator', 'src', 'main.ts'),
  exporter: join(repoRoot, 'exporters', 'src', 'main.ts'),
  scopeProxy: join(repoRoot, 'scope-proxy', 'src', 'main.ts'),
  database: join(repoRoot, 'stack', 'src', 'services', 'database.ts'),
  alertSink: join(repoRoot, 'stack', 'src', 'services', 'alert-sink.ts'),
};

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Where Grafana keeps its own files, from the binary's location (tarball) or Debian's layout. */
function grafanaHome(binary: string): string | undefined {
  if (process.env.GRAFANA_HOME) return process.env.GRAFANA_HOME;
  const candidates = [join(dirname(realpathSync(binary)), '..'), '/usr/share/grafana'];
  return candidates.find((dir) => existsSync(join(dir, 'conf', 'defaults.ini')));
}

/**
 * Starts everything; on failure stops what it started and throws. Aborting `signal` (Ctrl-C
 * during start-up) stops what has started so far and makes it throw `aborted`.
 */
export async function startStack(config: StackConfig, progress: Progress = consoleProgress(), signal?: AbortSignal): Promise<RunningStack> {
  const { ports, dataDir } = config;
  const runDir = join(dataDir, 'run');
  const logDir = join(dataDir, 'logs');
  mkdirSync(runDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const services: Service[] = [];
  const stoppers: Array<{ name: string; stop: () => Promise<void> }> = [];
  const skipped: RunningStack['skipped'] = [];
  const urls: RunningStack['urls'] = {};
  let crash: (name: string) => void = () => {};
  const crashed = new Promise<string>((resolve) => (crash = resolve));
  let stopping = false;

  const stopAll = async () => {
    stopping = true;
    while (stoppers.length) {
      const entry = stoppers.pop()!;
      await entry.stop().catch((error: Error) => progress.warn(`stopping ${entry.name}: ${error.message}`));
    }
  };
  signal?.addEventListener('abort', () => void stopAll(), { once: true });

  const logTo = (name: string) => {
    const file = join(logDir, `${name}.log`);
    appendFileSync(file, `--- ${new Date().toISOString()} starting ${name}\n`);
    return (line: string) => appendFileSync(file, `${line}\n`);
  };

  const track = (service: Service) => {
    services.push(service);
    stoppers.push({ name: service.name, stop: () => service.stop() });
    void service.exited.then((code) => {
      if (!stopping) {
        progress.warn(`${service.name} exited (code ${code}); its last output:\n${service.output().split('\n').slice(-15).join('\n')}`);
        crash(service.name);
      }
    });
    return service;
  };

  const node = async (name: string, script: string, args: string[], readyUrl?: string, env: NodeJS.ProcessEnv = {}) =>
    track(
      await startService({
        name,
        command: process.execPath,
        args: [...TSX_IMPORT, script, ...args],
        cwd: repoRoot,
        env: { ...process.env, ...env },
        readyUrl,
        readyTimeoutMs: 90_000,
        onOutput: logTo(name),
      }),
    );

  const step = async <T>(title: string, work: () => Promise<T>, detail?: (value: T) => string | undefined): Promise<T> => {
    if (signal?.aborted) {
      await stopAll();
      throw new Error('aborted');
    }
    const s = progress.step(title);
    try {
      const value = await work();
      s.done(detail?.(value));
      return value;
    } catch (error) {
      if (signal?.aborted) {
        s.fail('stopped');
        await stopAll();
        throw new Error('aborted');
      }
      s.fail((error as Error).message);
      await stopAll();
      throw error;
    }
  };

  // 1. Outside programs: from PATH, named by env, or installed from Debian's packages.
  const required: ToolName[] = ['prometheus', 'promtool', 'alertmanager'];
  const optional: ToolName[] = ['blackbox', 'nodeExporter'];
  await step('checking Prometheus, Alertmanager, blackbox prober, node_exporter', async () => {
    const missing = ensureTools([...required, ...optional], (line) => progress.info(line));
    const fatal = missing.filter((name) => required.includes(name));
    if (fatal.length) throw new Error(fatal.map((name) => `missing ${name}: ${TOOLS[name].hint}`).join('\n'));
    for (const name of missing) {
      skipped.push({ name, why: TOOLS[name].hint });
      progress.warn(`${name} is not installed; going on without it (${TOOLS[name].hint})`);
    }
  });
  const haveBlackbox = !!findTool('blackbox');
  const haveNode = !!findTool('nodeExporter');
  const grafanaBin = config.grafana ? findTool('grafana') : undefined;
  if (config.grafana && !grafanaBin) skipped.push({ name: 'grafana', why: TOOLS.grafana.hint });

  // 2. Ports: a busy one is named with the variable that moves it.
  await step('checking ports', async () => {
    const needed: ServiceName[] = ['api', 'payments', 'lms', 'rfid', 'pool', 'scopeProxy', 'alertSink', 'prometheus', 'alertmanager'];
    if (!config.databaseUrl) needed.push('database');
    if (haveBlackbox) needed.push('blackbox');
    if (haveNode) needed.push('node');
    if (grafanaBin) needed.push('grafana');
    const busy: string[] = [];
    for (const name of needed) {
      if (!(await portIsFree(ports[name]))) busy.push(`port ${ports[name]} (${PORTS[name].what}) is in use: set ${PORTS[name].env} or --${PORTS[name].flag}`);
    }
    if (busy.length) throw new Error(busy.join('\n'));
  });

  // 3. The database: a real one from DATABASE_URL, or the embedded one.
  let databaseUrl = config.databaseUrl ?? '';
  if (config.databaseUrl) {
    await step('connecting to DATABASE_URL', async () => {
      const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 10_000 });
      try {
        await client.connect();
        await client.query('SELECT 1 FROM paywatch.payments LIMIT 1');
      } catch (error) {
        throw new Error(`${(error as Error).message}\nDATABASE_URL must reach a database with the paywatch.* views (docs/schema.md).`);
      } finally {
        await client.end().catch(() => {});
      }
    });
  } else {
    databaseUrl = `postgres://postgres@127.0.0.1:${ports.database}/postgres`;
    await step(`starting the embedded database (PGlite) on 127.0.0.1:${ports.database}`, async () => {
      const database = await node('database', ENTRY_POINTS.database, ['--data-dir', join(dataDir, 'database'), '--port', String(ports.database)]);
      let exited: number | null | undefined;
      void database.exited.then((code) => (exited = code));
      await waitFor(
        async () => {
          if (signal?.aborted) throw new Error('aborted');
          if (exited !== undefined) throw new Error(`the embedded database exited (code ${exited}):\n${database.output().split('\n').slice(-10).join('\n')}`);
          const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2000 });
          try {
            await client.connect();
            await client.query('SELECT 1 FROM paywatch_migrations LIMIT 1');
            return true;
          } catch {
            return false;
          } finally {
            await client.end().catch(() => {});
          }
        },
        { timeoutMs: 90_000, intervalMs: 500, what: 'the embedded database' },
      );
    });
  }

  // 4. History: simulated days before now, imported into Prometheus's TSDB before it starts.
  const promDir = join(dataDir, 'prometheus');
  if (config.simulate && config.backfillDays > 0 && !historyState(promDir) && !hasLiveData(promDir)) {
    await step(`backfilling ${config.backfillDays} days of simulated history`, async () => runBackfill({
        prometheusDir: promDir,
        days: config.backfillDays,
        branches: config.branches,
        officersPerBranch: config.officersPerBranch,
        perBranchPerDay: config.paymentsPerBranch,
        ports,
        log: (line: string) => progress.info(line),
      }), (result) => `${result.samples.toLocaleString('en')} samples`);
  }

  else if (historyState(promDir)?.liveStartSeconds) {
    // A later start: fill the hole between the history and the first live scrape once it is old enough.
    await step('checking the history for the gap before the first live data', async () => fillHistoryGap({ prometheusDir: promDir, log: (line: string) => progress.info(line) }), (samples) => (samples ? `${samples.toLocaleString('en')} samples added` : 'nothing to add now'));
  }

  // 5. The business simulator and the payments API it plays.
  if (config.simulate) {
    await step(`starting the simulator and payments API on 127.0.0.1:${ports.api}`, async () => {
      const args = ['--database-url', databaseUrl, '--port', String(ports.api)];
      if (config.branches) args.push('--branches', String(config.branches));
      if (config.officersPerBranch) args.push('--officers', String(config.officersPerBranch));
      if (config.paymentsPerBranch) args.push('--payments-per-branch', String(config.paymentsPerBranch));
      if (config.speed) args.push('--speed', String(config.speed));
      await node('simulator', ENTRY_POINTS.simulator, args, `http://127.0.0.1:${ports.api}/metrics`);
      urls.api = `http://127.0.0.1:${ports.api}`;
    });
  }

  // 6. The exporters, one process each.
  await step('starting the exporters (payments, lms, rfid, pool)', async () => {
    const lmsHealth = config.simulate ? ['--lms-health-url', `http://127.0.0.1:${ports.api}/lms/health`] : [];
    await Promise.all(
      (['payments', 'lms', 'rfid', 'pool'] as const).map(async (name) => {
        await node(`exporter-${name}`, ENTRY_POINTS.exporter, [name, '--database-url', databaseUrl, '--port', String(ports[name]), ...(name === 'lms' ? lmsHealth : [])], `http://127.0.0.1:${ports[name]}/metrics`);
        urls[name] = `http://127.0.0.1:${ports[name]}`;
      }),
    );
  });

  // 7. Prometheus's side: alert sink, Alertmanager, probers, then Prometheus itself.
  await step(`starting the alert sink on 127.0.0.1:${ports.alertSink}`, async () => {
    await node('alert-sink', ENTRY_POINTS.alertSink, ['--port', String(ports.alertSink), '--file', join(dataDir, 'alerts', 'notifications.jsonl')], `http://127.0.0.1:${ports.alertSink}/healthz`);
    urls.alertSink = `http://127.0.0.1:${ports.alertSink}`;
  });

  await step(`starting Alertmanager on 127.0.0.1:${ports.alertmanager}`, async () => {
    const amDir = join(dataDir, 'alertmanager');
    const rendered = renderLocalAlertmanager(amDir, ports.alertSink);
    for (const [file, content] of Object.entries(rendered.files)) {
      mkdirSync(dirname(join(amDir, file)), { recursive: true });
      writeFileSync(join(amDir, file), content, file.startsWith('secrets/') ? { mode: 0o600 } : {});
    }
    const alertmanager = await startAlertmanager({ dir: amDir, config: rendered.config, port: ports.alertmanager, gossip: false, onOutput: logTo('alertmanager') });
    const service = track(alertmanager.service);
    urls.alertmanager = `http://127.0.0.1:${ports.alertmanager}`;
    return service;
  }, () => (receiversFromEnvironment() ? 'receivers from the environment' : `receivers post to the alert sink ${urls.alertSink}`));

  if (haveBlackbox) {
    await step(`starting the blackbox prober on 127.0.0.1:${ports.blackbox}`, async () => {
      const file = join(runDir, 'blackbox.yml');
      writeFileSync(file, blackboxConfigYaml());
      track(
        await startService({
          name: 'blackbox',
          command: findTool('blackbox')!,
          args: [`--config.file=${file}`, `--web.listen-address=127.0.0.1:${ports.blackbox}`],
          readyUrl: `http://127.0.0.1:${ports.blackbox}/-/healthy`,
          onOutput: logTo('blackbox'),
        }),
      );
      urls.blackbox = `http://127.0.0.1:${ports.blackbox}`;
    });
  }
  if (haveNode) {
    await step(`starting node_exporter (host metrics) on 127.0.0.1:${ports.node}`, async () => {
      track(
        await startService({
          name: 'node-exporter',
          command: findTool('nodeExporter')!,
          args: [`--web.listen-address=127.0.0.1:${ports.node}`],
          readyUrl: `http://127.0.0.1:${ports.node}/metrics`,
          onOutput: logTo('node-exporter'),
        }),
      );
      urls.node = `http://127.0.0.1:${ports.node}`;
    });
  }

  await step(`starting Prometheus on 127.0.0.1:${ports.prometheus}`, async () => {
    const omitJobs: string[] = [];
    if (!config.simulate) omitJobs.push('payments-api', 'blackbox'); // a real engine is scraped where it runs: add its job
    if (!haveBlackbox) omitJobs.push('blackbox', 'blackbox-exporter');
    if (!haveNode) omitJobs.push('node');
    const addr = (name: ServiceName) => `127.0.0.1:${ports[name]}`;
    const yaml = prometheusConfigYaml({
      targets: {
        paymentsApi: addr('api'),
        payments: addr('payments'),
        lms: addr('lms'),
        rfid: addr('rfid'),
        pool: addr('pool'),
        scopeProxy: addr('scopeProxy'),
        node: addr('node'),
        blackbox: addr('blackbox'),
        alertmanager: addr('alertmanager'),
        prometheus: addr('prometheus'),
      },
      ruleFiles: [join(repoRoot, 'prometheus', 'rules', '*.yml')],
      omitJobs,
    });
    recordLiveStart(promDir);
    const prometheus = await startPrometheus({
      dir: promDir,
      config: yaml,
      port: ports.prometheus,
      retention: config.retention,
      readyTimeoutMs: 180_000,
      onOutput: logTo('prometheus'),
    });
    track(prometheus.service);
    urls.prometheus = `http://127.0.0.1:${ports.prometheus}`;
  });

  // 8. The scope proxy in front of Prometheus: the only way Grafana reaches the numbers. With
  // Grafana, it trusts only Grafana's signed ID token, and the login only for the Grafana user
  // access sync bound to it (a login can be renamed; the uid cannot). Without Grafana, the user
  // header (for trying the proxy by hand).
  const grafanaRoot = `http://127.0.0.1:${ports.grafana}/`;
  const identities = join(dataDir, 'grafana', 'identities.json');
  const identityArgs = grafanaBin ? grafanaIdentityArgs(grafanaRoot, identities) : [];
  await step(`starting the scope proxy on 127.0.0.1:${ports.scopeProxy}${grafanaBin ? ' (identity: Grafana ID token)' : ''}`, async () => {
    await node(
      'scope-proxy',
      ENTRY_POINTS.scopeProxy,
      ['--port', String(ports.scopeProxy), '--upstream', urls.prometheus!, '--policy', join(repoRoot, 'policy', 'policy.yml'), ...identityArgs],
      `http://127.0.0.1:${ports.scopeProxy}/healthz`,
      { PAYWATCH_PROXY_SECRET: config.proxySecret },
    );
    urls.scopeProxy = `http://127.0.0.1:${ports.scopeProxy}`;
  });

  // 9. Grafana, when there is one: provisioned data sources, app, dashboards; then access sync.
  if (grafanaBin) {
    let firstGrafanaStart = true;
    await step(`starting Grafana on 127.0.0.1:${ports.grafana}`, async () => {
      const grafanaDir = join(dataDir, 'grafana');
      firstGrafanaStart = !existsSync(join(grafanaDir, 'data'));
      const home = grafanaHome(grafanaBin);
      if (!home) throw new Error(`cannot find Grafana's home (conf/defaults.ini) next to ${grafanaBin}: set GRAFANA_HOME`);
      const dashboards = join(grafanaDir, 'dashboards');
      const placed = layOutDashboards(dashboards);
      const plugins = join(grafanaDir, 'plugins');
      mkdirSync(plugins, { recursive: true });
      const pluginLink = join(plugins, 'paywatch-paywatch-app');
      rmSync(pluginLink, { force: true, recursive: true });
      const pluginDist = join(repoRoot, 'plugin', 'dist');
      if (existsSync(pluginDist)) symlinkSync(pluginDist, pluginLink);
      else progress.warn('plugin/dist is missing (build it: cd plugin && npm run build); Grafana starts without the Paywatch app');
      const isNew = grafanaBin.endsWith('/grafana');
      track(
        await startService({
          name: 'grafana',
          command: grafanaBin,
          args: [...(isNew ? ['server'] : []), `--homepath=${home}`, `--config=${join(repoRoot, 'docker', 'grafana', 'grafana.ini')}`],
          cwd: home,
          env: {
            ...process.env,
            GF_PATHS_DATA: join(grafanaDir, 'data'),
            GF_PATHS_LOGS: join(grafanaDir, 'logs'),
            GF_PATHS_PLUGINS: plugins,
            GF_PATHS_PROVISIONING: join(repoRoot, 'provisioning'),
            GF_SERVER_HTTP_ADDR: '127.0.0.1',
            GF_SERVER_HTTP_PORT: String(ports.grafana),
            // The ID token's issuer: the scope proxy checks it.
            GF_SERVER_ROOT_URL: grafanaRoot,
            GF_SECURITY_ADMIN_PASSWORD: process.env.GF_SECURITY_ADMIN_PASSWORD ?? 'admin',
            PAYWATCH_SCOPE_PROXY_URL: urls.scopeProxy,
            PAYWATCH_PROXY_SECRET: config.proxySecret,
            PAYWATCH_DASHBOARDS_DIR: dashboards,
          },
          readyUrl: `http://127.0.0.1:${ports.grafana}/api/health`,
          readyTimeoutMs: 180_000,
          onOutput: logTo('grafana'),
        }),
      );
      urls.grafana = `http://127.0.0.1:${ports.grafana}`;
      return placed.length;
    }, (count) => `${count} dashboards provisioned`);
    await step('access sync: Grafana users, teams and folder permissions from policy/policy.yml', async () => {
      const { main } = await import('./cli/access-sync.ts');
      // Grafana's admin (as started above) creates the demo users; the environment is not written.
      const env = {
        ...process.env,
        GRAFANA_USER: process.env.GRAFANA_USER ?? 'admin',
        GRAFANA_PASSWORD: process.env.GRAFANA_PASSWORD ?? process.env.GF_SECURITY_ADMIN_PASSWORD ?? 'admin',
        PAYWATCH_DEMO_PASSWORD: config.demoPassword,
      };
      // A Grafana made before identities were recorded: its users are the demo people access
      // sync made then, so bind them as they are (once; afterwards only users it creates).
      const upgrade = !firstGrafanaStart && !existsSync(identities) ? ['--adopt-existing'] : [];
      const code = await main(['--grafana-url', urls.grafana!, '--identities', identities, ...upgrade], logTo('access-sync'), env);
      if (code !== 0) throw new Error(`access sync exited ${code}; see ${join(logDir, 'access-sync.log')}`);
    });
  }

  if (signal?.aborted) {
    await stopAll();
    throw new Error('aborted');
  }
  writeFileSync(join(runDir, 'urls.json'), JSON.stringify({ ...urls, database: databaseUrl.replace(/:[^:@/]*@/, ':***@') }, null, 2));
  return { config, urls, databaseUrl, skipped, crashed, stop: stopAll };
}

/** Scope proxy flags for Grafana 12's ID tokens: keys, issuer (root URL with its slash), org 1, bindings. */
export function grafanaIdentityArgs(grafanaRoot: string, identitiesFile: string): string[] {
  return [
    '--identity', 'grafana-id',
    '--jwks-url', new URL('api/signing-keys/keys', grafanaRoot).href,
    '--jwt-issuer', grafanaRoot,
    '--jwt-audience', 'org:1',
    '--identities', identitiesFile,
  ];
}

function receiversFromEnvironment(): boolean {
  return !!(process.env.PAYWATCH_SMTP_SMARTHOST || process.env.PAYWATCH_SLACK_WEBHOOK_URL || process.env.PAYWATCH_PAGERDUTY_ROUTING_KEY || process.env.PAYWATCH_SECRETS_DIR);
}

/**
 * alertmanager.yml for the local stack: the real receivers when the environment names them
 * (PAYWATCH_SMTP_SMARTHOST, PAYWATCH_SLACK_WEBHOOK_URL, ... see docs/alerting.md), otherwise
 * every rung of the ladder posts to the local alert sink so a demo shows who would be told when.
 */
export function renderLocalAlertmanager(dir: string, sinkPort: number): { config: string; files: Record<string, string> } {
  const templatesDir = join(repoRoot, 'prometheus', 'templates');
  const templates: Record<string, string> = {};
  if (existsSync(templatesDir)) {
    for (const name of readdirSync(templatesDir)) if (name.endsWith('.tmpl')) templates[name] = readFileSync(join(templatesDir, name), 'utf8');
  }
  if (receiversFromEnvironment()) return renderAlertmanagerConfig(process.env, dir, templates);
  const files: Record<string, string> = {};
  for (const [name, content] of Object.entries(templates)) files[`templates/${name}`] = content;
  return {
    config: alertmanagerConfigYaml({ receivers: { kind: 'webhook', url: (receiver) => `http://127.0.0.1:${sinkPort}/alerts/${receiver}` }, templates: Object.keys(templates).length ? ['templates/*.tmpl'] : [] }),
    files,
  };
}

