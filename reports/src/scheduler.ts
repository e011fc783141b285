// Sends each person their reports by SMTP once per IST day at the time policy.yml gives. Every
// report is rendered as its recipient through the scope proxy. What was sent is persisted (one
// JSON line per e-mail in <data dir>/sent.jsonl), so a restart never sends a report twice for the
// same day; a failure (render or SMTP) is retried with back-off until it goes out. Metrics:
// reports_sent_total, report_render_seconds, report_failures_total, reports_overdue (what the
// ReportNotSent alert watches).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  promOptions,
  REPORT_FAILURES_TOTAL,
  REPORT_RENDER_SECONDS,
  REPORTS_OVERDUE,
  REPORTS_SCHEDULER_LAST_CHECK_TIMESTAMP_SECONDS,
  REPORTS_SENT_TOTAL,
} from '@paywatch/contract';
import { eachAtOnce } from '@paywatch/runtime';
import { REPORT_NAMES, REPORTS } from './catalog.ts';
import { ReportRefused, type ProxyTarget } from './client.ts';
import { realClock, type Clock } from './clock.ts';
import { istDay, IST_OFFSET_SECONDS } from './format.ts';
import type { PdfPrinter } from './pdf.ts';
import { renderReports } from './render.ts';
import { loadAssignments, type Assignment } from './schedule.ts';

export interface SchedulerOptions {
  proxy: ProxyTarget;
  policyFile: string;
  /** smtp://host:port (no auth, as Mailpit and the local sink take it) or any nodemailer URL. */
  smtpUrl: string;
  /** Where sent.jsonl is kept. */
  dataDir: string;
  registry: Registry;
  /** Chromium for the PDF attachments; started on first use. */
  printer: () => Promise<PdfPrinter>;
  /**
   * Reports made and sent at once (default 3, one more than the printer's pages): one report's
   * proxy queries overlap another's printing, so 500 branch managers at 18:00 do not wait in line.
   */
  concurrency?: number;
  clock?: Clock;
  /** Real milliseconds between checks of what is due (default 15 s). */
  checkEveryMs?: number;
  /** Clock seconds before the first retry of a failed report; doubles up to 15 minutes. */
  retryAfterSeconds?: number;
  log?: (line: string) => void;
}

export interface SentRecord {
  day: string;
  login: string;
  report: string;
  to: string;
  subjects: string[];
  messageId: string;
  /** Epoch seconds on the scheduler's clock. */
  sentAt: number;
}

const key = (day: string, a: { login: string; report: string }) => `${day}|${a.login}|${a.report}`;

/** Minutes after 00:00 IST of an instant. */
export function istMinutes(epochSeconds: number): number {
  return Math.floor(((((epochSeconds + IST_OFFSET_SECONDS) % 86400) + 86400) % 86400) / 60);
}

export class ReportScheduler {
  private readonly sent = new Map<string, SentRecord>();
  private readonly failures = new Map<string, { attempts: number; nextAt: number; error: string }>();
  private readonly ledger: string;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly transport: Transporter;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private printer: Promise<PdfPrinter> | undefined;
  readonly metrics;

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? ((line) => console.log(line));
    mkdirSync(options.dataDir, { recursive: true });
    this.ledger = join(options.dataDir, 'sent.jsonl');
    if (existsSync(this.ledger)) {
      for (const line of readFileSync(this.ledger, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const record = JSON.parse(line) as SentRecord;
          this.sent.set(key(record.day, record), record);
        } catch {
          this.log(`reports: ignoring an unreadable line of ${this.ledger}`);
        }
      }
    }
    this.transport = nodemailer.createTransport(options.smtpUrl);
    const registers = [options.registry];
    this.metrics = {
      sent: new Counter({ ...promOptions(REPORTS_SENT_TOTAL), registers }),
      render: new Histogram({ ...promOptions(REPORT_RENDER_SECONDS), registers }),
      failures: new Counter({ ...promOptions(REPORT_FAILURES_TOTAL), registers }),
      overdue: new Gauge({ ...promOptions(REPORTS_OVERDUE), registers }),
      lastCheck: new Gauge({ ...promOptions(REPORTS_SCHEDULER_LAST_CHECK_TIMESTAMP_SECONDS), registers }),
    };
    for (const report of REPORT_NAMES) {
      this.metrics.sent.inc({ report }, 0);
      this.metrics.overdue.set({ report }, 0);
      for (const stage of ['render', 'refused', 'send']) this.metrics.failures.inc({ report, stage }, 0);
    }
  }

  /** Records of what went out (tests, the mailbox page). */
  sentRecords(): SentRecord[] {
    return [...this.sent.values()];
  }

  start(): void {
    const every = this.options.checkEveryMs ?? 15_000;
    const loop = () => {
      this.running = this.check()
        .catch((error: Error) => this.log(`reports: check failed: ${error.message}`))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(loop, every);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    const timer = this.timer;
    this.timer = undefined;
    if (timer) clearTimeout(timer);
    await this.running;
    const printer = this.printer;
    this.printer = undefined;
    await printer?.then((p) => p.close()).catch(() => undefined);
    this.transport.close();
  }

  /** Sends whatever is due now and not sent yet. The policy is re-read each time (edits apply). */
  async check(): Promise<void> {
    const now = this.clock.now();
    const day = istDay(now);
    const minutes = istMinutes(now);
    const { schedule, assignments } = loadAssignments(this.options.policyFile);
    this.metrics.lastCheck.set(now);
    // One e-mail per person and report; each is independent of the others' failures.
    const due = assignments.filter((a) => {
      if (minutes < a.sendAt || this.sent.has(key(day, a))) return false;
      const failure = this.failures.get(key(day, a));
      return !(failure && failure.nextAt > now);
    });
    await eachAtOnce(due, Math.max(1, this.options.concurrency ?? 3), (a) => this.sendOne(a, day, schedule.from, now));
    const overdue = new Map<string, number>(REPORT_NAMES.map((r) => [r, 0]));
    for (const a of assignments)
      if (minutes >= a.sendAt && !this.sent.has(key(day, a))) overdue.set(a.report, (overdue.get(a.report) ?? 0) + 1);
    for (const [report, n] of overdue) this.metrics.overdue.set({ report }, n);
  }

  private fail(a: Assignment, day: string, now: number, stage: string, error: string) {
    const k = key(day, a);
    const previous = this.failures.get(k);
    const attempts = (previous?.attempts ?? 0) + 1;
    const wait = Math.min(900, (this.options.retryAfterSeconds ?? 60) * 2 ** (attempts - 1));
    this.failures.set(k, { attempts, nextAt: now + wait, error });
    this.metrics.failures.inc({ report: a.report, stage });
    this.log(
      `reports: ${a.report} for ${a.login} (${day}) failed at ${stage} (attempt ${attempts}): ${error}; retrying in ${Math.round(wait)} s`,
    );
  }

  private async sendOne(a: Assignment, day: string, from: string, now: number): Promise<void> {
    const stopTimer = this.metrics.render.startTimer({ report: a.report });
    let attachments: Array<{ filename: string; content: Buffer; contentType: string }>;
    let html: string;
    let subjects: string[];
    try {
      const rendered = await renderReports({
        proxy: this.options.proxy,
        login: a.login,
        report: a.report,
        date: day,
        now: () => this.clock.now(),
      });
      // One Chromium for every report, started once even when several reports want it at once.
      const starting = (this.printer ??= this.options.printer());
      starting.catch(() => {
        if (this.printer === starting) this.printer = undefined; // try a fresh start next time
      });
      const printer = await starting;
      attachments = await Promise.all(
        rendered.map(async (r) => ({
          filename: `${a.report}-${r.document.subject.replace(/\s+/g, '-')}-${day}.pdf`,
          content: await printer.print(r.html, r.document),
          contentType: 'application/pdf',
        })),
      );
      subjects = rendered.map((r) => r.document.subject);
      // Several branches: one e-mail, each branch's report in turn, each one a PDF attachment.
      html =
        rendered.length === 1
          ? rendered[0]!.html
          : rendered.map((r) => r.html.replace(/^[\s\S]*<body>|<\/body>[\s\S]*$/g, '')).join('<hr>');
      stopTimer();
    } catch (error) {
      stopTimer();
      this.fail(a, day, now, error instanceof ReportRefused ? 'refused' : 'render', (error as Error).message);
      return;
    }
    const subject = `${REPORTS[a.report].title} — ${subjects.join(', ')} — ${day}`;
    try {
      const info = await this.transport.sendMail({
        from,
        to: a.email,
        subject,
        html,
        text: `${subject}\n\nThe report is attached as PDF (${attachments.map((x) => x.filename).join(', ')}).`,
        attachments,
        headers: { 'X-Paywatch-Report': a.report, 'X-Paywatch-Report-Day': day, 'X-Paywatch-Recipient': a.login },
      });
      const record: SentRecord = {
        day,
        login: a.login,
        report: a.report,
        to: a.email,
        subjects,
        messageId: String(info.messageId),
        sentAt: this.clock.now(),
      };
      appendFileSync(this.ledger, `${JSON.stringify(record)}\n`);
      this.sent.set(key(day, a), record);
      this.failures.delete(key(day, a));
      this.metrics.sent.inc({ report: a.report });
      this.log(`reports: sent ${a.report} (${subjects.join(', ')}) for ${day} to ${a.email}`);
    } catch (error) {
      this.fail(a, day, now, 'send', `SMTP ${this.options.smtpUrl.replace(/\/\/[^@/]*@/, '//***@')}: ${(error as Error).message}`);
    }
  }
}
