// The cached, chunked rendering gives exactly the text a full render of the same values gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  CounterFamily,
  GaugeFamily,
  HistogramFamily,
  gzipFamilies,
  renderFamilies,
  renderFamiliesInTurns,
} from '../src/core/exposition.ts';

function families() {
  return {
    counter: new CounterFamily('things_total', 'Things, with "quotes" and \\ backslashes', ['branch', 'officer'], 100),
    gauge: new GaugeFamily('things_waiting', 'Waiting things', ['branch']),
    histogram: new HistogramFamily('thing_seconds', 'Thing time', ['branch'], [0.5, 1, 5]),
  };
}

const text = (f: ReturnType<typeof families>) => Buffer.concat(renderFamilies([f.counter, f.gauge, f.histogram])).toString();

test('incremental rendering equals a fresh render after changes, zeroing and removal', () => {
  const live = families();
  const apply = (f: ReturnType<typeof families>, step: number) => {
    for (let i = 0; i < 300; i++) if ((i * 7 + step) % 5 === 0) f.counter.add([`BR${i % 40}`, `BR${i % 40}-FO${i}`], i * 101 + step);
    f.gauge.replace(
      Array.from({ length: 200 - step * 30 }, (_, i) => ({ labels: [`BR${i}`], value: (i + step) % 4 })),
      { keepAtZero: step % 2 === 0 },
    );
    f.histogram.add([`BR${step}`], [1, 2, 3], 4, 7.25 + step);
  };
  const steps: number[] = [];
  for (let step = 0; step < 6; step++) {
    apply(live, step);
    steps.push(step);
    const fresh = families();
    // The fresh families see the same history; only the live ones reuse cached chunks.
    for (const s of steps) apply(fresh, s);
    assert.equal(text(live), text(fresh), `after step ${step}`);
  }
  const rendered = text(live);
  assert.match(rendered, /# HELP things_total Things, with "quotes" and \\\\ backslashes\n# TYPE things_total counter\n/);
  assert.match(rendered, /things_total\{branch="BR0",officer="BR0-FO0"\} \d+(\.\d+)?\n/);
  assert.match(rendered, /thing_seconds_bucket\{branch="BR1",le="\+Inf"\} 4\n/);
  // i = 0 got 0 units at step 0 and 5 at step 5: 5 paise, exported as 0.05.
  assert.equal(live.counter.get(['BR0', 'BR0-FO0']), 0.05);
});

test('label values are escaped', () => {
  const gauge = new GaugeFamily('branch_thing', 'x', ['branch']);
  gauge.set(['Madurai "Central"\\\n'], 1);
  assert.equal(Buffer.concat(gauge.render()).toString().split('\n')[2], 'branch_thing{branch="Madurai \\"Central\\"\\\\\\n"} 1');
});

test('the gzipped exposition (gzip members by group of chunks) unzips to the plain text, after changes too', async () => {
  const f = families();
  const all = [f.counter, f.gauge, f.histogram];
  for (let step = 0; step < 4; step++) {
    // Enough series for several 256 KiB slices of text.
    for (let i = 0; i < 20_000; i++) if ((i + step) % 3 === 0) f.counter.add([`BR${i % 50}`, `BR${i % 50}-FO${i}`], i + step);
    f.gauge.replace(
      Array.from({ length: 100 + step * 10 }, (_, i) => ({ labels: [`BR${i}`], value: i * step })),
      { keepAtZero: false },
    );
    f.histogram.add([`BR${step}`], [1, 1, 2], 3, 4.5);
    // Rendered in turns as a poll does, then compared with a render of the same families.
    const plain = await renderFamiliesInTurns(all);
    const text = Buffer.concat(plain).toString();
    assert.equal(gunzipSync(Buffer.concat(await gzipFamilies(all))).toString(), text, `after step ${step}`);
    assert.equal(text, Buffer.concat(renderFamilies(all)).toString());
    assert.match(text, /# TYPE thing_seconds histogram\n/);
  }
});
