// A report as data (tiles, charts, tables in sections) and its one HTML rendering, used both as
// the e-mail body and as the page Chromium prints to PDF. Everything a reader needs to trust the
// numbers is on the page: who it was rendered as, the period, and when the data was read.
import { escapeHtml, istDate, istDateTime, istTime } from './format.ts';

export type Status = 'good' | 'warn' | 'bad' | 'none';

export interface Tile {
  label: string;
  value: string;
  note?: string;
  status?: Status;
}

export interface Column {
  title: string;
  numeric?: boolean;
}

export interface Table {
  columns: Column[];
  rows: string[][];
  /** What to say when there are no rows (the empty state is a fact, e.g. "none overdue"). */
  empty: string;
}

export type Block =
  | { kind: 'tiles'; tiles: Tile[] }
  | { kind: 'chart'; title: string; svg: string; caption?: string }
  | { kind: 'table'; title?: string; table: Table }
  | { kind: 'text'; text: string };

export interface Section {
  heading: string;
  blocks: Block[];
}

export interface Period {
  /** The IST calendar day, YYYY-MM-DD. */
  date: string;
  /** 00:00 IST of that day, epoch seconds. */
  start: number;
  /** The instant every number is evaluated at: now for today, 23:59:59 IST for a past day. */
  end: number;
  complete: boolean;
}

export interface ReportDocument {
  report: string;
  title: string;
  /** What the report is about: a branch code, or "all branches". */
  subject: string;
  recipient: { login: string; role: string; scope: string };
  period: Period;
  /** When the proxy was asked (wall clock), epoch seconds. */
  readAt: number;
  sections: Section[];
  notes: string[];
}

export function periodText(p: Period): string {
  return `${istDate(p.start)}, 00:00–${p.complete ? '24:00' : istTime(p.end)} IST${p.complete ? '' : ' (day so far)'}`;
}

const CSS = `
@page { size: A4; margin: 12mm 11mm 14mm 11mm; }
* { box-sizing: border-box; }
body { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 11px; color: #1f2328; margin: 0; }
.report { max-width: 720px; margin: 0 auto; }
header { border-bottom: 3px solid #3465a4; padding-bottom: 6px; margin-bottom: 10px; }
header h1 { font-size: 19px; margin: 0 0 2px 0; }
header .meta { color: #444; line-height: 1.5; }
header .meta b { color: #1f2328; }
h2 { font-size: 14px; margin: 14px 0 6px 0; padding-bottom: 2px; border-bottom: 1px solid #ccc; break-after: avoid; }
h3 { font-size: 12px; margin: 8px 0 4px 0; break-after: avoid; }
.tiles { display: flex; flex-wrap: wrap; gap: 6px; }
.tile { flex: 1 1 150px; border: 1px solid #d0d7de; border-left: 5px solid #888a85; border-radius: 3px; padding: 5px 7px; break-inside: avoid; }
.tile.good { border-left-color: #4e9a06; } .tile.warn { border-left-color: #c4a000; } .tile.bad { border-left-color: #cc0000; }
.tile .label { color: #555; font-size: 10px; text-transform: uppercase; letter-spacing: .02em; }
.tile .value { font-size: 17px; font-weight: bold; margin: 2px 0; white-space: nowrap; }
.tile .note { color: #555; font-size: 10px; }
.chart { break-inside: avoid; margin: 4px 0 8px 0; }
.chart svg { display: block; max-width: 100%; height: auto; }
.caption { color: #555; font-size: 10px; }
table { border-collapse: collapse; width: 100%; margin: 2px 0 8px 0; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { padding: 2px 6px; border-bottom: 1px solid #e1e4e8; text-align: left; vertical-align: top; }
th { background: #f1f3f5; font-size: 10px; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.empty { color: #555; font-style: italic; margin: 2px 0 8px 0; }
.notes { margin-top: 12px; color: #555; font-size: 9.5px; border-top: 1px solid #ccc; padding-top: 4px; }
.notes p { margin: 2px 0; }
`;

function blockHtml(block: Block): string {
  switch (block.kind) {
    case 'tiles':
      return `<div class="tiles">${block.tiles
        .map(
          (t) =>
            `<div class="tile ${t.status ?? 'none'}"><div class="label">${escapeHtml(t.label)}</div><div class="value">${escapeHtml(t.value)}</div>${t.note ? `<div class="note">${escapeHtml(t.note)}</div>` : ''}</div>`,
        )
        .join('')}</div>`;
    case 'chart':
      return `<div class="chart"><h3>${escapeHtml(block.title)}</h3>${block.svg}${block.caption ? `<div class="caption">${escapeHtml(block.caption)}</div>` : ''}</div>`;
    case 'table': {
      const title = block.title ? `<h3>${escapeHtml(block.title)}</h3>` : '';
      if (!block.table.rows.length) return `${title}<p class="empty">${escapeHtml(block.table.empty)}</p>`;
      const cls = (c: Column) => (c.numeric ? ' class="num"' : '');
      const head = block.table.columns.map((c) => `<th${cls(c)}>${escapeHtml(c.title)}</th>`).join('');
      const rows = block.table.rows
        .map(
          (row) =>
            `<tr>${row.map((cell, i) => `<td${cls(block.table.columns[i] ?? { title: '' })}>${escapeHtml(cell)}</td>`).join('')}</tr>`,
        )
        .join('');
      return `${title}<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
    }
    case 'text':
      return `<p>${escapeHtml(block.text)}</p>`;
  }
}

/** The report as one self-contained HTML page (inline CSS and SVG): e-mail body and PDF source. */
export function reportHtml(doc: ReportDocument): string {
  const sections = doc.sections
    .map((s) => `<section><h2>${escapeHtml(s.heading)}</h2>${s.blocks.map(blockHtml).join('\n')}</section>`)
    .join('\n');
  const notes = doc.notes.length ? `<div class="notes">${doc.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('')}</div>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`${doc.title} — ${doc.subject} — ${doc.period.date}`)}</title><style>${CSS}</style></head>
<body><div class="report">
<header><h1>${escapeHtml(doc.title)} · ${escapeHtml(doc.subject)}</h1>
<div class="meta">Period: <b>${escapeHtml(periodText(doc.period))}</b><br>
Figures as of <b>${escapeHtml(istDateTime(doc.period.end))}</b>; data read ${escapeHtml(istDateTime(doc.readAt))}<br>
Prepared for <b>${escapeHtml(doc.recipient.login)}</b> (${escapeHtml(doc.recipient.role)}; sees ${escapeHtml(doc.recipient.scope)}), every number read through the Paywatch scope proxy as this person</div></header>
${sections}
${notes}
</div></body></html>`;
}
