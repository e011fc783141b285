// Package boundaries: every workspace declares the workspaces it imports, imports them through
// their package name (never by a relative path into another folder), and nothing below stack/
// (the top layer: npm start, npm test) imports stack/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@paywatch/runtime';

interface Manifest {
  name: string;
  exports?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const rootManifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] };
const workspaces = rootManifest.workspaces.map((folder) => ({
  folder,
  manifest: JSON.parse(readFileSync(join(repoRoot, folder, 'package.json'), 'utf8')) as Manifest,
}));
const byName = new Map(workspaces.map((w) => [w.manifest.name, w]));
/** plugin/ is its own npm project (Grafana's toolchain), not a workspace: tests may read its query table by path. */
const OUTSIDE_PROJECTS = ['plugin'];
/** Folders outside any workspace whose TypeScript imports workspaces too (tests of generated config, benchmarks). */
const LOOSE_FOLDERS = ['prometheus', 'bench'];

function typescriptFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...typescriptFiles(path));
    else if (entry.endsWith('.ts')) found.push(path);
  }
  return found;
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g))
    found.push((match[1] ?? match[2])!);
  return found;
}

/** The top folder a path is in (its workspace or loose folder). */
const folderOf = (path: string) => relative(repoRoot, path).split('/')[0]!;

test('every workspace exports a chosen surface, not every file', () => {
  for (const { folder, manifest } of workspaces) {
    assert.ok(manifest.exports, `${folder}/package.json has "exports"`);
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      assert.ok(
        !subpath.includes('*') && !target.includes('*'),
        `${folder}/package.json exports ${subpath} -> ${target}: name each entry point, no wildcards`,
      );
    }
    assert.ok(manifest.exports['.'], `${folder}/package.json exports "." (its index.ts)`);
  }
});

test('imports of other workspaces go through their package name and are declared', () => {
  const problems: string[] = [];
  for (const folder of [...workspaces.map((w) => w.folder), ...LOOSE_FOLDERS]) {
    const own = workspaces.find((w) => w.folder === folder)?.manifest;
    const declared = new Set([...Object.keys(own?.dependencies ?? {}), ...Object.keys(own?.devDependencies ?? {})]);
    for (const file of typescriptFiles(join(repoRoot, folder))) {
      const where = relative(repoRoot, file);
      for (const specifier of specifiers(file)) {
        if (specifier.startsWith('.')) {
          const target = folderOf(resolve(dirname(file), specifier));
          if (target !== folder && !OUTSIDE_PROJECTS.includes(target))
            problems.push(
              `${where} imports ${specifier} by path: import '${byName.has(`@paywatch/${target}`) ? `@paywatch/${target}` : target}' through its exports instead`,
            );
          continue;
        }
        const name = /^@paywatch\/[^/]+/.exec(specifier)?.[0];
        if (!name || !own || name === own.name) continue;
        if (!declared.has(name))
          problems.push(`${where} imports ${specifier}, but ${folder}/package.json does not declare ${name}: add "${name}": "*"`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('nothing below stack/ imports stack/', () => {
  const problems: string[] = [];
  for (const folder of [...workspaces.map((w) => w.folder), ...LOOSE_FOLDERS]) {
    if (folder === 'stack') continue;
    for (const file of typescriptFiles(join(repoRoot, folder))) {
      for (const specifier of specifiers(file)) {
        const intoStack =
          specifier.startsWith('@paywatch/stack') || (specifier.startsWith('.') && folderOf(resolve(dirname(file), specifier)) === 'stack');
        if (intoStack) problems.push(`${relative(repoRoot, file)} imports ${specifier}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the image (docker/paywatch.Dockerfile) installs and copies every workspace', () => {
  const dockerfile = readFileSync(join(repoRoot, 'docker', 'paywatch.Dockerfile'), 'utf8');
  for (const { folder } of workspaces) {
    assert.match(
      dockerfile,
      new RegExp(`^COPY ${folder}/package\\.json ${folder}/$`, 'm'),
      `the Dockerfile copies ${folder}/package.json before npm ci`,
    );
    // testing/ holds test fixtures only: the image runs no tests (its .dockerignore drops test/).
    if (folder !== 'testing') assert.match(dockerfile, new RegExp(`^COPY ${folder} ${folder}$`, 'm'), `the Dockerfile copies ${folder}/`);
  }
});
