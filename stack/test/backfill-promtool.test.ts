// The backfill's promtool runs (runtime/src/promtool.ts), on the real pinned promtool: the
// block table it prints is read into blocks and samples, and a failed run rejects naming the
// command and repeating what promtool said.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { blockTable, importOpenMetrics, promtool } from '@paywatch/runtime';
import { samplesIn } from '../src/backfill/rules.ts';

test('an import and its listing report the same blocks and samples', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paywatch-promtool-'));
  try {
    const lines = ['# TYPE payments counter'];
    for (let i = 0; i < 5; i++) lines.push(`payments_total{branch="BR0001"} ${i} ${1_767_225_600 + i * 60}`);
    writeFileSync(join(dir, 'in.om'), `${lines.join('\n')}\n# EOF\n`);
    const imported = await importOpenMetrics(join(dir, 'in.om'), join(dir, 'blocks'));
    assert.deepEqual(imported, { blocks: 1, samples: 5 });
    assert.deepEqual(await samplesIn(join(dir, 'blocks')), { blocks: 1, samples: 5 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failed run rejects with the command, where it ran and promtool's own words", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paywatch-promtool-'));
  try {
    writeFileSync(join(dir, 'bad.om'), 'payments_total{branch="BR0001" 1\n');
    await assert.rejects(promtool(['tsdb', 'create-blocks-from', 'openmetrics', 'bad.om', 'blocks'], dir), (error: Error) => {
      assert.match(error.message, /^promtool tsdb create-blocks-from openmetrics bad\.om blocks \(in .*paywatch-promtool-.*\) exited 1:\n/);
      assert.match(error.message, /expected comma or brace close/, 'what promtool said');
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the block table: one row a block, the header and other lines ignored', () => {
  const text = [
    'BLOCK ULID                  MIN TIME       MAX TIME       DURATION     NUM SAMPLES  NUM CHUNKS   NUM SERIES   SIZE',
    '01JG8Z4K3M5N6P7Q8R9S0T1V2W  1767225600000  1767232800000  2h0m0s       1200         40           20           4.1KiB',
    '01JG8Z4K3M5N6P7Q8R9S0T1V2X  1767232800000  1767240000000  2h0m0s       30           2            2            900B',
    'level=info msg="something else"',
  ].join('\n');
  assert.deepEqual(blockTable(text), { blocks: 2, samples: 1230 });
  assert.deepEqual(blockTable(''), { blocks: 0, samples: 0 });
});
