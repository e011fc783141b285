// The local stand-in for email, Slack and PagerDuty: Alertmanager's receivers post here (one path
// per receiver) when no real receiver is configured, so the escalation ladder is visible in a
// demo: GET / lists what each rung received and when. Also the webhook sink of docker-compose.yml.
//   tsx stack/src/services/alert-sink.ts [--port 9420] [--host 127.0.0.1] [--file notifications.jsonl]
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { parseOptions, parseOrExit, PORTS, type OptionSpec, type OptionTable } from '@paywatch/runtime';

export interface Notification {
  receivedAt: string;
  receiver: string;
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string }>;
}

export interface AlertSink {
  url: string;
  port: number;
  notifications: Notification[];
  stop(): Promise<void>;
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startAlertSink(options: { port?: number; host?: string; file?: string } = {}): Promise<AlertSink> {
  const notifications: Notification[] = [];
  if (options.file) mkdirSync(dirname(resolve(options.file)), { recursive: true });
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sink');
    if (req.method === 'POST' && url.pathname.startsWith('/alerts/')) {
      let body = '';
      for await (const chunk of req) body += chunk;
      try {
        const payload = JSON.parse(body) as { status?: string; alerts?: Notification['alerts'] };
        const notification: Notification = {
          receivedAt: new Date().toISOString(),
          receiver: decodeURIComponent(url.pathname.slice('/alerts/'.length)),
          status: payload.status ?? 'unknown',
          alerts: (payload.alerts ?? []).map((a) => ({
            status: a.status,
            labels: a.labels,
            annotations: a.annotations,
            startsAt: a.startsAt,
          })),
        };
        notifications.push(notification);
        if (notifications.length > 1000) notifications.shift();
        if (options.file) appendFileSync(options.file, `${JSON.stringify(notification)}\n`);
        res.writeHead(200).end('ok\n');
      } catch {
        res.writeHead(400).end('expected an Alertmanager webhook payload (JSON)\n');
      }
      return;
    }
    if (req.method === 'GET' && (url.pathname === '/healthz' || url.pathname === '/-/ready')) {
      res.writeHead(200).end('ok\n');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/notifications') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(notifications));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/') {
      const rows = [...notifications]
        .reverse()
        .map(
          (n) =>
            `<tr><td>${escape(n.receivedAt)}</td><td><b>${escape(n.receiver)}</b></td><td>${escape(n.status)}</td><td>${n.alerts
              .map(
                (a) =>
                  `${escape(a.labels.alertname ?? '')} ${escape(a.labels.incident_class ?? '')} ${escape(a.labels.branch ?? '')}: ${escape(a.annotations.summary ?? '')}`,
              )
              .join('<br>')}</td></tr>`,
        )
        .join('\n');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><title>Paywatch alert sink</title><meta http-equiv="refresh" content="15">
<h1>Notifications Alertmanager sent</h1><p>Each receiver of the escalation ladder (email-oncall, slack, pagerduty, executives, email-business, email-security) posts to /alerts/&lt;receiver&gt;.</p>
<table border="1" cellpadding="4"><tr><th>received</th><th>receiver</th><th>status</th><th>alerts</th></tr>${rows || '<tr><td colspan="4">none yet</td></tr>'}</table>`,
      );
      return;
    }
    res.writeHead(404).end('not found\n');
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`,
    port,
    notifications,
    async stop() {
      server.close();
      server.closeAllConnections();
      await once(server, 'close').catch(() => {});
    },
  };
}

/** The alert sink's options (PAYWATCH_ALERT_SINK_*; the port is the port table's). */
const OPTIONS = {
  port: { type: 'port', env: PORTS.alertSink.env, default: PORTS.alertSink.port, help: 'listen port' },
  host: { type: 'string', default: '127.0.0.1', help: 'listen address' },
  file: { type: 'string', help: 'append every notification to this JSON-lines file' },
} as const satisfies Record<string, OptionSpec>;

export const OPTION_TABLE: OptionTable<typeof OPTIONS> = {
  component: 'alert-sink',
  envPrefix: 'PAYWATCH_ALERT_SINK_',
  usage: 'usage: tsx stack/src/services/alert-sink.ts [--port 9420] [--host 127.0.0.1] [--file notifications.jsonl]',
  options: OPTIONS,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseOrExit('alert-sink', OPTION_TABLE, () => parseOptions(OPTION_TABLE, process.argv.slice(2), process.env));
  const host = values.host;
  const sink = await startAlertSink({ port: values.port, host, file: values.file });
  console.log(`alert sink: listening on ${host}:${sink.port}`);
  const stop = () => void sink.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
