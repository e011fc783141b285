// A service's TypeScript entry point as one prebuilt JavaScript file, so it starts without tsx.
//
// Why: an exporter must serve /metrics within 2 s of its start (issue 12). Under `--import tsx`
// a start costs ~0.9 s of CPU, ~0.6 s of it tsx's loader hooks resolving and transforming each of
// the few hundred modules; from a bundle of our own sources (node_modules packages stay outside,
// loaded by Node as usual) the same start costs ~0.35 s of CPU, which is what a loaded 2-core
// machine stretches into seconds. esbuild (tsx's own compiler) builds it in tens of
// milliseconds, so it is built at every launch from the sources and never goes stale; it is not
// committed (dist/ is ignored).
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const built = new Map<string, Promise<string>>();

/**
 * Bundles `entry` (…/<package>/src/<name>.ts) into …/<package>/dist/<name>.mjs and returns that
 * path. The bundle sits at the same depth as the sources, so paths our modules derive from
 * `import.meta.url` (the repository root) stay right. Written to a temporary name and renamed,
 * so launchers building at once never run a half-written file.
 */
export function prebuiltEntry(entry: string): Promise<string> {
  entry = resolve(entry);
  let done = built.get(entry);
  if (!done) {
    done = build(entry);
    built.set(entry, done);
    done.catch(() => built.delete(entry));
  }
  return done;
}

async function build(entry: string): Promise<string> {
  const { build } = await import('esbuild');
  const out = join(dirname(dirname(entry)), 'dist', `${basename(entry, '.ts')}.mjs`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        // npm packages are loaded from node_modules as usual; only our workspaces are bundled.
        name: 'paywatch-workspaces-only',
        setup(on) {
          on.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@paywatch/') || args.path.startsWith('node:') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  mkdirSync(dirname(out), { recursive: true });
  const temporary = `${out}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, result.outputFiles[0]!.contents);
  renameSync(temporary, out);
  return out;
}

// `tsx runtime/src/bundle.ts exporters/src/main.ts`: builds the bundle and prints its path (by name
// too: bundled into a program, import.meta.url is that program's).
if (process.argv[1]?.endsWith('bundle.ts') && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const entry of process.argv.slice(2)) console.log(await prebuiltEntry(entry));
}
