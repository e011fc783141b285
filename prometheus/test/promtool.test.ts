// The committed Prometheus files pass the real tools: promtool check rules/config, promtool's
// unit tests of every alert and recording rule, and the blackbox prober's own config check.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, requireTool } from '@paywatch/runtime';

const dir = join(repoRoot, 'prometheus');

function run(tool: string, args: string[]) {
  const result = spawnSync(tool, args, { cwd: dir, encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

test('promtool check rules: every generated rule file is valid', () => {
  const files = readdirSync(join(dir, 'rules'))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => `rules/${f}`);
  assert.ok(files.length >= 2);
  const { ok, output } = run(requireTool('promtool'), ['check', 'rules', ...files]);
  assert.ok(ok, output);
});

test('promtool check config: prometheus.yml and the rules it loads', () => {
  const { ok, output } = run(requireTool('promtool'), ['check', 'config', 'prometheus.yml']);
  assert.ok(ok, output);
});

test('promtool test rules: every alert fires and stays quiet where it should; recording rules compute what they say', () => {
  const files = readdirSync(join(dir, 'tests'))
    .filter((f) => f.endsWith('.test.yml'))
    .map((f) => `tests/${f}`);
  const { ok, output } = run(requireTool('promtool'), ['test', 'rules', ...files]);
  assert.ok(ok, output);
  assert.equal(output.match(/SUCCESS/g)?.length, files.length, output);
});

test('blackbox prober accepts blackbox.yml', () => {
  const { ok, output } = run(requireTool('blackbox'), ['--config.check', '--config.file=blackbox.yml']);
  assert.ok(ok, output);
});
