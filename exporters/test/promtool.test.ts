// `promtool check metrics` (Prometheus's own linter) reports nothing on any exporter's output.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { requireTool } from '@paywatch/runtime';
import { EXPORTER_NAMES, startExporter } from '../src/index.ts';
import { addActivity, cleanups, seededDatabase } from './fixtures.ts';

test('promtool check metrics is clean on every exporter', async (t) => {
  const defer = cleanups(t);
  const promtool = requireTool('promtool');
  const db = await seededDatabase(defer, 'exporter_promtool');
  await addActivity(db.pool, 1, { yesterday: true });
  await addActivity(db.pool, 2);
  for (const name of EXPORTER_NAMES) {
    await t.test(name, async () => {
      const exporter = await startExporter(name, {
        databaseUrl: db.url,
        port: 0,
        pollIntervalSeconds: 3600,
        log: () => {},
        ...(name === 'lms' ? { lmsHealthUrl: 'http://127.0.0.1:9/health' } : {}),
      });
      try {
        const text = await (await fetch(`${exporter.url}/metrics`)).text();
        assert.ok(text.length > 1000);
        const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
        assert.equal(result.status, 0, `promtool check metrics failed on ${name}:\n${result.stdout}${result.stderr}`);
        assert.equal(`${result.stdout}${result.stderr}`.trim(), '', `promtool reported on ${name}:\n${result.stdout}${result.stderr}`);
      } finally {
        await exporter.stop();
      }
    });
  }
});
