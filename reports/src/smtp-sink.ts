// A local SMTP server that keeps every message it is given, for `npm start` (docker-compose uses
// Mailpit). Messages are written to <dir>/<n>.eml and listed at http://127.0.0.1:<http port>/,
// each with its HTML body and PDF attachments. It can be told to refuse the next N messages with
// a temporary error (451), which is how the scheduler's retry is tested against a real server.
//   tsx reports/src/smtp-sink.ts --smtp-port 9425 --http-port 9426 --dir .data/mail
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { escapeHtml } from './format.ts';

export interface StoredMessage {
  id: number;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  attachments: Array<{ filename: string; contentType: string; content: Buffer }>;
}

export interface SmtpSink {
  smtpUrl: string;
  httpUrl?: string;
  messages: StoredMessage[];
  /** Refuse the next n messages with 451 (a temporary failure). */
  failNext(n: number): void;
  /** Messages refused so far. */
  refused(): number;
  stop(): Promise<void>;
}

export async function startSmtpSink(
  options: { smtpPort?: number; httpPort?: number; host?: string; dir?: string } = {},
): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  const messages: StoredMessage[] = [];
  let failing = 0;
  let refused = 0;
  if (options.dir) mkdirSync(options.dir, { recursive: true });
  let next = options.dir ? readdirSync(options.dir).filter((f) => f.endsWith('.eml')).length + 1 : 1;

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    banner: 'Paywatch local SMTP sink',
    size: 50 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failing > 0) {
          failing--;
          refused++;
          const error = Object.assign(new Error('sink told to refuse: try again later'), { responseCode: 451 });
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks);
        const id = next++;
        if (options.dir) writeFileSync(join(options.dir, `${id}.eml`), raw);
        simpleParser(raw).then(
          (mail) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of mail.headers) if (typeof v === 'string') headers[k] = v;
            messages.push({
              id,
              receivedAt: new Date().toISOString(),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              text: mail.text ?? '',
              headers,
              attachments: mail.attachments.map((a) => ({ filename: a.filename ?? '', contentType: a.contentType, content: a.content })),
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  smtp.listen(options.smtpPort ?? 0, host);
  await once(smtp.server, 'listening');
  const smtpPort = (smtp.server.address() as { port: number }).port;

  let http: Server | undefined;
  let httpUrl: string | undefined;
  if (options.httpPort !== undefined) {
    http = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://sink');
      const m = /^\/messages\/(\d+)(?:\/(\d+))?$/.exec(url.pathname);
      if (url.pathname === '/healthz') return void res.writeHead(200).end('ok\n');
      if (url.pathname === '/') {
        const rows = [...messages]
          .reverse()
          .map(
            (msg) =>
              `<tr><td>${escapeHtml(msg.receivedAt)}</td><td>${escapeHtml(msg.to.join(', '))}</td><td><a href="/messages/${msg.id}">${escapeHtml(msg.subject)}</a></td><td>${msg.attachments.map((a, i) => `<a href="/messages/${msg.id}/${i}">${escapeHtml(a.filename)}</a>`).join(' ')}</td></tr>`,
          );
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            `<!doctype html><meta charset="utf-8"><title>Paywatch mail</title><h1>Report e-mails received (${messages.length})</h1><table border="1" cellpadding="4"><tr><th>received</th><th>to</th><th>subject</th><th>attachments</th></tr>${rows.join('')}</table>`,
          );
        return;
      }
      const msg = m ? messages.find((x) => x.id === Number(m[1])) : undefined;
      if (!msg) return void res.writeHead(404).end('no such message\n');
      if (m![2] !== undefined) {
        const a = msg.attachments[Number(m![2])];
        if (!a) return void res.writeHead(404).end('no such attachment\n');
        return void res
          .writeHead(200, { 'content-type': a.contentType, 'content-disposition': `inline; filename="${a.filename}"` })
          .end(a.content);
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(msg.html || `<pre>${escapeHtml(msg.text)}</pre>`);
    });
    http.listen(options.httpPort, host);
    await once(http, 'listening');
    httpUrl = `http://${host}:${(http.address() as { port: number }).port}`;
  }

  return {
    smtpUrl: `smtp://${host}:${smtpPort}`,
    httpUrl,
    messages,
    failNext: (n) => (failing = n),
    refused: () => refused,
    async stop() {
      await new Promise<void>((r) => smtp.close(() => r()));
      if (http) await new Promise<void>((r) => http!.close(() => r()));
    },
  };
}

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'smtp-port': { type: 'string', default: '9425' },
      'http-port': { type: 'string', default: '9426' },
      host: { type: 'string', default: '127.0.0.1' },
      dir: { type: 'string' },
    },
  });
  const sink = await startSmtpSink({
    smtpPort: Number(values['smtp-port']),
    httpPort: Number(values['http-port']),
    host: values.host,
    dir: values.dir ? resolve(values.dir) : undefined,
  });
  console.log(`SMTP sink: ${sink.smtpUrl}, messages at ${sink.httpUrl}`);
  const stop = () => void sink.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) void main(process.argv.slice(2));
