#!/usr/bin/env node
// Entry point of `npm start` and `npm test` on a fresh clone. It has no dependencies of its own:
// it installs the npm packages when they are missing or stale, then hands over to the TypeScript
// command in stack/ (which installs the Debian tools it needs and does the real work).
// `npm test` needs the Grafana plugin's own packages (its type check, lint, Jest and build run);
// `npm start` does not unless there is a Grafana to load the app into: the start step for Grafana
// runs `node scripts/run.mjs plugin` (install the plugin's packages, build plugin/dist) the first
// time, so a start without Grafana skips the plugin's two-to-three-minute install.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const command = process.argv[2];
if (command !== 'start' && command !== 'test' && command !== 'plugin') {
  console.error(`usage: node scripts/run.mjs start|test|plugin [args]  (got ${JSON.stringify(command)})`);
  process.exit(2);
}

/** Installs an npm project's packages when its lock file changed since the last install. */
function ensureNpmPackages(dir) {
  const lock = join(dir, 'package-lock.json');
  const stamp = join(dir, 'node_modules', '.paywatch-install-stamp');
  const manifest = readFileSync(join(dir, 'package.json'));
  const hash = createHash('sha256')
    .update(manifest)
    .update(existsSync(lock) ? readFileSync(lock) : '')
    .digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  const args = existsSync(lock) ? ['ci'] : ['install'];
  args.push('--no-audit', '--no-fund', '--loglevel=error');
  console.log(`paywatch: installing npm packages in ${dir === root ? '.' : dir.slice(root.length + 1)} (npm ${args[0]}) ...`);
  const result = spawnSync('npm', args, { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`paywatch: npm ${args[0]} failed in ${dir}; fix the error above and run again.`);
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, hash);
}

// The Grafana plugin keeps its own create-plugin toolchain and lock file.
const plugin = join(root, 'plugin');
if (command === 'plugin') {
  ensureNpmPackages(plugin);
  console.log('paywatch: building the Grafana app (plugin/dist) ...');
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: plugin, stdio: 'inherit' });
  if (built.status !== 0) console.error('paywatch: the plugin build failed; fix the error above, then: cd plugin && npm run build');
  process.exit(built.status ?? 1);
}
ensureNpmPackages(root);
if (command === 'test') ensureNpmPackages(plugin);

const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const result = spawnSync(process.execPath, [tsx, join(root, 'stack', 'src', 'cli', `${command}.ts`), ...process.argv.slice(3)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
