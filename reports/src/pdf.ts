// PDF through Debian's Chromium, driven by playwright-core: never a downloaded browser. One
// browser serves many reports (the scheduler, the benchmark); each report gets its own page.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
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

export interface PdfPrinter {
  print(html: string, doc: ReportDocument): Promise<Buffer>;
  close(): Promise<void>;
}

export async function startPdfPrinter(executablePath = CHROMIUM_PATH): Promise<PdfPrinter> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium is not at ${executablePath}: install Debian's chromium (apt-get install chromium; npm start and npm test do it as root) or set CHROMIUM_BIN`,
    );
  }
  let browser: Browser | undefined = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
  return {
    async print(html, doc) {
      if (!browser) throw new Error('the PDF printer is closed');
      const page = await browser.newPage();
      try {
        // The page is self-contained (inline CSS and SVG): nothing to wait for over the network.
        await page.setContent(html, { waitUntil: 'load' });
        const footer = `<div style="font-size:8px;color:#666;width:100%;padding:0 11mm;display:flex;justify-content:space-between;font-family:'DejaVu Sans',sans-serif"><span>Paywatch · ${escapeHtml(doc.title)} · ${escapeHtml(doc.subject)} · ${escapeHtml(istDate(doc.period.start))} · for ${escapeHtml(doc.recipient.login)}</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`;
        return await page.pdf({
          format: 'A4',
          printBackground: true,
          preferCSSPageSize: true,
          displayHeaderFooter: true,
          headerTemplate: '<span></span>',
          footerTemplate: footer,
        });
      } finally {
        await page.close();
      }
    },
    async close() {
      const b = browser;
      browser = undefined;
      await b?.close();
    },
  };
}
