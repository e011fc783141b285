// The local stack's settings: one port per service (each configurable by environment variable or
// by flag), the data directory, and the simulator's size. Defaults are the ports docs/metrics.md
// names, so a person's bookmarks and the docs agree.
import { parseArgs } from 'node:util';
import { dataDir } from './paths.ts';

export const PORTS = {
  database: { env: 'PAYWATCH_DATABASE_PORT', flag: 'database-port', port: 9432, what: 'embedded PostgreSQL (PGlite)' },
  api: { env: 'PAYWATCH_API_PORT', flag: 'api-port', port: 9400, what: 'payments API (simulator)' },
  payments: { env: 'PAYWATCH_PAYMENTS_EXPORTER_PORT', flag: 'payments-port', port: 9401, what: 'payments exporter' },
  lms: { env: 'PAYWATCH_LMS_EXPORTER_PORT', flag: 'lms-port', port: 9402, what: 'LMS exporter' },
  rfid: { env: 'PAYWATCH_RFID_EXPORTER_PORT', flag: 'rfid-port', port: 9403, what: 'RFID exporter' },
  pool: { env: 'PAYWATCH_POOL_EXPORTER_PORT', flag: 'pool-port', port: 9404, what: 'DB pool exporter' },
  scopeProxy: { env: 'PAYWATCH_SCOPE_PROXY_PORT', flag: 'scope-proxy-port', port: 9410, what: 'scope proxy' },
  alertSink: { env: 'PAYWATCH_ALERT_SINK_PORT', flag: 'alert-sink-port', port: 9420, what: 'local alert sink (Alertmanager webhooks)' },
  prometheus: { env: 'PAYWATCH_PROMETHEUS_PORT', flag: 'prometheus-port', port: 9090, what: 'Prometheus' },
  alertmanager: { env: 'PAYWATCH_ALERTMANAGER_PORT', flag: 'alertmanager-port', port: 9093, what: 'Alertmanager' },
  blackbox: { env: 'PAYWATCH_BLACKBOX_PORT', flag: 'blackbox-port', port: 9115, what: 'blackbox prober' },
  node: { env: 'PAYWATCH_NODE_EXPORTER_PORT', flag: 'node-exporter-port', port: 9100, what: 'host metrics (node_exporter)' },
  grafana: { env: 'PAYWATCH_GRAFANA_PORT', flag: 'grafana-port', port: 3000, what: 'Grafana' },
} as const;

export type ServiceName = keyof typeof PORTS;
export type Ports = Record<ServiceName, number>;

export interface StackConfig {
  ports: Ports;
  dataDir: string;
  /** A real payments database; the embedded one and the simulator are not started. */
  databaseUrl?: string;
  /** Run the simulator even with DATABASE_URL (writes demo rows into that database!). */
  simulate: boolean;
  /** Days of history to backfill on a first start (0: none). */
  backfillDays: number;
  /** Simulator size and pace, handed to the simulator. */
  branches?: number;
  officersPerBranch?: number;
  paymentsPerBranch?: number;
  speed?: number;
  /** Shared secret between Grafana's data source and the scope proxy. */
  proxySecret: string;
  /** Start Grafana when a binary is found (default) or never. */
  grafana: boolean;
}

export const USAGE = `usage: npm start -- [options]

Starts the embedded database and simulator (or uses DATABASE_URL), the exporters, the scope proxy,
Prometheus, Alertmanager, the blackbox prober, node_exporter, and Grafana when a grafana binary is
found. Ctrl-C stops everything. Data lives in PAYWATCH_DATA_DIR (default .data/).

options (environment variable in brackets; the flag wins):
  --data-dir DIR            [PAYWATCH_DATA_DIR]       where everything keeps its data
  --database-url URL        [DATABASE_URL]            a real payments database instead of the embedded one
  --simulate                [PAYWATCH_SIMULATE=1]     run the simulator even with --database-url
  --backfill-days N         [PAYWATCH_BACKFILL_DAYS]  history on a first start (default 30; 0 = none)
  --branches N              [PAYWATCH_BRANCHES]       simulated branches (simulator default 500)
  --officers N              [PAYWATCH_OFFICERS]       field officers per branch
  --payments-per-branch N   [PAYWATCH_PAYMENTS_PER_BRANCH] attempts per average branch per weekday
  --speed X                 [PAYWATCH_SPEED]          simulated time per real time (keep 1 with history)
  --no-grafana              [PAYWATCH_GRAFANA=0]      do not start Grafana even when installed
  --proxy-secret S          [PAYWATCH_PROXY_SECRET]   Grafana <-> scope proxy shared secret
${Object.values(PORTS)
  .map((spec) => `  --${spec.flag} N`.padEnd(28) + `[${spec.env}]`.padEnd(34) + `${spec.what} (default ${spec.port})`)
  .join('\n')}`;

function number(value: string | undefined, what: string, integer = true): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || (integer && !Number.isInteger(parsed))) throw new Error(`${what}: expected a ${integer ? 'whole ' : ''}number, got ${JSON.stringify(value)}`);
  return parsed;
}

/** The demo secret: fine on 127.0.0.1, replaced by PAYWATCH_PROXY_SECRET anywhere else. */
export const DEMO_PROXY_SECRET = 'change-me-demo-secret';

export function parseStackConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): StackConfig | 'help' {
  const portOptions = Object.fromEntries(Object.values(PORTS).map((spec) => [spec.flag, { type: 'string' as const }]));
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      simulate: { type: 'boolean' },
      'backfill-days': { type: 'string' },
      branches: { type: 'string' },
      officers: { type: 'string' },
      'payments-per-branch': { type: 'string' },
      speed: { type: 'string' },
      'no-grafana': { type: 'boolean' },
      'proxy-secret': { type: 'string' },
      ...portOptions,
    },
    strict: true,
  });
  if (values.help) return 'help';
  const ports = {} as Ports;
  for (const [name, spec] of Object.entries(PORTS) as Array<[ServiceName, (typeof PORTS)[ServiceName]]>) {
    const raw = (values as Record<string, string | undefined>)[spec.flag] ?? env[spec.env];
    const port = number(raw, raw === env[spec.env] ? spec.env : `--${spec.flag}`) ?? spec.port;
    if (port < 1 || port > 65535) throw new Error(`${spec.env}: ${port} is not a port`);
    ports[name] = port;
  }
  const seen = new Map<number, string>();
  for (const [name, port] of Object.entries(ports)) {
    if (seen.has(port)) throw new Error(`port ${port} is given to both ${seen.get(port)} and ${name}`);
    seen.set(port, name);
  }
  const dir = dataDir(values['data-dir'] ?? env.PAYWATCH_DATA_DIR);
  const databaseUrl = values['database-url'] ?? (env.DATABASE_URL || undefined);
  return {
    ports,
    dataDir: dir,
    databaseUrl,
    simulate: values.simulate ?? (env.PAYWATCH_SIMULATE === '1' || env.PAYWATCH_SIMULATE === 'true' || !databaseUrl),
    backfillDays: number(values['backfill-days'] ?? env.PAYWATCH_BACKFILL_DAYS, 'backfill days') ?? (databaseUrl ? 0 : 30),
    branches: number(values.branches ?? env.PAYWATCH_BRANCHES, 'branches'),
    officersPerBranch: number(values.officers ?? env.PAYWATCH_OFFICERS, 'officers'),
    paymentsPerBranch: number(values['payments-per-branch'] ?? env.PAYWATCH_PAYMENTS_PER_BRANCH, 'payments per branch', false),
    speed: number(values.speed ?? env.PAYWATCH_SPEED, 'speed', false),
    proxySecret: values['proxy-secret'] ?? env.PAYWATCH_PROXY_SECRET ?? DEMO_PROXY_SECRET,
    grafana: !(values['no-grafana'] || env.PAYWATCH_GRAFANA === '0' || env.PAYWATCH_GRAFANA === 'false'),
  };
}
