// `npm run report -- --as LOGIN --report NAME --out FILE.pdf [--date YYYY-MM-DD] [--branch BRxxxx]`
// Renders one report as that person, through the scope proxy of the running stack: FILE.pdf
// (Chromium) and FILE.html (the same content as the e-mail body). A manager of several branches
// gets one pair per branch: FILE-BR0002.pdf, FILE-BR0003.pdf, ...
// Exit codes: 0 made, 2 bad usage, 3 refused (the person's scope cannot see the report),
// 1 anything else (stack not running, data missing).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ReportRefused, REPORT_NAMES, reportName, renderReports, startPdfPrinter, type RenderedReport } from '@paywatch/reports';
import { DEMO_PROXY_SECRET, PORTS } from '../config.ts';
import { startScopeProxy, type ScopeProxy } from '@paywatch/scope-proxy';
import { dataDir, repoRoot } from '../paths.ts';
import { ensureTools, optionsUsage, OptionsError, parseOptions, requireTool, type OptionSpec, type OptionTable } from '@paywatch/runtime';

const USAGE = `usage: npm run report -- --as LOGIN --report NAME --out FILE.pdf [--date YYYY-MM-DD] [--branch BRxxxx]
Exit codes: 0 made, 2 bad usage, 3 refused (the person's scope cannot see the report), 1 anything else.`;

/** The running local stack's proxy (from <data dir>/run/urls.json), else the default port. */
function defaultProxyUrl(): string {
  const file = join(dataDir(), 'run', 'urls.json');
  if (existsSync(file)) {
    const urls = JSON.parse(readFileSync(file, 'utf8')) as { scopeProxy?: string };
    if (urls.scopeProxy) return urls.scopeProxy;
  }
  return `http://127.0.0.1:${process.env[PORTS.scopeProxy.env] ?? PORTS.scopeProxy.port}`;
}

/** The command's options; the proxy's address and secret under the names Grafana's data source uses. */
export const OPTIONS = {
  as: { flag: 'as', env: null, type: 'string', help: 'the person (a login of policy/policy.yml); every number is read as them' },
  report: { flag: 'report', env: null, type: 'string', choices: REPORT_NAMES, help: 'which report' },
  out: { flag: 'out', env: null, type: 'string', help: 'where the PDF goes; the e-mail body (HTML) goes next to it as FILE.html' },
  date: { flag: 'date', env: null, type: 'string', help: 'the IST day to report on (default: today, so far)' },
  branch: { flag: 'branch', env: null, type: 'string', help: 'branch-daily for one branch (required for people who see every branch)' },
  proxyUrl: {
    flag: 'proxy-url',
    env: 'PAYWATCH_SCOPE_PROXY_URL',
    type: 'url',
    help: "a scope proxy in header mode (default: the running local stack's)",
  },
  prometheusUrl: {
    flag: 'prometheus-url',
    env: null,
    type: 'url',
    help: "read through a scope proxy of this command's own in front of this Prometheus",
  },
  htmlOnly: { flag: 'html-only', env: null, type: 'boolean', default: false, help: 'skip the PDF (no Chromium needed)' },
  secret: { flag: null, env: 'PAYWATCH_PROXY_SECRET', type: 'string', default: DEMO_PROXY_SECRET, help: "the scope proxy's shared secret" },
} as const satisfies Record<string, OptionSpec>;

export const OPTION_TABLE: OptionTable<typeof OPTIONS> = { component: 'report', envPrefix: null, usage: USAGE, options: OPTIONS };

export async function main(
  argv: string[],
  log = (line: string) => console.log(line),
  error = (line: string) => console.error(line),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(OPTION_TABLE, argv, env);
  } catch (e) {
    if (!(e instanceof OptionsError)) throw e;
    error(`report: ${e.message}`);
    return 2;
  }
  if (parsed.help) {
    log(optionsUsage(OPTION_TABLE));
    return 0;
  }
  const v = parsed.values;
  const values = {
    as: v.as,
    report: v.report,
    out: v.out,
    date: v.date,
    branch: v.branch,
    'proxy-url': v.proxyUrl,
    'prometheus-url': v.prometheusUrl,
    'html-only': v.htmlOnly,
  };
  const missing = (['as', 'report', 'out'] as const).filter((k) => !values[k]);
  if (missing.length) {
    error(`report: missing ${missing.map((k) => `--${k}`).join(', ')}\n${USAGE}`);
    return 2;
  }
  const out = resolve(String(values.out));
  if (!out.endsWith('.pdf')) {
    error(`report: --out must name a .pdf file (the HTML e-mail body is written next to it), got ${out}`);
    return 2;
  }
  let report;
  try {
    report = reportName(String(values.report));
  } catch (e) {
    error(`report: ${(e as Error).message}`);
    return 2;
  }
  const proxy = {
    url: String(values['proxy-url'] ?? defaultProxyUrl()),
    secret: v.secret,
  };
  // The same enforcement code and policy, on a loopback port only this command knows and for
  // the length of this command: the caller is still identified by X-Grafana-User + the secret.
  let own: ScopeProxy | undefined;
  if (values['prometheus-url']) {
    proxy.secret = randomBytes(24).toString('hex');
    own = await startScopeProxy({
      policyPath: join(repoRoot, 'policy', 'policy.yml'),
      upstream: String(values['prometheus-url']),
      host: '127.0.0.1',
      port: 0,
      secret: proxy.secret,
      identityMode: 'header',
      watchPolicy: false,
      log: () => undefined,
    });
    proxy.url = own.url;
  }
  // Chromium starts while the proxy answers (its start is a good part of one report's time); it is
  // closed unused when the report is refused or cannot be made.
  const printing = values['html-only']
    ? undefined
    : Promise.resolve().then(() => {
        ensureTools(['chromium'], (line) => log(line));
        return startPdfPrinter(requireTool('chromium'), { pages: 1 });
      });
  printing?.catch(() => undefined); // its failure is reported where the PDF is printed
  const discardPrinter = () => printing?.then((p) => p.close()).catch(() => undefined);
  let rendered: RenderedReport[];
  try {
    rendered = await renderReports({
      proxy,
      login: String(values.as),
      report,
      date: values.date as string | undefined,
      branch: values.branch as string | undefined,
    });
  } catch (e) {
    await discardPrinter();
    if (e instanceof ReportRefused) {
      error(`report refused: ${e.message}`);
      return 3;
    }
    error(`report: ${(e as Error).message}`);
    return 1;
  } finally {
    await own?.stop();
  }
  mkdirSync(dirname(out), { recursive: true });
  const base = out.slice(0, -'.pdf'.length);
  const pathFor = (r: RenderedReport) => (rendered.length > 1 ? `${base}-${r.document.subject}` : base);
  for (const r of rendered) writeFileSync(`${pathFor(r)}.html`, r.html);
  if (printing) {
    const printer = await printing;
    try {
      for (const r of rendered) writeFileSync(`${pathFor(r)}.pdf`, await printer.print(r.html, r.document));
    } finally {
      await printer.close();
    }
  }
  for (const r of rendered)
    log(
      `${r.document.report} for ${r.document.subject} as ${r.document.recipient.login}: ${values['html-only'] ? '' : `${pathFor(r)}.pdf, `}${pathFor(r)}.html (${r.queries} queries)`,
    );
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(`report: ${e.stack ?? e.message}`);
      process.exit(1);
    },
  );
}
