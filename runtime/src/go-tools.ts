// Builds the outside programs Paywatch pins as Go modules (tools/<tool>/go.mod, see tools/README.md)
// into the user's cache directory, once per pinned version, with Go's own module and build caches
// (outside the clone), so a second run, a second clone and CI on the same machine reuse them.
//
//   npx tsx runtime/src/go-tools.ts build prometheus alertmanager   build when missing (progress on stderr)
//   npx tsx runtime/src/go-tools.ts path promtool                   print the binary's path, building it if needed
//   npx tsx runtime/src/go-tools.ts list                             what is pinned, and what is built
//
// Synchronous callers (findTool/requireTool in tools.ts) run this file as a child process, so every
// caller gets the same progress lines and the same lock against two concurrent builds.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './paths.ts';

export interface GoTool {
  /** The upstream module tools/<tool>/go.mod requires; its pinned version names the build. */
  module: string;
  /** Binary name → the package to build, relative to the module ('' for the module's root). */
  binaries: Record<string, string>;
  /** The release name people know from the module version (Prometheus 3.13.5 is v0.313.5). */
  release?: (moduleVersion: string) => string;
  /** Linker flags, given the release (e.g. to stamp the version `--version` prints). */
  ldflags?: (release: string) => string[];
  /** Build tags upstream's own release build uses, when the binary needs them. */
  tags?: string[];
  /**
   * A Go toolchain newer than the machine's, when upstream's go.mod needs one: the go command
   * fetches it from the Go module proxy (GOTOOLCHAIN) for this build only.
   */
  toolchain?: string;
  /**
   * Files upstream embeds (//go:embed) but does not publish in its Go module, such as a web UI
   * built by npm in its release process: path inside the module → stand-in content (see
   * prepareStandIns; the module cache is never written to).
   */
  embedStandIns?: Record<string, string>;
}

/** What a web UI left out of the Go module shows instead (the HTTP API is complete). */
const uiStandIn = (name: string) =>
  `<!doctype html><title>${name}</title><p>${name} was built by Paywatch from its Go module, which does not ` +
  `carry the web UI's built assets: the HTTP API under /api/ is complete. Use the release image for the UI.</p>\n`;

/** github.com/prometheus/common's version stamp, which every Prometheus-project binary prints. */
const prometheusVersionStamp = (release: string) => [
  `-X github.com/prometheus/common/version.Version=${release}`,
  '-X github.com/prometheus/common/version.Branch=paywatch-pinned',
  '-X github.com/prometheus/common/version.BuildUser=paywatch',
];
const plainRelease = (version: string) => version.replace(/^v/, '');

/** The pinned tools: one row per folder under tools/ (the folder name is the key). */
export const GO_TOOLS = {
  prometheus: {
    module: 'github.com/prometheus/prometheus',
    binaries: { prometheus: 'cmd/prometheus', promtool: 'cmd/promtool' },
    // Prometheus 3.x is published to Go as v0.3xx.y: v0.313.5 is 3.13.5.
    release: (version) => {
      const match = /^v0\.(\d)(\d\d)\.(\d+)$/.exec(version);
      return match ? `${match[1]}.${Number(match[2])}.${match[3]}` : plainRelease(version);
    },
    ldflags: prometheusVersionStamp,
  },
  alertmanager: {
    module: 'github.com/prometheus/alertmanager',
    binaries: { alertmanager: 'cmd/alertmanager', amtool: 'cmd/amtool' },
    ldflags: prometheusVersionStamp,
    // ui/web.go embeds ui/app/dist, which upstream builds with npm and leaves out of the module.
    embedStandIns: {
      'ui/app/dist/elm/index.html': uiStandIn('Alertmanager'),
      'ui/app/dist/mantine/index.html': uiStandIn('Alertmanager'),
    },
  },
  'prom-label-proxy': {
    module: 'github.com/prometheus-community/prom-label-proxy',
    binaries: { 'prom-label-proxy': '' },
  },
  thanos: {
    module: 'github.com/thanos-io/thanos',
    binaries: { thanos: 'cmd/thanos' },
    ldflags: prometheusVersionStamp,
    // Upstream's release build (.promu.yml) uses Prometheus's slice-backed labels: Thanos's label
    // protobufs read them in place, and with the default string-backed labels its sidecar panics
    // on the first gRPC call (a negative message size).
    tags: ['slicelabels'],
    // v0.42.5's go.mod needs Go 1.26.10, newer than the machine's 1.26.8: the go command takes
    // go1.27.3 from the Go module proxy for this build.
    toolchain: 'go1.27.3',
  },
} satisfies Record<string, GoTool>;

export type GoToolName = keyof typeof GO_TOOLS;

export function isGoTool(name: string): name is GoToolName {
  return Object.hasOwn(GO_TOOLS, name);
}

/** ${XDG_CACHE_HOME:-$HOME/.cache}/paywatch/tools: where built tools live, outside any clone. */
export function toolsCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'paywatch', 'tools');
}

/** The pinned module version, read from tools/<tool>/go.mod (the one place it is written). */
export function pinnedVersion(tool: GoToolName): string {
  const goMod = readFileSync(join(repoRoot, 'tools', tool, 'go.mod'), 'utf8');
  const spec: GoTool = GO_TOOLS[tool];
  const escaped = spec.module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`tools/${tool}/go.mod does not require ${spec.module}; see tools/README.md`);
  return match[1];
}

export function releaseOf(tool: GoToolName): string {
  const spec: GoTool = GO_TOOLS[tool];
  const version = pinnedVersion(tool);
  return (spec.release ?? plainRelease)(version);
}

/** Where the tool's binaries go: <cache>/paywatch/tools/<tool>-<release>/. */
export function buildDir(tool: GoToolName): string {
  return join(toolsCacheDir(), `${tool}-${releaseOf(tool)}`);
}

/** What a build depends on: the wrapper module and this row; a different stamp means rebuild. */
function buildStamp(tool: GoToolName): string {
  const spec: GoTool = GO_TOOLS[tool];
  const release = releaseOf(tool);
  return createHash('sha256')
    .update(readFileSync(join(repoRoot, 'tools', tool, 'go.mod')))
    .update(readFileSync(join(repoRoot, 'tools', tool, 'go.sum')))
    .update(
      JSON.stringify({
        binaries: spec.binaries,
        ldflags: spec.ldflags?.(release) ?? [],
        tags: spec.tags ?? [],
        toolchain: spec.toolchain ?? '',
        standIns: spec.embedStandIns ?? {},
      }),
    )
    .digest('hex');
}

/** The built binary's path when it is there and current, else undefined. */
export function builtBinary(tool: GoToolName, binary: string): string | undefined {
  const dir = buildDir(tool);
  const path = join(dir, binary);
  try {
    if (readFileSync(join(dir, '.paywatch-build'), 'utf8').split('\n')[0] !== buildStamp(tool)) return undefined;
  } catch {
    return undefined;
  }
  return existsSync(path) ? path : undefined;
}

/** The Go version on PATH, or undefined when there is no `go`. */
export function goVersion(): string | undefined {
  const result = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export function goMissingMessage(tool: GoToolName): string {
  return (
    `Go is not installed, and ${tool} ${releaseOf(tool)} is built from the Go module proxy with it ` +
    `(tools/${tool}/go.mod says which Go). Install Go (the go command on PATH), ` +
    `or name a binary you have with the tool's *_BIN variable (see tools/README.md).`
  );
}

function seconds(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * Holds a lock directory while fn runs, so two test processes (or `npm test` and `npm start`)
 * never build the same tool at once; a lock whose process is gone is taken over.
 */
async function withLock<T>(tool: GoToolName, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  const lock = join(toolsCacheDir(), `.${tool}-${releaseOf(tool)}.lock`);
  mkdirSync(toolsCacheDir(), { recursive: true });
  const started = Date.now();
  let told = 0;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      let alive = false;
      try {
        if (holder) process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        alive = false;
      }
      // A lock with no pid yet may be one being written this instant: give it a few seconds.
      if (!alive && (holder || Date.now() - started > 5000)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - told > 30_000) {
        log(`${tool}: another process (pid ${holder || '?'}) is building it; waiting (${seconds(started)})`);
        told = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Runs a go command in the tool's folder, calling onLine for each output line. */
function runGo(tool: GoToolName, args: string[], onLine: (line: string) => void): Promise<{ code: number; tail: string[] }> {
  return new Promise((resolve, reject) => {
    const spec: GoTool = GO_TOOLS[tool];
    const env = spec.toolchain ? { ...process.env, GOTOOLCHAIN: spec.toolchain } : process.env;
    const child = spawn('go', args, { cwd: join(repoRoot, 'tools', tool), stdio: ['ignore', 'pipe', 'pipe'], env });
    const tail: string[] = [];
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        onLine(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, tail }));
  });
}

/**
 * Go refuses overlays into its module cache, so a tool with embed stand-ins builds from a copy of
 * the upstream module outside the clone (<cache>/paywatch/tools/.src/), stand-ins added, through a
 * temporary go.mod (-modfile) that replaces the module with that copy. Returns the go.mod's path.
 */
async function prepareStandIns(tool: GoToolName, standIns: Record<string, string>, staging: string): Promise<string> {
  const spec: GoTool = GO_TOOLS[tool];
  const lines: string[] = [];
  const found = await runGo(tool, ['list', '-m', '-f', '{{.Dir}}', spec.module], (line) => lines.push(line));
  const moduleDir = lines.at(-1);
  if (found.code !== 0 || !moduleDir)
    throw new Error(`${tool}: cannot find ${spec.module} in Go's module cache:\n${found.tail.join('\n')}`);
  const source = join(toolsCacheDir(), '.src', `${tool}-${releaseOf(tool)}`);
  rmSync(source, { recursive: true, force: true });
  mkdirSync(dirname(source), { recursive: true });
  cpSync(moduleDir, source, { recursive: true });
  spawnSync('chmod', ['-R', 'u+w', source]);
  for (const [inModule, content] of Object.entries(standIns)) {
    mkdirSync(dirname(join(source, inModule)), { recursive: true });
    writeFileSync(join(source, inModule), content);
  }
  const modDir = `${staging}.mod`;
  rmSync(modDir, { recursive: true, force: true });
  mkdirSync(modDir, { recursive: true });
  const wrapper = join(repoRoot, 'tools', tool);
  writeFileSync(join(modDir, 'go.mod'), `${readFileSync(join(wrapper, 'go.mod'), 'utf8')}\nreplace ${spec.module} => ${source}\n`);
  copyFileSync(join(wrapper, 'go.sum'), join(modDir, 'go.sum'));
  return join(modDir, 'go.mod');
}

/**
 * Builds a tool's binaries into buildDir(tool) unless they are there and current. Progress goes
 * to log: what is downloaded, how many packages compiled, elapsed time every 15 seconds.
 * Returns the directory.
 */
export async function buildGoTool(
  tool: GoToolName,
  log: (line: string) => void = (line) => console.error(`paywatch tools: ${line}`),
): Promise<string> {
  const spec: GoTool = GO_TOOLS[tool];
  const dir = buildDir(tool);
  const release = releaseOf(tool);
  const isCurrent = () => Object.keys(spec.binaries).every((binary) => builtBinary(tool, binary));
  if (isCurrent()) return dir;
  const go = goVersion();
  if (!go) throw new Error(goMissingMessage(tool));
  return withLock(tool, log, async () => {
    if (isCurrent()) return dir; // another process built it while we waited
    const started = Date.now();
    log(
      `${tool} ${release}: building ${Object.keys(spec.binaries).join(', ')} from ${spec.module}@${pinnedVersion(tool)} with ${go} into ${dir}`,
    );
    log(
      `${tool}: a first build downloads its modules and compiles them (Prometheus or Thanos: about 10 minutes of CPU on two cores, longer on a busy machine); later builds reuse Go's caches (seconds)`,
    );

    // 1. Modules (Go's module cache; a no-op when they are there already).
    let downloaded = 0;
    let last = '';
    let ticker = setInterval(
      () => log(`${tool}: downloading modules: ${downloaded} fetched${last ? `, last ${last}` : ''} (${seconds(started)})`),
      15_000,
    );
    const download = await runGo(tool, ['mod', 'download', '-x'], (line) => {
      // -x shows each fetch; a module zip or .mod file being fetched is one line.
      const fetched = /\/@v\/(v[^ ]+)\.(zip|mod)\b/.exec(line);
      const path = /https?:\/\/\S+?\/(\S+)\/@v\//.exec(line)?.[1];
      if (fetched && path && fetched[2] === 'zip' && / 200 OK/.test(line)) {
        downloaded += 1;
        last = `${path}@${fetched[1]}`;
      }
    }).finally(() => clearInterval(ticker));
    if (download.code !== 0) throw new Error(`${tool}: go mod download failed:\n${download.tail.join('\n')}`);
    const modulesTook = seconds(started);
    log(`${tool}: modules ready (${downloaded} downloaded, ${modulesTook})`);

    // 2. Compile into a fresh directory, then move it into place (a half build is never used).
    const compiling = Date.now();
    const staging = `${dir}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    let compiled = 0;
    last = '';
    ticker = setInterval(
      () => log(`${tool}: compiling: ${compiled} packages${last ? `, last ${last}` : ''} (${seconds(compiling)})`),
      15_000,
    );
    const packages = Object.values(spec.binaries).map((pkg) => (pkg ? `${spec.module}/${pkg}` : spec.module));
    const args = ['build', '-v', '-trimpath', '-o', `${staging}/`];
    if (spec.ldflags) args.push(`-ldflags=${spec.ldflags(release).join(' ')}`);
    if (spec.tags?.length) args.push(`-tags=${spec.tags.join(',')}`);
    if (spec.embedStandIns) args.push(`-modfile=${await prepareStandIns(tool, spec.embedStandIns, staging)}`);
    // `go build -o dir/` names each binary after its package's last path element; rename after.
    const build = await runGo(tool, [...args, ...packages], (line) => {
      if (/^[\w.-]+(\/[\w.~-]+)*$/.test(line)) {
        compiled += 1;
        last = line;
      }
    }).finally(() => clearInterval(ticker));
    if (build.code !== 0) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(`${tool}: go build failed after ${seconds(compiling)}:\n${build.tail.join('\n')}`);
    }
    for (const [binary, pkg] of Object.entries(spec.binaries)) {
      const built = (pkg || spec.module).split('/').pop()!;
      if (built !== binary) renameSync(join(staging, built), join(staging, binary));
    }
    writeFileSync(
      join(staging, '.paywatch-build'),
      `${buildStamp(tool)}\n${spec.module}@${pinnedVersion(tool)} built by ${go} in ${seconds(started)}\n`,
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    rmSync(`${staging}.mod`, { recursive: true, force: true });
    log(`${tool} ${release}: built in ${seconds(started)} (modules ${modulesTook}, compiling ${compiled} packages ${seconds(compiling)})`);
    return dir;
  });
}

/** Which tool folder builds a binary (promtool → prometheus), or undefined. */
export function toolOfBinary(binary: string): GoToolName | undefined {
  return (Object.keys(GO_TOOLS) as GoToolName[]).find((tool) => Object.hasOwn(GO_TOOLS[tool].binaries, binary));
}

/**
 * For synchronous callers: builds the tool in a child process (progress to this process's
 * stderr) and returns the binary's path. Throws with what to do when it cannot.
 */
export function buildGoToolSync(binary: string): string {
  const tool = toolOfBinary(binary);
  if (!tool) throw new Error(`no tools/ folder builds ${binary}`);
  const existing = builtBinary(tool, binary);
  if (existing) return existing;
  if (!goVersion()) throw new Error(goMissingMessage(tool));
  const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const result = spawnSync(process.execPath, [tsx, fileURLToPath(import.meta.url), 'build', tool], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const built = builtBinary(tool, binary);
  if (result.status !== 0 || !built) throw new Error(`${tool}: the build failed (exit ${result.status}); its output is above`);
  return built;
}

async function main(args: string[]): Promise<number> {
  const [command, ...names] = args;
  const unknown = names.filter((name) => !isGoTool(name) && !toolOfBinary(name));
  if (unknown.length) {
    console.error(`unknown tool ${unknown.join(', ')}: the pinned ones are ${Object.keys(GO_TOOLS).join(', ')}`);
    return 2;
  }
  const tools = names.map((name) => (isGoTool(name) ? name : toolOfBinary(name)!));
  if (command === 'list') {
    for (const tool of Object.keys(GO_TOOLS) as GoToolName[]) {
      const built = Object.keys(GO_TOOLS[tool].binaries).every((binary) => builtBinary(tool, binary));
      console.log(
        `${tool.padEnd(18)} ${pinnedVersion(tool).padEnd(10)} ${releaseOf(tool).padEnd(8)} ${built ? buildDir(tool) : '(not built)'}`,
      );
    }
    return 0;
  }
  if (command === 'build' || command === 'path') {
    for (const tool of tools.length ? tools : (Object.keys(GO_TOOLS) as GoToolName[])) await buildGoTool(tool);
    if (command === 'path') {
      for (const name of names) {
        const tool = isGoTool(name) ? name : toolOfBinary(name)!;
        console.log(builtBinary(tool, isGoTool(name) ? Object.keys(GO_TOOLS[name].binaries)[0]! : name));
      }
    }
    return 0;
  }
  console.error('usage: go-tools.ts build|path|list [tool or binary ...]');
  return 2;
}

// By name too: bundled into another program (runtime/src/bundle.ts), import.meta.url is that program's.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[1].endsWith('go-tools.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`paywatch tools: ${error.message}`);
      process.exit(1);
    },
  );
}
