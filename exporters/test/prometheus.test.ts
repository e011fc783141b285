// A real Prometheus scraping the four exporters answers the customer's own query,
// sum(rate(payments_total[5m])) by (channel), with the channels payments are flowing on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promQuery, startPrometheus, waitFor } from '@paywatch/runtime';
import { EXPORTER_NAMES, startExporter } from '../src/index.ts';
import { addActivity, cleanups, seededDatabase } from './fixtures.ts';

const CHANNELS = ['upi', 'card', 'nach'];

test('Prometheus scrapes all four exporters and answers sum(rate(payments_total[5m])) by (channel)', async (t) => {
  const defer = cleanups(t);
  const db = await seededDatabase(defer, 'exporter_prometheus');
  await addActivity(db.pool, 1);

  const exporters = await Promise.all(
    EXPORTER_NAMES.map((name) =>
      startExporter(name, { databaseUrl: db.url, port: 0, pollIntervalSeconds: 0.5, safetyLagSeconds: 0.5, log: () => {} }),
    ),
  );
  defer(() => Promise.all(exporters.map((e) => e.stop())));

  // The payments engine at work: successful payments on three channels, a few a second.
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      await db.pool.query(
        `INSERT INTO payments (branch, channel, gateway, status, amount_inr, loan_ref, created_at, completed_at)
         SELECT 'BR000' || (1 + g % 3), c, CASE WHEN c = 'card' THEN 'gateway_a' END, 'success', 100 + g, 'LNP' || g, now() - interval '2 seconds', now()
         FROM unnest($1::text[]) AS c, generate_series(1, 3) AS g`,
        [CHANNELS],
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  defer(async () => {
    writing = false;
    await writer;
  });

  const dir = mkdtempSync(join(tmpdir(), 'paywatch-prometheus-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  const jobs = exporters
    .map((e) => `  - job_name: ${e.name}\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['${new URL(e.url).host}']`)
    .join('\n');
  const prometheus = await startPrometheus({
    dir,
    config: `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${jobs}\n`,
  });
  defer(() => prometheus.stop());

  const result = await waitFor(
    async () => {
      const vector = await promQuery(prometheus.url, 'sum(rate(payments_total[5m])) by (channel)');
      const flowing = vector.filter((sample) => Number(sample.value[1]) > 0).map((sample) => sample.metric.channel);
      return CHANNELS.every((channel) => flowing.includes(channel)) ? vector : false;
    },
    { what: 'rates for upi, card and nach', timeoutMs: 60_000, intervalMs: 500 },
  );
  const byChannel = Object.fromEntries(result.map((sample) => [sample.metric.channel, Number(sample.value[1])]));
  for (const channel of CHANNELS) assert.ok(byChannel[channel]! > 0, `${channel} has a rate`);
  // Every series is labelled by channel only, and the channels are the contract's.
  for (const sample of result) {
    assert.deepEqual(Object.keys(sample.metric), ['channel']);
    assert.ok(['cash', 'upi', 'upi_autopay', 'qr', 'bbps', 'nach', 'card', 'netbanking'].includes(sample.metric.channel!));
  }

  const up = await promQuery(prometheus.url, 'up');
  assert.deepEqual(up.map((s) => [s.metric.job, s.value[1]]).sort(), EXPORTER_NAMES.map((name) => [name, '1']).sort());
  const sourceUp = await promQuery(prometheus.url, 'paywatch_exporter_source_up');
  assert.deepEqual(sourceUp.map((s) => [s.metric.exporter, s.value[1]]).sort(), EXPORTER_NAMES.map((name) => [name, '1']).sort());
});
