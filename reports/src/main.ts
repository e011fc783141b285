// The report scheduler as a service (npm start, docker-compose):
//   tsx reports/src/main.ts --prometheus-url http://127.0.0.1:9090 --policy policy/policy.yml \
//     --smtp-url smtp://127.0.0.1:9425 --data-dir .data/reports --port 9430
// Every number is read through a scope proxy as the recipient (X-Grafana-User + the shared secret,
// as Grafana's data source in header mode). With --prometheus-url the scheduler runs its own
// scope proxy (the same code and policy file) on a loopback port only it knows, so it works
// whatever identity mode Grafana's proxy is in (grafana-id needs Grafana's signed tokens); with
// --proxy-url it uses an existing header-mode proxy. The shared secret comes from
// PAYWATCH_PROXY_SECRET. GET /metrics, GET /healthz.
import { createServer } from 'node:http';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { parseOptions, parseOrExit, PORTS, type OptionSpec, type OptionTable } from '@paywatch/runtime';
import { startScopeProxy, type ScopeProxy } from '@paywatch/scope-proxy';
import { startPdfPrinter } from './pdf.ts';
import { ReportScheduler } from './scheduler.ts';

/** The scheduler's options (PAYWATCH_REPORTS_*; the proxy's policy and secret under the proxy's own names). */
export const OPTIONS = {
  proxyUrl: { flag: 'proxy-url', env: 'PAYWATCH_SCOPE_PROXY_URL', type: 'url', help: 'an existing scope proxy in header mode' },
  prometheusUrl: { flag: 'prometheus-url', type: 'url', help: 'run a scope proxy of its own in front of this Prometheus' },
  policy: { flag: 'policy', env: 'PAYWATCH_PROXY_POLICY', type: 'string', help: 'the policy file (required)' },
  smtpUrl: { flag: 'smtp-url', type: 'url', schemes: ['smtp', 'smtps'], help: 'where the e-mails go (required)' },
  dataDir: { flag: 'data-dir', type: 'string', help: 'where sent reports are recorded (required)' },
  port: { flag: 'port', env: PORTS.reports.env, type: 'port', default: PORTS.reports.port, help: 'metrics port' },
  host: { flag: 'host', type: 'string', default: '127.0.0.1', help: 'metrics address' },
  secret: { flag: null, env: 'PAYWATCH_PROXY_SECRET', type: 'string', help: "the scope proxy's shared secret (required)" },
} as const satisfies Record<string, OptionSpec>;

export const OPTION_TABLE: OptionTable<typeof OPTIONS> = {
  component: 'report scheduler',
  envPrefix: 'PAYWATCH_REPORTS_',
  usage:
    'usage: tsx reports/src/main.ts (--prometheus-url URL | --proxy-url URL) --policy FILE --smtp-url smtp://HOST:PORT --data-dir DIR [--port 9430]',
  options: OPTIONS,
};

export async function main(argv: string[]): Promise<void> {
  const { values: v } = parseOrExit('report scheduler', OPTION_TABLE, () => parseOptions(OPTION_TABLE, argv, process.env));
  const values = {
    'proxy-url': v.proxyUrl,
    'prometheus-url': v.prometheusUrl,
    policy: v.policy,
    'smtp-url': v.smtpUrl,
    'data-dir': v.dataDir,
    port: v.port,
    host: v.host,
  };
  const missing: string[] = (['policy', 'smtp-url', 'data-dir'] as const).filter((k) => !values[k]).map((k) => `--${k}`);
  if (!values['proxy-url'] === !values['prometheus-url']) missing.push('exactly one of --proxy-url and --prometheus-url');
  const secret = v.secret;
  if (!secret) missing.push('PAYWATCH_PROXY_SECRET');
  if (missing.length || !secret) {
    console.error(`report scheduler: missing ${missing.join(', ')}`);
    process.exit(2);
  }
  let ownProxy: ScopeProxy | undefined;
  if (values['prometheus-url']) {
    ownProxy = await startScopeProxy({
      policyPath: values.policy!,
      upstream: values['prometheus-url'],
      host: '127.0.0.1',
      port: 0,
      secret,
      identityMode: 'header',
    });
  }
  const registry = new Registry();
  const scheduler = new ReportScheduler({
    proxy: { url: ownProxy?.url ?? values['proxy-url']!, secret },
    policyFile: values.policy!,
    smtpUrl: values['smtp-url']!,
    dataDir: values['data-dir']!,
    registry,
    printer: () => startPdfPrinter(),
  });
  const server = createServer(async (req, res) => {
    if (req.url === '/metrics') return void res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
    if (req.url === '/healthz') return void res.writeHead(200).end('ok\n');
    res.writeHead(404).end('not found\n');
  });
  server.listen(values.port, values.host);
  await once(server, 'listening');
  scheduler.start();
  console.log(`report scheduler: metrics on http://${values.host}:${values.port}/metrics, SMTP ${values['smtp-url']}`);
  const stop = () =>
    void scheduler
      .stop()
      .then(() => ownProxy?.stop())
      .then(() => server.close(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) void main(process.argv.slice(2));
