// Public surface of @paywatch/reports: make a report as its recipient, print it, schedule it.
export { REPORTS, REPORT_NAMES, reportName, subjectsFor, ALL_BRANCHES, type ReportName } from './src/catalog.ts';
export { ScopeClient, ReportRefused, ReportUnavailable, type ProxyTarget, type WhoAmI, type Scope } from './src/client.ts';
export { reportHtml, type ReportDocument, type Period } from './src/document.ts';
export { renderReports, renderReportPdfs, periodOf, type ReportRequest, type RenderedReport } from './src/render.ts';
export { startPdfPrinter, CHROMIUM_FLAGS, CHROMIUM_PATH, type PdfPrinter, type PrintStats } from './src/pdf.ts';
export { chartStats } from './src/charts.ts';
export { inr, inrShort, istDateTime, istDay, istMidnight } from './src/format.ts';
export { ReportScheduler, istMinutes, type SchedulerOptions, type SentRecord } from './src/scheduler.ts';
export { loadAssignments, parseSchedule, ScheduleError, DEFAULT_SEND_AT, type Assignment, type ReportSchedule } from './src/schedule.ts';
export { startSmtpSink, type SmtpSink, type StoredMessage } from './src/smtp-sink.ts';
export { realClock, scaledClock, type Clock } from './src/clock.ts';
export { OPTION_TABLE } from './src/main.ts';
