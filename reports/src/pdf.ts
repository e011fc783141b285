// PDF through Debian's Chromium, driven by playwright-core: never a downloaded browser. One
// browser serves many reports (the scheduler, the benchmark) on a small pool of reused pages.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ReportDocument } from './document.ts';
import { escapeHtml, istDate } from './format.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** Where a printer's time went (the benchmark reads it): loading pages and printing them. */
export interface PrintStats {
  printed: number;
  loadMs: number;
  printMs: number;
}

export interface PdfPrinter {
  print(html: string, doc: ReportDocument): Promise<Buffer>;
  close(): Promise<void>;
  readonly stats?: PrintStats;
}

export interface PrinterOptions {
  /**
   * Pages printing at once (default 2). Each is a Chromium tab kept open and reused for report
   * after report: a new tab costs a renderer round trip and a fresh layout context every time.
   */
  pages?: number;
}

export async function startPdfPrinter(executablePath = CHROMIUM_PATH, options: PrinterOptions = {}): Promise<PdfPrinter> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium is not at ${executablePath}: install Debian's chromium (apt-get install chromium; npm start and npm test do it as root) or set CHROMIUM_BIN`,
    );
  }
  const size = Math.max(1, options.pages ?? 2);
  let browser: Browser | undefined = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
  const stats: PrintStats = { printed: 0, loadMs: 0, printMs: 0 };
  const idle: Page[] = [];
  const waiting: Array<(page: Page | undefined) => void> = [];
  let open = 0;

  /** A free page: an idle one, a new one while fewer than `size` exist, else the next one freed. */
  const acquire = async (): Promise<Page> => {
    const free = idle.pop();
    if (free) return free;
    if (open < size) {
      if (!browser) throw new Error('the PDF printer is closed');
      open++;
      try {
        return await browser.newPage();
      } catch (error) {
        open--;
        throw error;
      }
    }
    const page = await new Promise<Page | undefined>((resolve) => waiting.push(resolve));
    return page ?? acquire();
  };
  /** Hands a page to the next waiting print, or keeps it; a page that failed is closed, not reused. */
  const release = (page: Page, healthy: boolean) => {
    if (!healthy || !browser) {
      open--;
      void page.close().catch(() => undefined);
      waiting.shift()?.(undefined);
      return;
    }
    const next = waiting.shift();
    if (next) next(page);
    else idle.push(page);
  };

  return {
    stats,
    async print(html, doc) {
      if (!browser) throw new Error('the PDF printer is closed');
      const page = await acquire();
      let healthy = false;
      try {
        // The page is self-contained (inline CSS and SVG, local fonts): nothing to wait for over
        // the network. setContent replaces the previous report's document in the reused tab.
        let t = performance.now();
        await page.setContent(html, { waitUntil: 'load' });
        stats.loadMs += performance.now() - t;
        t = performance.now();
        const footer = `<div style="font-size:8px;color:#666;width:100%;padding:0 11mm;display:flex;justify-content:space-between;font-family:'DejaVu Sans',sans-serif"><span>Paywatch · ${escapeHtml(doc.title)} · ${escapeHtml(doc.subject)} · ${escapeHtml(istDate(doc.period.start))} · for ${escapeHtml(doc.recipient.login)}</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`;
        const pdf = await page.pdf({
          format: 'A4',
          printBackground: true,
          preferCSSPageSize: true,
          displayHeaderFooter: true,
          headerTemplate: '<span></span>',
          footerTemplate: footer,
        });
        stats.printMs += performance.now() - t;
        stats.printed++;
        healthy = true;
        return pdf;
      } finally {
        release(page, healthy);
      }
    },
    async close() {
      const b = browser;
      browser = undefined;
      for (const resolve of waiting.splice(0)) resolve(undefined);
      idle.length = 0;
      await b?.close();
    },
  };
}
