// The printer's reused pages, on Debian's Chromium and poppler's pdftotext: more reports than pages
// printed at once, each PDF carrying its own report and nothing of the one its page printed before
// (a reused tab must not leak one branch's numbers into another branch's PDF).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireTool } from '@paywatch/runtime';
import type { ReportDocument } from '../src/document.ts';
import { startPdfPrinter } from '../src/pdf.ts';

test('two reused pages print seven reports at once, each PDF only its own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paywatch-pdf-pages-'));
  const printer = await startPdfPrinter(requireTool('chromium'), { pages: 2 });
  try {
    const branches = Array.from({ length: 7 }, (_, i) => `BR${String(i + 1).padStart(4, '0')}`);
    const pdfs = await Promise.all(
      branches.map((branch, i) => {
        // Long and short documents alternate, so a page that held a two-page report next holds a
        // one-page one: nothing of the first may survive into the second.
        const rows = Array.from({ length: i % 2 ? 120 : 3 }, (_, r) => `<p>${branch} row ${r}</p>`).join('');
        const doc = {
          title: 'Branch daily',
          subject: branch,
          period: { date: '2026-12-01', start: 1_796_063_400, end: 1_796_149_799, complete: true },
          recipient: { login: `manager-of-${branch}`, role: 'branch_manager', scope: `branch ${branch}` },
        } as unknown as ReportDocument;
        return printer.print(`<!doctype html><html><body><h1>Report for ${branch}</h1>${rows}</body></html>`, doc);
      }),
    );
    for (const [i, pdf] of pdfs.entries()) {
      const file = join(dir, `${branches[i]}.pdf`);
      writeFileSync(file, pdf);
      const run = spawnSync(requireTool('pdftotext'), ['-layout', file, '-'], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`Report for ${branches[i]}`));
      assert.deepEqual([...new Set(run.stdout.match(/BR\d{4}/g))], [branches[i]], `${branches[i]}'s PDF names only its branch`);
      assert.match(run.stdout, new RegExp(`for manager-of-${branches[i]}`), 'its own footer');
    }
    assert.equal(printer.stats?.printed, 7);
  } finally {
    await printer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a closed printer refuses to print', async () => {
  const printer = await startPdfPrinter(requireTool('chromium'), { pages: 1 });
  await printer.close();
  await assert.rejects(printer.print('<p>x</p>', {} as ReportDocument), /closed/);
});
