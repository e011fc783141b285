// Report benchmark: branch-daily for every branch of the default fleet (500 branches x 30 field
// officers), each rendered as that branch's own manager through the scope proxy and printed to PDF
// by Debian's Chromium; and one report of each kind on its own, cold (a fresh Chromium).
//
//   npx tsx bench/reports.ts
//   BENCH_BRANCHES=500 BENCH_OFFICERS=30 BENCH_PAGES=2 BENCH_READERS=3 to change the size or the
//   concurrency; BENCH_DATA_DIR=/some/dir keeps the backfilled TSDB there for the next run
//
// What it does (docs/benchmarks.md, "Reports"):
// 1. writes OpenMetrics text with the label sets of docs/metrics.md for every series a branch
//    report and the fleet reports read (counters every 30 min, the branch gauges every 5 min,
//    00:00-18:00 IST of the day before yesterday) plus the fleet recording rules the executive
//    report reads, and backfills a TSDB with `promtool tsdb create-blocks-from openmetrics`;
// 2. starts Prometheus on it and the scope proxy with a policy of one manager per branch (the
//    repository's roles, 500 generated people);
// 3. renders the day's reports as of 18:00 IST (the scheduler's default send time).
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartStats, istDay, istMidnight, renderReports, startPdfPrinter, type ReportName } from '@paywatch/reports';
import { startScopeProxy } from '@paywatch/scope-proxy';
import { eachAtOnce, freePort, importOpenMetrics, startPrometheus, requireTool } from '@paywatch/runtime';

const BRANCHES = Number(process.env.BENCH_BRANCHES ?? 500);
const OFFICERS = Number(process.env.BENCH_OFFICERS ?? 30);
const PAGES = Number(process.env.BENCH_PAGES ?? 2);
// Reports being read at once: more than the pages, so one report's queries overlap another's printing.
const READERS = Number(process.env.BENCH_READERS ?? PAGES + 1);
// A directory to keep the backfilled TSDB in between runs (made on the first run, reused after):
// iterating on the renderer need not pay the backfill each time. Default: a fresh temporary one.
const KEEP = process.env.BENCH_DATA_DIR;
// A directory to write the single reports' PDFs and the last few branch PDFs to, to look at.
const PDFS = process.env.BENCH_PDF_DIR;
const SECRET = 'bench-only-shared-secret-0123456789';
const CHANNELS = ['cash', 'upi', 'upi_autopay', 'qr', 'bbps', 'nach', 'card', 'netbanking'];
const REASONS = ['insufficient_funds', 'mandate_error', 'gateway_timeout', 'declined', 'otp_failed', 'technical_error', 'cancelled'];

const code = (i: number) => `BR${String(i).padStart(4, '0')}`;
const day = istDay(Date.now() / 1000 - 2 * 86400);
const start = istMidnight(day);
const reportAt = start + 18 * 3600;

/** A deterministic pseudo-random number in [0, 1) from a few integers. */
function noise(...keys: number[]): number {
  let h = 2166136261;
  for (const k of keys) h = Math.imul(h ^ k, 16777619) >>> 0;
  return (h % 10_000) / 10_000;
}

async function writeData(file: string): Promise<number> {
  const out = createWriteStream(file);
  let samples = 0;
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  const slow = Array.from({ length: 18 * 2 + 1 }, (_, i) => start + i * 1800); // counters: every 30 min
  const fast = Array.from({ length: 18 * 12 + 1 }, (_, i) => start + i * 300); // gauges: every 5 min
  const series = async (name: string, labels: string, times: number[], value: (i: number, t: number) => number) => {
    for (const [i, t] of times.entries()) await write(`${name}{${labels}} ${value(i, t).toFixed(2)} ${t}`);
    samples += times.length;
  };
  const family = (name: string) => write(`# TYPE ${name} unknown`);
  const job = (j: string) => `instance="127.0.0.1:9401",job="${j}"`;
  await family('payments_total');
  for (let b = 1; b <= BRANCHES; b++)
    for (const [c, channel] of CHANNELS.entries())
      for (const status of ['success', 'failed'])
        await series(
          'payments_total',
          `branch="${code(b)}",channel="${channel}",status="${status}",${job('payments')}`,
          slow,
          (i) => i * (status === 'success' ? 20 : 1) * (1 + noise(b, c)),
        );
  await family('payment_amount_total');
  for (let b = 1; b <= BRANCHES; b++)
    for (const [c, channel] of CHANNELS.entries())
      await series(
        'payment_amount_total',
        `branch="${code(b)}",channel="${channel}",${job('payments')}`,
        slow,
        (i) => i * 20 * 4000 * (1 + noise(b, c)),
      );
  await family('payment_failures_total');
  for (let b = 1; b <= BRANCHES; b++)
    for (const [c, channel] of CHANNELS.entries())
      for (const [r, reason] of REASONS.entries())
        if (noise(b, c, r) < 0.3)
          await series(
            'payment_failures_total',
            `branch="${code(b)}",channel="${channel}",reason="${reason}",${job('payments')}`,
            slow,
            (i) => Math.floor(i * noise(b, r)),
          );
  await family('field_collections_total');
  for (let b = 1; b <= BRANCHES; b++)
    for (let o = 1; o <= OFFICERS; o++)
      for (const [k, otp] of ['verified', 'failed', 'expired'].entries())
        await series(
          'field_collections_total',
          `branch="${code(b)}",officer="${code(b)}-FO${String(o).padStart(2, '0')}",otp="${otp}",${job('payments')}`,
          slow,
          (i) => Math.floor(i * (k === 0 ? 2 : 0.1) * (1 + noise(b, o))),
        );
  await family('field_collection_amount_total');
  for (let b = 1; b <= BRANCHES; b++)
    for (let o = 1; o <= OFFICERS; o++)
      await series(
        'field_collection_amount_total',
        `branch="${code(b)}",officer="${code(b)}-FO${String(o).padStart(2, '0')}",${job('payments')}`,
        slow,
        (i) => i * 2 * 3000 * (1 + noise(b, o)),
      );
  await family('field_collections_unconfirmed');
  for (let b = 1; b <= BRANCHES; b++)
    for (let o = 1; o <= OFFICERS; o++)
      await series(
        'field_collections_unconfirmed',
        `branch="${code(b)}",officer="${code(b)}-FO${String(o).padStart(2, '0')}",${job('payments')}`,
        slow,
        (i) => Math.floor(i * noise(b, o, 7)),
      );
  await family('lms_postings_total');
  for (let b = 1; b <= BRANCHES; b++)
    for (const outcome of ['posted', 'failed'])
      await series(
        'lms_postings_total',
        `branch="${code(b)}",outcome="${outcome}",instance="127.0.0.1:9402",job="lms"`,
        slow,
        (i) => i * (outcome === 'posted' ? 20 : 0.2),
      );
  const target = (b: number) => 2_000_000 + Math.round(noise(b, 99) * 1_000_000);
  for (const [name, value] of [
    ['branch_collected_today_inr', (b: number, i: number) => (i / fast.length) * target(b) * (0.6 + 0.6 * noise(b, 5))],
    ['branch_daily_target_inr', (b: number) => target(b)],
    ['reconciliation_pending', (b: number) => Math.floor(noise(b, 1) * 20)],
    ['reconciliation_overdue', (b: number) => (noise(b, 2) < 0.1 ? 3 : 0)],
    ['reconciliation_exceptions_open', (b: number) => (noise(b, 3) < 0.1 ? 2 : 0)],
    ['lms_posting_queue_depth_by_branch', (b: number) => Math.floor(noise(b, 4) * 5)],
  ] as const) {
    await family(name);
    for (let b = 1; b <= BRANCHES; b++)
      await series(name, `branch="${code(b)}",${job(name.startsWith('lms') ? 'lms' : 'payments')}`, fast, (i) => value(b, i));
  }
  // The fleet recording rules the executive report reads (a backfilled TSDB evaluates no rules).
  const fleet = async (name: string, value: (i: number) => number) => {
    await family(name);
    await series(name, '', fast, value);
  };
  const totalTarget = Array.from({ length: BRANCHES }, (_, b) => target(b + 1)).reduce((s, v) => s + v, 0);
  await fleet('paywatch:collected_today_inr:sum', (i) => (i / fast.length) * totalTarget * 0.9);
  await fleet('paywatch:daily_target_inr:sum', () => totalTarget);
  await fleet('paywatch:payment_amount_inr:increase1d', () => totalTarget * 0.95);
  await fleet('paywatch:payment_realtime_success_ratio:rate5m', (i) => 0.985 + noise(i) * 0.01);
  await fleet('paywatch:availability:ratio_avg5m', () => 1);
  await write('# EOF');
  out.end();
  await once(out, 'finish');
  return samples;
}

function policy(): string {
  const base = readFileSync(new URL('../policy/policy.yml', import.meta.url), 'utf8');
  const people = Array.from(
    { length: BRANCHES },
    (_, i) => `  - { login: bm${String(i + 1).padStart(4, '0')}, role: branch_manager, branches: [${code(i + 1)}] }`,
  ).join('\n');
  return base.replace(/^people:\n/m, `people:\n${people}\n`).replace(/^teams:[\s\S]*?(?=^\S|$(?![\s\S]))/m, '');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  const dir = KEEP ?? mkdtempSync(join(tmpdir(), 'paywatch-bench-reports-'));
  if (KEEP) mkdirSync(KEEP, { recursive: true });
  if (PDFS) mkdirSync(PDFS, { recursive: true });
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model}), load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`fleet: ${BRANCHES} branches x ${OFFICERS} officers; the day ${day}, reports as of 18:00 IST`);
  let t = Date.now();
  const made = join(dir, `made-${BRANCHES}x${OFFICERS}-${day}`);
  if (KEEP && existsSync(made)) console.log(`data: reusing the TSDB in ${dir}`);
  else {
    const samples = await writeData(join(dir, 'data.om'));
    await importOpenMetrics(join(dir, 'data.om'), join(dir, 'data'));
    rmSync(join(dir, 'data.om'));
    writeFileSync(made, '');
    console.log(`data: ${samples.toLocaleString('en')} samples backfilled in ${seconds(Date.now() - t)}`);
  }
  const prometheus = await startPrometheus({ dir, config: 'global:\n  evaluation_interval: 1m\n' });
  writeFileSync(join(dir, 'policy.yml'), policy());
  const proxy = await startScopeProxy({
    policyPath: join(dir, 'policy.yml'),
    upstream: prometheus.url,
    port: await freePort(),
    secret: SECRET,
    watchPolicy: false,
    log: () => undefined,
  });
  const target = { url: proxy.url, secret: SECRET };
  try {
    // One report of each kind, cold: a fresh Chromium each, started while the proxy answers, as
    // `npm run report` does. Twice: the first run is Prometheus's first read of the backfilled
    // blocks from disk; the second finds them in the page cache, as an 18:00 report finds the
    // day's samples in Prometheus's in-memory head block.
    for (const [pass, login, report] of [
      ['first', 'bm0001', 'branch-daily'],
      ['first', 'asha.exec', 'executive-daily'],
      ['first', 'farhan.fin', 'finance-reconciliation'],
      ['again', 'bm0002', 'branch-daily'],
      ['again', 'asha.exec', 'executive-daily'],
      ['again', 'farhan.fin', 'finance-reconciliation'],
    ] as Array<[string, string, ReportName]>) {
      t = Date.now();
      let launched = 0;
      const starting = startPdfPrinter(requireTool('chromium'), { pages: 1 }).then((p) => {
        launched = Date.now() - t;
        return p;
      });
      const charts = chartStats.ms;
      const [r] = await renderReports({ proxy: target, login, report, date: day, now: () => reportAt });
      const read = Date.now() - t;
      const drawn = chartStats.ms - charts;
      const printer = await starting;
      const pdf = await printer.print(r!.html, r!.document);
      const printed = Date.now() - t;
      await printer.close();
      if (PDFS) writeFileSync(join(PDFS, `${pass}-${report}.pdf`), pdf);
      console.log(
        `${pass}: one ${report} as ${login}: ${seconds(printed)} (Chromium start ${seconds(launched)} alongside ${r!.queries} proxy queries and charts ${seconds(read)} of which charts ${seconds(drawn)}, page load ${seconds(printer.stats!.loadMs)}, PDF print ${seconds(printer.stats!.printMs)}, PDF ${(pdf.length / 1024).toFixed(0)} KiB; Chromium close ${seconds(Date.now() - t - printed)} not counted)`,
      );
    }
    // Every branch's report, each as its own manager, READERS read at once, PAGES printed at once
    // on one Chromium's reused pages.
    t = Date.now();
    const printer = await startPdfPrinter(requireTool('chromium'), { pages: PAGES });
    const logins = Array.from({ length: BRANCHES }, (_, i) => `bm${String(i + 1).padStart(4, '0')}`);
    let queries = 0;
    let bytes = 0;
    let reading = 0;
    const charts = chartStats.ms;
    await eachAtOnce(logins, READERS, async (login) => {
      const started = Date.now();
      const [r] = await renderReports({ proxy: target, login, report: 'branch-daily', date: day, now: () => reportAt });
      reading += Date.now() - started;
      if (!r || r.document.subject !== code(Number(login.slice(2)))) throw new Error(`${login} got ${r?.document.subject}`);
      queries += r.queries;
      const pdf = await printer.print(r.html, r.document);
      bytes += pdf.length;
      if (PDFS && Number(login.slice(2)) > BRANCHES - 3) writeFileSync(join(PDFS, `batch-${r.document.subject}.pdf`), pdf);
    });
    const all = Date.now() - t;
    await printer.close();
    console.log(
      `  summed over workers: queries and charts ${seconds(reading)} (charts ${seconds(chartStats.ms - charts)}), page load ${seconds(printer.stats!.loadMs)}, PDF print ${seconds(printer.stats!.printMs)}`,
    );
    console.log(
      `all ${BRANCHES} branch-daily reports, each as its manager: ${seconds(all)} (${(all / BRANCHES).toFixed(0)} ms per report, ${queries} proxy queries, ${(bytes / 1024 / 1024).toFixed(1)} MiB of PDF, ${READERS} read and ${PAGES} printed at once); load after ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await proxy.stop();
    await prometheus.stop();
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
