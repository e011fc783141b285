// The pinned Go tools (tools/): each folder is a wrapper module of ours that the builder's table,
// the README's table and Docker Compose agree on, and that carries no upstream code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GO_TOOLS, pinnedVersion, releaseOf, type GoToolName, requireTool } from '@paywatch/runtime';
import { repoRoot } from '../src/paths.ts';

const toolsDir = join(repoRoot, 'tools');
const folders = readdirSync(toolsDir).filter((entry) => statSync(join(toolsDir, entry)).isDirectory());

test('every tools/ folder has a builder row and every row a folder', () => {
  assert.deepEqual([...folders].sort(), Object.keys(GO_TOOLS).sort());
});

test('each wrapper module requires its upstream module, keeps the commands in tools.go, and holds only our files', () => {
  for (const tool of folders as GoToolName[]) {
    assert.match(pinnedVersion(tool), /^v\d+\.\d+\.\d+$/, `tools/${tool}/go.mod pins a release`);
    const toolsGo = readFileSync(join(toolsDir, tool, 'tools.go'), 'utf8');
    assert.match(toolsGo, /^\/\/go:build tools$/m, `tools/${tool}/tools.go is behind the tools build tag`);
    for (const pkg of Object.values(GO_TOOLS[tool].binaries)) {
      const path = pkg ? `${GO_TOOLS[tool].module}/${pkg}` : GO_TOOLS[tool].module;
      assert.ok(toolsGo.includes(`_ "${path}"`), `tools/${tool}/tools.go blank-imports ${path}`);
    }
    const tracked = spawnSync('git', ['ls-files', '--others', '--cached', '--exclude-standard', join('tools', tool)], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    const files = tracked.stdout
      .split('\n')
      .filter(Boolean)
      .map((file) => file.slice(`tools/${tool}/`.length));
    assert.deepEqual(files.sort(), ['go.mod', 'go.sum', 'tools.go'], `tools/${tool} holds only go.mod, go.sum and tools.go`);
  }
});

test("the README's table names every pinned tool with its module", () => {
  const readme = readFileSync(join(toolsDir, 'README.md'), 'utf8');
  for (const [tool, spec] of Object.entries(GO_TOOLS)) {
    assert.match(readme, new RegExp(`^\\| \`${tool}/\` \\| \`${spec.module}\` \\|`, 'm'), `tools/README.md has a row for ${tool}`);
  }
});

test('Prometheus 3.x is named from its Go module version', () => {
  assert.match(pinnedVersion('prometheus'), /^v0\.3\d\d\.\d+$/);
  assert.match(releaseOf('prometheus'), /^3\.\d+\.\d+$/);
});

test('Docker Compose runs the same Prometheus and Alertmanager as the local stack', () => {
  const compose = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
  assert.match(compose, new RegExp(`image: prom/prometheus:v${releaseOf('prometheus').replace(/\./g, '\\.')}$`, 'm'));
  assert.match(compose, new RegExp(`image: prom/alertmanager:v${releaseOf('alertmanager').replace(/\./g, '\\.')}$`, 'm'));
});

test('the built Prometheus, promtool, Alertmanager and amtool report the pinned versions', () => {
  for (const [tool, binary] of [
    ['prometheus', 'prometheus'],
    ['prometheus', 'promtool'],
    ['alertmanager', 'alertmanager'],
    ['alertmanager', 'amtool'],
  ] as const) {
    const result = spawnSync(requireTool(binary), ['--version'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      `${result.stdout}${result.stderr}`,
      new RegExp(`version ${releaseOf(tool).replace(/\./g, '\\.')}\\b`),
      `${binary} --version`,
    );
  }
});
