// The local stack's start-up, one named step per function, in the order stack.ts runs them:
// tools, ports, database, history, simulator, exporters, alerting, probers, Prometheus, scope
// proxy, report scheduler, Grafana, access sync. Each runs through Launch.step (numbered progress, stop all on
// failure) and records what later steps need in launch.urls or its return value.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import {
  alertmanagerConfigYaml,
  renderAlertmanagerConfig,
  blackboxConfigYaml,
  postgresExporterQueriesYaml,
  prometheusConfigYaml,
} from '@paywatch/kpi';
import {
  startAlertmanager,
  startPostgresExporter,
  startPrometheus,
  startService,
  waitFor,
  findTool,
  portIsFree,
  ensureTools,
  TOOLS,
  type ToolName,
} from '@paywatch/runtime';
import { fillHistoryGap, hasLiveData, historyState, recordLiveStart, runBackfill } from './backfill/run.ts';
import { PORTS, type ServiceName } from './config.ts';
import { layOutDashboards } from './dashboards.ts';
import type { Launch } from './launch.ts';
import { repoRoot } from './paths.ts';

/** The entry points of our own services (documented command lines of each part). */
export const ENTRY_POINTS = {
  simulator: join(repoRoot, 'simulator', 'src', 'main.ts'),
  exporter: join(repoRoot, 'exporters', 'src', 'main.ts'),
  scopeProxy: join(repoRoot, 'scope-proxy', 'src', 'main.ts'),
  database: join(repoRoot, 'stack', 'src', 'services', 'database.ts'),
  alertSink: join(repoRoot, 'stack', 'src', 'services', 'alert-sink.ts'),
  reportScheduler: join(repoRoot, 'reports', 'src', 'main.ts'),
  smtpSink: join(repoRoot, 'reports', 'src', 'smtp-sink.ts'),
};

/** Which optional outside programs this start has. */
export interface Optional {
  blackbox: boolean;
  node: boolean;
  /** postgres_exporter, watching the system of record's server. */
  postgres: boolean;
  grafana?: string;
}

/** Outside programs: from PATH, named by env, or installed from Debian's packages. */
export async function checkTools(launch: Launch): Promise<Optional> {
  const required: ToolName[] = ['prometheus', 'promtool', 'alertmanager'];
  const optional: ToolName[] = ['blackbox', 'nodeExporter', 'postgresExporter'];
  await launch.step('checking Prometheus, Alertmanager, blackbox prober, node_exporter, postgres_exporter', async () => {
    const missing = ensureTools([...required, ...optional], (line) => launch.progress.info(line));
    const fatal = missing.filter((name) => required.includes(name));
    if (fatal.length) throw new Error(fatal.map((name) => `missing ${name}: ${TOOLS[name].hint}`).join('\n'));
    for (const name of missing) {
      launch.skipped.push({ name, why: TOOLS[name].hint });
      launch.progress.warn(`${name} is not installed; going on without it (${TOOLS[name].hint})`);
    }
  });
  const grafana = launch.config.grafana ? findTool('grafana') : undefined;
  if (launch.config.grafana && !grafana) launch.skipped.push({ name: 'grafana', why: TOOLS.grafana.hint });
  return {
    blackbox: !!findTool('blackbox'),
    node: !!findTool('nodeExporter'),
    postgres: !!findTool('postgresExporter'),
    ...(grafana ? { grafana } : {}),
  };
}

/** Ports: a busy one is named with the variable that moves it. */
export async function checkPorts(launch: Launch, optional: Optional): Promise<void> {
  const { config } = launch;
  await launch.step('checking ports', async () => {
    const needed: ServiceName[] = ['api', 'payments', 'lms', 'rfid', 'pool', 'scopeProxy', 'alertSink', 'prometheus', 'alertmanager'];
    if (!config.databaseUrl) needed.push('database');
    if (optional.blackbox) needed.push('blackbox');
    if (optional.node) needed.push('node');
    if (optional.postgres) needed.push('postgres');
    if (optional.grafana) needed.push('grafana');
    needed.push('reports', ...(process.env.PAYWATCH_REPORTS_SMTP_URL ? [] : (['smtpSink', 'mailbox'] as const)));
    const busy: string[] = [];
    for (const name of needed) {
      if (!(await portIsFree(config.ports[name])))
        busy.push(`port ${config.ports[name]} (${PORTS[name].what}) is in use: set ${PORTS[name].env} or --${PORTS[name].flag}`);
    }
    if (busy.length) throw new Error(busy.join('\n'));
  });
}

/** The database: a real one from DATABASE_URL, or the embedded one. Returns its URL. */
export async function prepareDatabase(launch: Launch): Promise<string> {
  const { config } = launch;
  if (config.databaseUrl) {
    await launch.step('connecting to DATABASE_URL', async () => {
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
    return config.databaseUrl;
  }
  const port = config.ports.database;
  const databaseUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await launch.step(`starting the embedded database (PGlite) on 127.0.0.1:${port}`, async () => {
    const database = await launch.node('database', ENTRY_POINTS.database, [
      '--data-dir',
      join(config.dataDir, 'database'),
      '--port',
      String(port),
    ]);
    let exited: number | null | undefined;
    void database.exited.then((code) => (exited = code));
    await waitFor(
      async () => {
        if (launch.signal?.aborted) throw new Error('aborted');
        if (exited !== undefined)
          throw new Error(`the embedded database exited (code ${exited}):\n${database.output().split('\n').slice(-10).join('\n')}`);
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
  return databaseUrl;
}

/** History: simulated days before now, imported into Prometheus's TSDB before it starts. */
export async function prepareHistory(launch: Launch, promDir: string): Promise<void> {
  const { config, progress } = launch;
  if (config.simulate && config.backfillDays > 0 && !historyState(promDir) && !hasLiveData(promDir)) {
    await launch.step(
      `backfilling ${config.backfillDays} days of simulated history`,
      async () =>
        runBackfill({
          prometheusDir: promDir,
          days: config.backfillDays,
          branches: config.branches,
          officersPerBranch: config.officersPerBranch,
          perBranchPerDay: config.paymentsPerBranch,
          ports: config.ports,
          log: (line: string) => progress.info(line),
        }),
      (result) => `${result.samples.toLocaleString('en')} samples`,
    );
  } else if (historyState(promDir)?.liveStartSeconds) {
    // A later start: fill the hole between the history and the first live scrape once it is old enough.
    await launch.step(
      'checking the history for the gap before the first live data',
      async () => fillHistoryGap({ prometheusDir: promDir, log: (line: string) => progress.info(line) }),
      (samples) => (samples ? `${samples.toLocaleString('en')} samples added` : 'nothing to add now'),
    );
  }
}

/** The business simulator and the payments API it plays. */
export async function startSimulator(launch: Launch, databaseUrl: string): Promise<void> {
  const { config } = launch;
  if (!config.simulate) return;
  const { api } = config.ports;
  await launch.step(`starting the simulator and payments API on 127.0.0.1:${api}`, async () => {
    const args = ['--database-url', databaseUrl, '--port', String(api)];
    if (config.branches) args.push('--branches', String(config.branches));
    if (config.officersPerBranch) args.push('--officers', String(config.officersPerBranch));
    if (config.paymentsPerBranch) args.push('--payments-per-branch', String(config.paymentsPerBranch));
    if (config.speed) args.push('--speed', String(config.speed));
    if (config.simulatorStart) args.push('--start', config.simulatorStart);
    await launch.node('simulator', ENTRY_POINTS.simulator, args, `http://127.0.0.1:${api}/metrics`);
    launch.urls.api = `http://127.0.0.1:${api}`;
  });
}

/** The exporters, one process each. */
export async function startExporters(launch: Launch, databaseUrl: string): Promise<void> {
  const { config } = launch;
  const { ports } = config;
  await launch.step('starting the exporters (payments, lms, rfid, pool)', async () => {
    const lmsHealth = config.simulate ? ['--lms-health-url', `http://127.0.0.1:${ports.api}/lms/health`] : [];
    await Promise.all(
      (['payments', 'lms', 'rfid', 'pool'] as const).map(async (name) => {
        await launch.node(
          `exporter-${name}`,
          ENTRY_POINTS.exporter,
          [name, '--database-url', databaseUrl, '--port', String(ports[name]), ...(name === 'lms' ? lmsHealth : [])],
          `http://127.0.0.1:${ports[name]}/metrics`,
        );
        launch.urls[name] = `http://127.0.0.1:${ports[name]}`;
      }),
    );
  });
}

/** Where notifications go: the alert sink, then Alertmanager routing to it (or to real receivers). */
export async function startAlerting(launch: Launch): Promise<void> {
  const { config } = launch;
  const { ports, dataDir } = config;
  await launch.step(`starting the alert sink on 127.0.0.1:${ports.alertSink}`, async () => {
    await launch.node(
      'alert-sink',
      ENTRY_POINTS.alertSink,
      ['--port', String(ports.alertSink), '--file', join(dataDir, 'alerts', 'notifications.jsonl')],
      `http://127.0.0.1:${ports.alertSink}/healthz`,
    );
    launch.urls.alertSink = `http://127.0.0.1:${ports.alertSink}`;
  });
  await launch.step(
    `starting Alertmanager on 127.0.0.1:${ports.alertmanager}`,
    async () => {
      const amDir = join(dataDir, 'alertmanager');
      const rendered = renderLocalAlertmanager(amDir, ports.alertSink);
      for (const [file, content] of Object.entries(rendered.files)) {
        mkdirSync(dirname(join(amDir, file)), { recursive: true });
        writeFileSync(join(amDir, file), content, file.startsWith('secrets/') ? { mode: 0o600 } : {});
      }
      const alertmanager = await startAlertmanager({
        dir: amDir,
        config: rendered.config,
        port: ports.alertmanager,
        gossip: false,
        onOutput: launch.logTo('alertmanager'),
      });
      const service = launch.track(alertmanager.service);
      launch.urls.alertmanager = `http://127.0.0.1:${ports.alertmanager}`;
      return service;
    },
    () => (receiversFromEnvironment() ? 'receivers from the environment' : `receivers post to the alert sink ${launch.urls.alertSink}`),
  );
}

/** The blackbox prober, node_exporter and postgres_exporter, when installed. */
export async function startProbers(launch: Launch, optional: Optional, databaseUrl: string): Promise<void> {
  const { ports } = launch.config;
  if (optional.blackbox) {
    await launch.step(`starting the blackbox prober on 127.0.0.1:${ports.blackbox}`, async () => {
      const file = join(launch.runDir, 'blackbox.yml');
      writeFileSync(file, blackboxConfigYaml());
      launch.track(
        await startService({
          name: 'blackbox',
          command: findTool('blackbox')!,
          args: [`--config.file=${file}`, `--web.listen-address=127.0.0.1:${ports.blackbox}`],
          readyUrl: `http://127.0.0.1:${ports.blackbox}/-/healthy`,
          onOutput: launch.logTo('blackbox'),
        }),
      );
      launch.urls.blackbox = `http://127.0.0.1:${ports.blackbox}`;
    });
  }
  if (optional.node) {
    await launch.step(`starting node_exporter (host metrics) on 127.0.0.1:${ports.node}`, async () => {
      launch.track(
        await startService({
          name: 'node-exporter',
          command: findTool('nodeExporter')!,
          args: [`--web.listen-address=127.0.0.1:${ports.node}`],
          readyUrl: `http://127.0.0.1:${ports.node}/metrics`,
          onOutput: launch.logTo('node-exporter'),
        }),
      );
      launch.urls.node = `http://127.0.0.1:${ports.node}`;
    });
  }
  if (optional.postgres) {
    await launch.step(`starting postgres_exporter (the database server) on 127.0.0.1:${ports.postgres}`, async () => {
      const exporter = await startPostgresExporter({
        databaseUrl,
        dir: launch.runDir,
        queries: postgresExporterQueriesYaml(),
        port: ports.postgres,
        // The embedded PGlite is PostgreSQL 18, whose pg_stat_bgwriter lost the checkpoint columns
        // 0.11's bgwriter collector reads: it would log an error at every scrape.
        extraArgs: launch.config.databaseUrl ? [] : ['--no-collector.bgwriter'],
        onOutput: launch.logTo('postgres-exporter'),
      });
      launch.track(exporter.service);
      launch.urls.postgres = `http://127.0.0.1:${ports.postgres}`;
    });
  }
}

/** Prometheus, scraping what this start runs, with the committed rules. */
export async function startPrometheusStep(launch: Launch, optional: Optional, promDir: string): Promise<void> {
  const { config } = launch;
  const { ports } = config;
  await launch.step(`starting Prometheus on 127.0.0.1:${ports.prometheus}`, async () => {
    const omitJobs: string[] = [];
    if (!config.simulate) omitJobs.push('payments-api', 'blackbox'); // a real engine is scraped where it runs: add its job
    if (!optional.blackbox) omitJobs.push('blackbox', 'blackbox-exporter');
    if (!optional.node) omitJobs.push('node');
    if (!optional.postgres) omitJobs.push('postgres');
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
        postgres: addr('postgres'),
        blackbox: addr('blackbox'),
        alertmanager: addr('alertmanager'),
        prometheus: addr('prometheus'),
        reports: addr('reports'),
      },
      ruleFiles: [join(repoRoot, 'prometheus', 'rules', '*.yml')],
      omitJobs,
      // With DATABASE_URL the database runs elsewhere: its host's node_exporter is the operator's to add.
      nodeIsDatabaseHost: !config.databaseUrl,
    });
    recordLiveStart(promDir);
    const prometheus = await startPrometheus({
      dir: promDir,
      config: yaml,
      port: ports.prometheus,
      retention: config.retention,
      readyTimeoutMs: 180_000,
      onOutput: launch.logTo('prometheus'),
    });
    launch.track(prometheus.service);
    launch.urls.prometheus = `http://127.0.0.1:${ports.prometheus}`;
  });
}

/** Scope proxy flags for Grafana 12's ID tokens: keys, issuer (root URL with its slash), org 1, bindings. */
export function grafanaIdentityArgs(grafanaRoot: string, identitiesFile: string): string[] {
  return [
    '--identity',
    'grafana-id',
    '--jwks-url',
    new URL('api/signing-keys/keys', grafanaRoot).href,
    '--jwt-issuer',
    grafanaRoot,
    '--jwt-audience',
    'org:1',
    '--identities',
    identitiesFile,
  ];
}

/** Grafana's root URL (the ID token's issuer) and where access sync records whom each login is bound to. */
export function grafanaIdentity(launch: Launch): { root: string; identities: string } {
  return {
    root: `http://127.0.0.1:${launch.config.ports.grafana}/`,
    identities: join(launch.config.dataDir, 'grafana', 'identities.json'),
  };
}

/**
 * The scope proxy in front of Prometheus: the only way Grafana reaches the numbers. With Grafana,
 * it trusts only Grafana's signed ID token, and the login only for the Grafana user access sync
 * bound to it (a login can be renamed; the uid cannot). Without Grafana, the user header (for
 * trying the proxy by hand).
 */
export async function startScopeProxyStep(launch: Launch, optional: Optional): Promise<void> {
  const { config } = launch;
  const port = config.ports.scopeProxy;
  const { root, identities } = grafanaIdentity(launch);
  const identityArgs = optional.grafana ? grafanaIdentityArgs(root, identities) : [];
  await launch.step(`starting the scope proxy on 127.0.0.1:${port}${optional.grafana ? ' (identity: Grafana ID token)' : ''}`, async () => {
    await launch.node(
      'scope-proxy',
      ENTRY_POINTS.scopeProxy,
      ['--port', String(port), '--upstream', launch.urls.prometheus!, '--policy', join(repoRoot, 'policy', 'policy.yml'), ...identityArgs],
      `http://127.0.0.1:${port}/healthz`,
      { PAYWATCH_PROXY_SECRET: config.proxySecret },
    );
    launch.urls.scopeProxy = `http://127.0.0.1:${port}`;
  });
}

/**
 * The report scheduler: each person's reports, rendered as them through a scope proxy of its own
 * (header mode, the same policy; Grafana's proxy may only take Grafana's tokens), e-mailed at the
 * times policy.yml gives; locally to an SMTP sink whose page lists what arrived, or to
 * PAYWATCH_REPORTS_SMTP_URL. Needs Debian's Chromium for the PDFs (installed like the other tools).
 */
export async function startReports(launch: Launch): Promise<void> {
  const { config } = launch;
  const { ports, dataDir } = config;
  if (ensureTools(['chromium'], (line) => launch.progress.info(line)).length) {
    launch.skipped.push({ name: 'report scheduler', why: TOOLS.chromium.hint });
    launch.progress.warn(`Chromium is not installed; no report e-mails (${TOOLS.chromium.hint})`);
    return;
  }
  let smtpUrl = process.env.PAYWATCH_REPORTS_SMTP_URL;
  if (!smtpUrl) {
    await launch.step(
      `starting the local SMTP sink on 127.0.0.1:${ports.smtpSink} (report e-mails at http://127.0.0.1:${ports.mailbox})`,
      async () => {
        await launch.node(
          'smtp-sink',
          ENTRY_POINTS.smtpSink,
          ['--smtp-port', String(ports.smtpSink), '--http-port', String(ports.mailbox), '--dir', join(dataDir, 'mail')],
          `http://127.0.0.1:${ports.mailbox}/healthz`,
        );
        launch.urls.mailbox = `http://127.0.0.1:${ports.mailbox}`;
      },
    );
    smtpUrl = `smtp://127.0.0.1:${ports.smtpSink}`;
  }
  await launch.step(`starting the report scheduler on 127.0.0.1:${ports.reports}`, async () => {
    await launch.node(
      'report-scheduler',
      ENTRY_POINTS.reportScheduler,
      [
        '--prometheus-url',
        launch.urls.prometheus!,
        '--policy',
        join(repoRoot, 'policy', 'policy.yml'),
        '--smtp-url',
        smtpUrl!,
        '--data-dir',
        join(dataDir, 'reports'),
        '--port',
        String(ports.reports),
      ],
      `http://127.0.0.1:${ports.reports}/healthz`,
      { PAYWATCH_PROXY_SECRET: config.proxySecret },
    );
    launch.urls.reports = `http://127.0.0.1:${ports.reports}`;
  });
}

/** Where Grafana keeps its own files, from the binary's location (tarball) or Debian's layout. */
function grafanaHome(binary: string): string | undefined {
  if (process.env.GRAFANA_HOME) return process.env.GRAFANA_HOME;
  const candidates = [join(dirname(realpathSync(binary)), '..'), '/usr/share/grafana'];
  return candidates.find((dir) => existsSync(join(dir, 'conf', 'defaults.ini')));
}

/** Grafana, when there is one: provisioned data sources, app, dashboards. Returns whether this was its first start. */
export async function startGrafana(launch: Launch, grafanaBin: string): Promise<boolean> {
  const { config, progress, urls } = launch;
  const { ports, dataDir } = config;
  let firstStart = true;
  await launch.step(
    `starting Grafana on 127.0.0.1:${ports.grafana}`,
    async () => {
      const grafanaDir = join(dataDir, 'grafana');
      firstStart = !existsSync(join(grafanaDir, 'data'));
      const home = grafanaHome(grafanaBin);
      if (!home) throw new Error(`cannot find Grafana's home (conf/defaults.ini) next to ${grafanaBin}: set GRAFANA_HOME`);
      const dashboards = join(grafanaDir, 'dashboards');
      const placed = layOutDashboards(dashboards);
      const plugins = join(grafanaDir, 'plugins');
      mkdirSync(plugins, { recursive: true });
      const pluginLink = join(plugins, 'paywatch-paywatch-app');
      rmSync(pluginLink, { force: true, recursive: true });
      const pluginDist = join(repoRoot, 'plugin', 'dist');
      if (!existsSync(pluginDist)) {
        // npm start installs the plugin's packages only now, when a Grafana will load the app.
        progress.info("building the Paywatch app for Grafana (first time only: the plugin's npm packages, then plugin/dist)");
        spawnSync(process.execPath, [join(repoRoot, 'scripts', 'run.mjs'), 'plugin'], { cwd: repoRoot, stdio: 'inherit' });
      }
      if (existsSync(pluginDist)) symlinkSync(pluginDist, pluginLink);
      else
        progress.warn('plugin/dist is missing (build it: cd plugin && npm ci && npm run build); Grafana starts without the Paywatch app');
      const isNew = grafanaBin.endsWith('/grafana');
      launch.track(
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
            GF_SERVER_ROOT_URL: grafanaIdentity(launch).root,
            GF_SECURITY_ADMIN_PASSWORD: process.env.GF_SECURITY_ADMIN_PASSWORD ?? 'admin',
            PAYWATCH_SCOPE_PROXY_URL: urls.scopeProxy,
            PAYWATCH_PROXY_SECRET: config.proxySecret,
            PAYWATCH_DASHBOARDS_DIR: dashboards,
          },
          readyUrl: `http://127.0.0.1:${ports.grafana}/api/health`,
          readyTimeoutMs: 180_000,
          onOutput: launch.logTo('grafana'),
        }),
      );
      urls.grafana = `http://127.0.0.1:${ports.grafana}`;
      return placed.length;
    },
    (count) => `${count} dashboards provisioned`,
  );
  return firstStart;
}

/** Access sync: Grafana's users, teams and folder permissions made to match policy/policy.yml. */
export async function syncAccess(launch: Launch, firstGrafanaStart: boolean): Promise<void> {
  const { identities } = grafanaIdentity(launch);
  await launch.step('access sync: Grafana users, teams and folder permissions from policy/policy.yml', async () => {
    const { main } = await import('./cli/access-sync.ts');
    // Grafana's admin (as started above) creates the demo users; the environment is not written.
    const env = {
      ...process.env,
      GRAFANA_USER: process.env.GRAFANA_USER ?? 'admin',
      GRAFANA_PASSWORD: process.env.GRAFANA_PASSWORD ?? process.env.GF_SECURITY_ADMIN_PASSWORD ?? 'admin',
      PAYWATCH_DEMO_PASSWORD: launch.config.demoPassword,
    };
    // A Grafana made before identities were recorded: its users are the demo people access
    // sync made then, so bind them as they are (once; afterwards only users it creates).
    const upgrade = !firstGrafanaStart && !existsSync(identities) ? ['--adopt-existing'] : [];
    const code = await main(
      ['--grafana-url', launch.urls.grafana!, '--identities', identities, ...upgrade],
      launch.logTo('access-sync'),
      env,
    );
    if (code !== 0) throw new Error(`access sync exited ${code}; see ${join(launch.logDir, 'access-sync.log')}`);
  });
}

function receiversFromEnvironment(): boolean {
  return !!(
    process.env.PAYWATCH_SMTP_SMARTHOST ||
    process.env.PAYWATCH_SLACK_WEBHOOK_URL ||
    process.env.PAYWATCH_PAGERDUTY_ROUTING_KEY ||
    process.env.PAYWATCH_SECRETS_DIR
  );
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
    for (const name of readdirSync(templatesDir))
      if (name.endsWith('.tmpl')) templates[name] = readFileSync(join(templatesDir, name), 'utf8');
  }
  if (receiversFromEnvironment()) return renderAlertmanagerConfig(process.env, dir, templates);
  const files: Record<string, string> = {};
  for (const [name, content] of Object.entries(templates)) files[`templates/${name}`] = content;
  return {
    config: alertmanagerConfigYaml({
      receivers: { kind: 'webhook', url: (receiver) => `http://127.0.0.1:${sinkPort}/alerts/${receiver}` },
      templates: Object.keys(templates).length ? ['templates/*.tmpl'] : [],
    }),
    files,
  };
}
