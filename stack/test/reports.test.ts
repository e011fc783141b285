// The reports people receive, on the real parts: the local stack in-process (simulator, exporters,
// Prometheus with the recording rules, the scope proxy), Debian's Chromium for the PDF, poppler's
// pdftotext to read the PDF back, and a real SMTP server (smtp-server) for the scheduler.
//
// - meera.bm's branch-daily names BR0001 and no other branch;
// - differential oracle: her report's text is the same whatever the other branches do. A twin
//   Prometheus B holds BR0001's series sample for sample and different numbers for every other
//   branch (plus a branch that exists only in B); the same report at the same instant through a
//   scope proxy in front of B must read the same, while a fleet report does change;
// - asha.exec's executive-daily shows revenue against target, with Prometheus's own numbers;
// - vikram.viewer asking for branch-daily is refused with a message and exit code 3;
// - the scheduler, on a time-scaled clock, sends each person exactly their reports once, retries
//   after the SMTP server refused, and does not send again after a restart.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import {
  inr,
  istMinutes,
  periodOf,
  renderReports,
  ReportScheduler,
  scaledClock,
  startPdfPrinter,
  startSmtpSink,
  type PdfPrinter,
  type RenderedReport,
} from '@paywatch/reports';
import { startScopeProxy } from '@paywatch/scope-proxy';
import { main as reportCommand } from '../src/cli/report.ts';
import { DEMO_PROXY_SECRET } from '../src/config.ts';
import { repoRoot } from '../src/paths.ts';
import { freePort, importOpenMetrics, startPrometheus, waitFor, requireTool } from '@paywatch/runtime';
import { consoleProgress, startStack, type RunningStack } from '../src/stack.ts';
import { stackTestConfig, waitForData } from './support/running-stack.ts';

const POLICY = join(repoRoot, 'policy', 'policy.yml');

function pdfText(pdf: Buffer | string, dir: string): string {
  const file = typeof pdf === 'string' ? pdf : join(dir, `read-${Math.random().toString(36).slice(2)}.pdf`);
  if (typeof pdf !== 'string') writeFileSync(file, pdf);
  const run = spawnSync(requireTool('pdftotext'), ['-layout', file, '-'], { encoding: 'utf8' });
  assert.equal(run.status, 0, `pdftotext ${file}: ${run.stderr}`);
  return run.stdout;
}

/** Branch codes a text names (officer ids like BR0001-FO02 name their branch). */
const branchesIn = (text: string) => [...new Set(text.match(/BR\d{4}/g) ?? [])].sort();

describe('reports rendered as their recipient, through the scope proxy', () => {
  let work: string;
  let stack: RunningStack;
  let proxy: { url: string; secret: string };
  let printer: PdfPrinter;
  /** Every report is evaluated at this instant (epoch seconds), after its data exists. */
  let at: number;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'paywatch-reports-'));
    // The live simulation in weekday working hours (stackTestConfig): officers out collecting.
    const config = await stackTestConfig({
      PAYWATCH_DATA_DIR: join(work, 'data'),
      PAYWATCH_BRANCHES: '5',
      PAYWATCH_OFFICERS: '3',
      PAYWATCH_BACKFILL_DAYS: '2',
      PAYWATCH_GRAFANA: '0',
    });
    config.speed = 20;
    config.paymentsPerBranch = 5000;
    stack = await startStack(
      config,
      consoleProgress(() => undefined),
    );
    proxy = { url: stack.urls.scopeProxy!, secret: DEMO_PROXY_SECRET };
    await waitForData(stack.urls.prometheus!, [
      'paywatch:collected_today_inr:sum',
      'paywatch:daily_target_inr:sum',
      'branch_collected_today_inr{branch="BR0005"}',
      'reconciliation_pending{branch="BR0001"}',
      // The officers' live collections (they come 08:00-19:00 IST: the working hours' start has them).
      'sum(increase(field_collections_total{branch="BR0001"}[5m])) > 0',
    ]);
    // An instant in the past, so no scrape still in flight changes an answer between renders.
    const ready = Math.floor(Date.now() / 1000);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    at = ready + 5;
    printer = await startPdfPrinter(requireTool('chromium'));
  });

  after(async () => {
    await printer?.close();
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const render = async (
    login: string,
    report: 'executive-daily' | 'branch-daily' | 'finance-reconciliation',
    target = proxy,
  ): Promise<Array<RenderedReport & { text: string }>> => {
    const reports = await renderReports({ proxy: target, login, report, now: () => at });
    return Promise.all(reports.map(async (r) => ({ ...r, text: pdfText(await printer.print(r.html, r.document), work) })));
  };

  test("meera.bm's branch-daily PDF (npm run report) names BR0001 and no other branch", async () => {
    const out = join(work, 'out', 'meera.pdf');
    const lines: string[] = [];
    const code = await reportCommand(
      ['--as', 'meera.bm', '--report', 'branch-daily', '--out', out, '--proxy-url', proxy.url],
      (l) => lines.push(l),
      (l) => lines.push(l),
    );
    assert.equal(code, 0, lines.join('\n'));
    const text = pdfText(out, work);
    assert.deepEqual(branchesIn(text), ['BR0001'], text);
    assert.match(text, /Branch daily report · BR0001/);
    assert.match(text, /Collected today/i);
    assert.match(text, /BR0001-FO0\d/, 'the field officers are listed');
    assert.match(text, /₹\d{1,2}(,\d\d)*,\d{3}/, 'rupees with Indian grouping');
    assert.match(text, /IST/);
    const html = readFileSync(join(work, 'out', 'meera.html'), 'utf8');
    assert.match(html, /<svg/, 'the e-mail body carries the charts');
    assert.deepEqual(branchesIn(html.replace(/<svg[\s\S]*?<\/svg>/g, '')), ['BR0001']);
  });

  test("differential oracle: meera.bm's report reads the same whatever the other branches do", async () => {
    // Prometheus B: BR0001's raw series exactly as A has them; every other branch's numbers
    // changed; a branch only B has. Branch-daily reads raw series only, so B needs no rules.
    const window = at - periodOf(undefined, at).start + 900; // today's IST day and the lookback before it
    const families = [
      'branch_collected_today_inr',
      'branch_daily_target_inr',
      'reconciliation_pending',
      'reconciliation_overdue',
      'reconciliation_exceptions_open',
      'payments_total',
      'payment_amount_total',
      'payment_failures_total',
      'field_collections_total',
      'field_collection_amount_total',
      'field_collections_unconfirmed',
      'lms_postings_total',
      'lms_posting_queue_depth_by_branch',
    ];
    const lines: string[] = [];
    let otherSeries = 0;
    for (const name of families) {
      const body = (await (
        await fetch(`${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent(`${name}[${window}s]`)}&time=${at}`)
      ).json()) as { data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
      lines.push(`# TYPE ${name} unknown`);
      for (const s of body.data.result) {
        const { __name__: _, ...labels } = s.metric;
        const own = labels.branch === 'BR0001';
        // BR0099 exists only in B: a copy of BR0002's series.
        const variants = own ? [labels] : labels.branch === 'BR0002' ? [labels, { ...labels, branch: 'BR0099' }] : [labels];
        if (!own) otherSeries++;
        for (const [i, l] of variants.entries()) {
          const text = Object.entries(l)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',');
          for (const [t, v] of s.values) lines.push(`${name}{${text}} ${own ? v : String(Number(v) * (3 + i) + 17)} ${t}`);
        }
      }
    }
    lines.push('# EOF');
    assert.ok(otherSeries > 50, `${otherSeries} series of other branches to change`);
    const dir = join(work, 'twin');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'data.om'), `${lines.join('\n')}\n`);
    await importOpenMetrics(join(dir, 'data.om'), join(dir, 'data'));
    const twin = await startPrometheus({ dir, config: 'global:\n  evaluation_interval: 1m\n' });
    const twinProxy = await startScopeProxy({
      policyPath: POLICY,
      upstream: twin.url,
      port: await freePort(),
      secret: DEMO_PROXY_SECRET,
      watchPolicy: false,
      log: () => undefined,
    });
    try {
      const a = await render('meera.bm', 'branch-daily');
      const b = await render('meera.bm', 'branch-daily', { url: twinProxy.url, secret: DEMO_PROXY_SECRET });
      assert.equal(a.length, 1);
      assert.equal(b[0]!.text, a[0]!.text, 'another branch changed what meera.bm reads');
      // The oracle can see a difference: sunil.bm's BR0002 reads differently from B.
      const sunilA = await render('sunil.bm', 'branch-daily');
      const sunilB = await render('sunil.bm', 'branch-daily', { url: twinProxy.url, secret: DEMO_PROXY_SECRET });
      assert.notEqual(sunilB[0]!.text, sunilA[0]!.text, 'the twin changes BR0002');
    } finally {
      await twinProxy.stop();
      await twin.stop();
    }
  });

  test("asha.exec's executive-daily shows revenue against target, Prometheus's numbers", async () => {
    const [report] = await render('asha.exec', 'executive-daily');
    assert.ok(report);
    const value = async (q: string) => {
      const body = (await (await fetch(`${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent(q)}&time=${at}`)).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      return Number(body.data.result[0]!.value[1]);
    };
    const collected = await value('paywatch:collected_today_inr:sum');
    const target = await value('paywatch:daily_target_inr:sum');
    const flat = report.text.replace(/\s+/g, ' ');
    assert.match(flat, /REVENUE AGAINST TARGET/i);
    assert.ok(flat.includes(inr(collected)), `collected ${inr(collected)} in ${flat.slice(0, 800)}`);
    assert.ok(flat.includes(`target ${inr(target)}`), `target ${inr(target)}`);
    assert.match(flat, /Revenue against target, last 30 days/);
    assert.match(flat, /Best \d/);
    assert.match(flat, /Worst \d/);
    assert.deepEqual(
      branchesIn(flat).filter((b) => !/^BR000[1-5]$/.test(b)),
      [],
      "only the fleet's branches",
    );
  });

  test('vikram.viewer asking for branch-daily is refused with a message and exit code 3, and gets no file', async () => {
    const out = join(work, 'out', 'vikram.pdf');
    const errors: string[] = [];
    const code = await reportCommand(
      ['--as', 'vikram.viewer', '--report', 'branch-daily', '--out', out, '--proxy-url', proxy.url],
      () => undefined,
      (l) => errors.push(l),
    );
    assert.equal(code, 3);
    assert.match(errors.join('\n'), /refused: vikram\.viewer \(viewer.*cannot have the branch-daily report/);
    assert.throws(() => readFileSync(out));
    // Nor the fleet reports, nor for a branch manager.
    assert.equal(
      await reportCommand(
        ['--as', 'meera.bm', '--report', 'executive-daily', '--out', out, '--proxy-url', proxy.url],
        () => undefined,
        () => undefined,
      ),
      3,
    );
    assert.equal(
      await reportCommand(
        ['--as', 'ravi.fo', '--report', 'branch-daily', '--out', out, '--proxy-url', proxy.url],
        () => undefined,
        () => undefined,
      ),
      3,
    );
  });

  test('the scheduler sends each person exactly their reports once, retries after an SMTP failure, and not again after a restart', async () => {
    // Send time: the first whole minute after the instant the other tests read at (the stack has
    // data from then on); the scheduler's clock starts 30 s before it and runs 10x real time. It
    // stays within Prometheus's 5-minute look-back of the newest data, so gauges still answer.
    const sendEpoch = Math.floor(at / 60) * 60 + 60;
    const minutes = istMinutes(sendEpoch);
    const sendAt = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    const policyFile = join(work, 'policy.yml');
    writeFileSync(policyFile, readFileSync(POLICY, 'utf8').replace(/send_at: "\d\d:\d\d"/, `send_at: "${sendAt}"`));
    const sink = await startSmtpSink();
    sink.failNext(2);
    const dataDir = join(work, 'scheduler');
    const clock = scaledClock(sendEpoch - 30, 10);
    const registry = new Registry();
    const log: string[] = [];
    // The Chromium of the other tests, shared: the scheduler's stop() must not close it.
    const shared: PdfPrinter = { print: (html, doc) => printer.print(html, doc), close: async () => undefined };
    const options = {
      proxy,
      policyFile,
      smtpUrl: sink.smtpUrl,
      dataDir,
      clock,
      checkEveryMs: 250,
      retryAfterSeconds: 30,
      printer: async () => shared,
      log: (line: string) => log.push(line),
    };
    const scheduler = new ReportScheduler({ ...options, registry });
    const expected = [
      'asha.exec executive-daily',
      'farhan.fin finance-reconciliation',
      'lakshmi.bm branch-daily',
      'meera.bm branch-daily',
      'sunil.bm branch-daily',
    ];
    try {
      scheduler.start();
      await waitFor(async () => sink.messages.length >= expected.length, {
        timeoutMs: 120_000,
        intervalMs: 250,
        what: 'every scheduled report to arrive',
      }).catch((error: Error) => {
        throw new Error(`${error.message}; the scheduler said:\n${log.join('\n')}`);
      });
      // Let the clock run on, well past the send time: nothing more may go out.
      while (clock.now() < sendEpoch + 3 * 60) await new Promise((r) => setTimeout(r, 250));
    } finally {
      await scheduler.stop();
    }
    const got = sink.messages.map((m) => `${m.headers['x-paywatch-recipient']} ${m.headers['x-paywatch-report']}`).sort();
    assert.deepEqual(got, expected, `each person exactly their reports, once; the scheduler said:\n${log.join('\n')}`);
    assert.equal(sink.refused(), 2, 'the SMTP server refused two messages, which were sent again');
    for (const m of sink.messages) assert.deepEqual(m.to, [`${m.headers['x-paywatch-recipient']}@paywatch.example`]);
    const sunil = sink.messages.find((m) => m.headers['x-paywatch-recipient'] === 'sunil.bm')!;
    // One PDF per branch of his, each about that branch (the header names his scope, both branches).
    const officersOf = (text: string) => [...new Set((text.match(/BR\d{4}-FO\d\d/g) ?? []).map((o) => o.slice(0, 6)))];
    const sunilTexts = sunil.attachments.map((a) => pdfText(a.content, work));
    assert.deepEqual(
      sunilTexts.map((t) => /Branch daily report · (BR\d{4})/.exec(t)?.[1]),
      ['BR0002', 'BR0003'],
    );
    assert.deepEqual(sunilTexts.map(officersOf), [['BR0002'], ['BR0003']]);
    const meera = sink.messages.find((m) => m.headers['x-paywatch-recipient'] === 'meera.bm')!;
    assert.deepEqual(branchesIn(pdfText(meera.attachments[0]!.content, work)), ['BR0001']);
    assert.match(meera.html, /Branch daily report · BR0001/);
    // From the exposition Prometheus scrapes: the sum of a sample name's lines, optionally one label value.
    const exposition = (await registry.metrics()).split('\n');
    const total = (name: string, filter: Record<string, string> = {}) =>
      exposition
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .filter((line) => Object.entries(filter).every(([k, v]) => line.includes(`${k}="${v}"`)))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    assert.equal(total('reports_sent_total'), expected.length);
    assert.equal(total('report_failures_total', { stage: 'send' }), 2);
    assert.equal(total('reports_overdue'), 0);
    assert.ok(total('report_render_seconds_count') >= expected.length);

    // A restarted scheduler reads what was sent and sends nothing again.
    const again = new ReportScheduler({ ...options, registry: new Registry() });
    await again.check();
    await again.check();
    await again.stop();
    assert.equal(sink.messages.length, expected.length, 'nothing sent twice after a restart');
    await sink.stop();
  });
});
