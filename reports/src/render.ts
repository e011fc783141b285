// Making reports: ask the proxy who the person is, decide what they may have, read the numbers
// as them, lay out the document, and print it to PDF with Chromium.
import { ReportRefused, ReportUnavailable, ScopeClient, type ProxyTarget, type WhoAmI } from './client.ts';
import { REPORTS, subjectsFor, type ReportName } from './catalog.ts';
import { scopeText } from './context.ts';
import { reportHtml, type Period, type ReportDocument } from './document.ts';
import { istDay, istMidnight } from './format.ts';
import type { PdfPrinter } from './pdf.ts';

export interface ReportRequest {
  proxy: ProxyTarget;
  login: string;
  report: ReportName;
  /** IST calendar day, YYYY-MM-DD; default today (IST). */
  date?: string;
  /** For branch-daily as someone who sees every branch. */
  branch?: string;
  /** The clock (epoch seconds): now by default; tests and the scheduler pass their own. */
  now?: () => number;
}

export interface RenderedReport {
  document: ReportDocument;
  html: string;
  /** Proxy queries it took. */
  queries: number;
}

/** The period of a day's report: the whole IST day when it is over, else the day so far. */
export function periodOf(date: string | undefined, now: number): Period {
  const day = date ?? istDay(now);
  const start = istMidnight(day);
  if (start > now) throw new Error(`${day} has not begun yet in IST (it is ${istDay(now)} in India)`);
  const complete = now >= start + 86400;
  return { date: day, start, end: complete ? start + 86400 - 1 : Math.floor(now), complete };
}

/** Every report this request makes (several for a manager of several branches), as HTML. */
export async function renderReports(request: ReportRequest): Promise<RenderedReport[]> {
  const now = request.now ?? (() => Date.now() / 1000);
  const client = new ScopeClient(request.proxy, request.login);
  const who: WhoAmI = await client.whoami().catch((error: Error) => {
    if (error instanceof ReportRefused)
      throw new ReportRefused(
        `${request.login} is not a Paywatch user the scope proxy knows (policy/policy.yml): no report can be made for them`,
      );
    throw error;
  });
  const subjects = subjectsFor(request.report, who, request.branch);
  const period = periodOf(request.date, now());
  const definition = REPORTS[request.report];
  // A manager of several branches gets one report per branch, read at once (same person, so
  // identical queries are shared between them).
  return Promise.all(
    subjects.map(async (subject): Promise<RenderedReport> => {
      const reader = client.sibling();
      const readAt = Math.floor(now());
      const body = await definition.build({ client: reader, who, period }, subject);
      if (!body.sections.length) throw new ReportUnavailable(`${request.report} for ${subject} came out empty`);
      const document: ReportDocument = {
        report: request.report,
        title: definition.title,
        subject,
        recipient: { login: who.login, role: who.role, scope: scopeText(who) },
        period,
        readAt,
        ...body,
      };
      return { document, html: reportHtml(document), queries: reader.queries };
    }),
  );
}

/** Renders and prints: HTML and PDF bytes of each report of the request. */
export async function renderReportPdfs(request: ReportRequest, printer: PdfPrinter): Promise<Array<RenderedReport & { pdf: Buffer }>> {
  const reports = await renderReports(request);
  return Promise.all(reports.map(async (r) => ({ ...r, pdf: await printer.print(r.html, r.document) })));
}
