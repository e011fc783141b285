// Test helpers: a webhook sink that records Alertmanager's notifications, an SMTP sink for the
// email templates, and small clients for Alertmanager's API.
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';

export interface Notification {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }>;
  /** Order of arrival (0, 1, 2 ...). */
  seq: number;
}

export interface WebhookSink {
  url: string;
  notifications: Notification[];
  /** URL for one receiver: the sink records the receiver from the path. */
  receiverUrl(receiver: string): string;
  close(): Promise<void>;
}

export async function startWebhookSink(): Promise<WebhookSink> {
  const notifications: Notification[] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        const payload = JSON.parse(body) as Omit<Notification, 'seq' | 'receiver'>;
        notifications.push({
          receiver: decodeURIComponent(req.url!.slice(1)),
          status: payload.status,
          alerts: payload.alerts,
          seq: notifications.length,
        });
      } catch {
        // A broken payload is a failed test elsewhere: it never shows up in `notifications`.
      }
      res.end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    notifications,
    receiverUrl: (receiver) => `${url}/${encodeURIComponent(receiver)}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface Mail {
  from: string;
  to: string[];
  /** Raw message, headers and body, with quoted-printable decoded. */
  text: string;
}

/** Just enough SMTP for Alertmanager's client: no TLS, no AUTH (neither is advertised). */
export async function startSmtpSink(): Promise<{ address: string; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    let inData = false;
    let mail: Mail = { from: '', to: [], text: '' };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 localhost paywatch-test ESMTP');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          mail.text = raw.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
          mails.push(mail);
          mail = { from: '', to: [], text: '' };
          reply('250 OK queued');
          continue;
        }
        const newline = buffer.indexOf('\r\n');
        if (newline < 0) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 localhost');
        else if (verb === 'MAIL') ((mail.from = line), reply('250 OK'));
        else if (verb === 'RCPT') (mail.to.push(line), reply('250 OK'));
        else if (verb === 'DATA') ((inData = true), reply('354 go ahead'));
        else if (verb === 'QUIT') (reply('221 bye'), socket.end());
        else reply('250 OK');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    mails,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface PostedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Posts alerts as Prometheus does; `startsAt` is when they started firing (default now). */
export async function postAlerts(alertmanagerUrl: string, alerts: PostedAlert[], started = new Date()): Promise<void> {
  const startsAt = started.toISOString();
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts.map((a) => ({ labels: a.labels, annotations: a.annotations ?? {}, startsAt }))),
  });
  if (!response.ok) throw new Error(`posting alerts: ${response.status} ${await response.text()}`);
}

/** Resolves alerts as Prometheus does when their condition clears: the same labels with endsAt now. */
export async function resolveAlerts(alertmanagerUrl: string, alerts: PostedAlert[], started: Date): Promise<void> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      alerts.map((a) => ({
        labels: a.labels,
        annotations: a.annotations ?? {},
        startsAt: started.toISOString(),
        endsAt: new Date().toISOString(),
      })),
    ),
  });
  if (!response.ok) throw new Error(`resolving alerts: ${response.status} ${await response.text()}`);
}

/** Creates a silence (the acknowledgement) for alerts with these exact labels. */
export async function silence(alertmanagerUrl: string, labels: Record<string, string>): Promise<string> {
  const now = Date.now();
  const response = await fetch(`${alertmanagerUrl}/api/v2/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      matchers: Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 3600_000).toISOString(),
      createdBy: 'paywatch-test',
      comment: 'acknowledged: on it',
    }),
  });
  if (!response.ok) throw new Error(`creating a silence: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { silenceID: string }).silenceID;
}

/** Receivers in the order they were first notified of a firing alert with these labels. */
export function ladderOf(notifications: Notification[], match: Record<string, string>): string[] {
  const receivers: string[] = [];
  for (const n of notifications) {
    if (n.status !== 'firing') continue;
    const hit = n.alerts.some((a) => a.status === 'firing' && Object.entries(match).every(([k, v]) => a.labels[k] === v));
    if (hit && !receivers.includes(n.receiver)) receivers.push(n.receiver);
  }
  return receivers;
}

export function notificationsFor(notifications: Notification[], match: Record<string, string>): Notification[] {
  return notifications.filter((n) => n.alerts.some((a) => Object.entries(match).every(([k, v]) => a.labels[k] === v)));
}
