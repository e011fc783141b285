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

test('a series is found by the labels it is exported with, for values that need escaping and UTF-8 too', () => {
  // The exposition format's escaping, written here on its own: what the rendered text must say.
  const escaped = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
  const branches = ['Madurai "Central"', 'C:\\BR\\07\\', 'two\nlines', 'मदुरै शाखा', 'Kochi 🌴', '"\\\n', 'BR0001', ''];
  const counter = new CounterFamily('odd_total', 'x', ['branch', 'officer']);
  const gauge = new GaugeFamily('odd_waiting', 'x', ['branch']);
  const histogram = new HistogramFamily('odd_seconds', 'x', ['branch'], [1]);
  for (let poll = 1; poll <= 3; poll++) {
    for (const branch of branches) {
      counter.add([branch, 'FO1'], 2);
      histogram.add([branch], [1], 1, 0.5);
    }
    // Each poll looks every row up again: a row whose lookup missed its series would add another.
    gauge.replace(
      branches.map((branch, i) => ({ labels: [branch], value: i + poll })),
      { keepAtZero: false },
    );
    assert.equal(counter.size, branches.length, `after poll ${poll}`);
    assert.equal(gauge.size, branches.length, `after poll ${poll}`);
    assert.equal(histogram.size, branches.length, `after poll ${poll}`);
  }
  branches.forEach((branch, i) => {
    assert.equal(counter.get([branch, 'FO1']), 6, branch);
    assert.equal(gauge.get([branch]), i + 3, branch);
    assert.equal(histogram.get([branch])?.count, 3, branch);
  });
  assert.equal(
    Buffer.concat(counter.render()).toString(),
    `# HELP odd_total x\n# TYPE odd_total counter\n${branches.map((branch) => `odd_total{branch="${escaped(branch)}",officer="FO1"} 6\n`).join('')}`,
  );
  assert.equal(
    Buffer.concat(gauge.render()).toString(),
    `# HELP odd_waiting x\n# TYPE odd_waiting gauge\n${branches.map((branch, i) => `odd_waiting{branch="${escaped(branch)}"} ${i + 3}\n`).join('')}`,
  );
  assert.match(Buffer.concat(histogram.render()).toString(), /\nodd_seconds_bucket\{branch="two\\nlines",le="\+Inf"\} 3\n/);
  // Two label sets whose values would read alike unescaped are two series.
  counter.add(['a",officer="b', 'c'], 1);
  counter.add(['a', 'b",officer="c'], 1);
  assert.equal(counter.size, branches.length + 2);
  assert.equal(counter.get(['a",officer="b', 'c']), 1);
  assert.match(Buffer.concat(counter.render()).toString(), /\nodd_total\{branch="a",officer="b\\",officer=\\"c"\} 1\n$/);
});

test('gzipping changes not yet rendered is refused', async () => {
  const gauge = new GaugeFamily('things_waiting', 'Waiting things', ['branch']);
  gauge.set(['BR0001'], 1);
  await assert.rejects(gzipFamilies([gauge]), /things_waiting: gzipped with changes not yet rendered/);
  const text = Buffer.concat(await renderFamiliesInTurns([gauge])).toString();
  assert.equal(gunzipSync(Buffer.concat(await gzipFamilies([gauge]))).toString(), text);
  assert.match(text, /\nthings_waiting\{branch="BR0001"\} 1\n$/);
});
