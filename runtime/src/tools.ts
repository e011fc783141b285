// The outside programs Paywatch runs (Prometheus, Alertmanager, probers, Grafana), where to find
// them and how to install them. Each is found in this order:
//   1. the environment variable that names it (PROMETHEUS_BIN=...), always first;
//   2. for the tools pinned under tools/ (goBuild): our build of the pinned version, built from the
//      Go module proxy into the user's cache when missing (runtime/src/go-tools.ts). Debian's
//      Prometheus (2.42) and Alertmanager (0.25) are older than what the rules and the proxy are
//      tested on, so PATH is not consulted for these;
//   3. otherwise PATH, then Debian's package when apt-get is available and we are root
//      (the blackbox prober, node_exporter and postgres_exporter, where Debian's are fine).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { buildGoToolSync, builtBinary, toolOfBinary } from './go-tools.ts';

export interface ToolSpec {
  /** Environment variable that names the binary explicitly. */
  env: string;
  /** Binary names to look for on PATH, Debian's first. */
  binaries: string[];
  /** Debian package that provides it, when there is one (only for tools without goBuild). */
  debianPackage?: string;
  /** The binary's name in a tools/<tool>/ pinned Go module: built, not looked up on PATH. */
  goBuild?: string;
  /** What to tell a person who has none. */
  hint: string;
}

export const TOOLS = {
  prometheus: {
    env: 'PROMETHEUS_BIN',
    binaries: ['prometheus'],
    goBuild: 'prometheus',
    hint: 'install Go so the pinned Prometheus (tools/prometheus) is built, or set PROMETHEUS_BIN to a Prometheus of that version',
  },
  promtool: {
    env: 'PROMTOOL_BIN',
    binaries: ['promtool'],
    goBuild: 'promtool',
    hint: 'install Go so the pinned promtool (tools/prometheus) is built, or set PROMTOOL_BIN to a promtool of that version',
  },
  alertmanager: {
    env: 'ALERTMANAGER_BIN',
    binaries: ['alertmanager'],
    goBuild: 'alertmanager',
    hint: 'install Go so the pinned Alertmanager (tools/alertmanager) is built, or set ALERTMANAGER_BIN to an Alertmanager of that version',
  },
  amtool: {
    env: 'AMTOOL_BIN',
    binaries: ['amtool'],
    goBuild: 'amtool',
    hint: 'install Go so the pinned amtool (tools/alertmanager) is built, or set AMTOOL_BIN to an amtool of that version',
  },
  promLabelProxy: {
    env: 'PROM_LABEL_PROXY_BIN',
    binaries: ['prom-label-proxy'],
    goBuild: 'prom-label-proxy',
    hint: 'install Go so the pinned prom-label-proxy (tools/prom-label-proxy) is built, or set PROM_LABEL_PROXY_BIN',
  },
  thanos: {
    env: 'THANOS_BIN',
    binaries: ['thanos'],
    goBuild: 'thanos',
    hint: 'install Go so the pinned Thanos (tools/thanos) is built, or set THANOS_BIN',
  },
  // The Go module proxy does not serve postgres_exporter's module, so Debian's package it is.
  postgresExporter: {
    env: 'POSTGRES_EXPORTER_BIN',
    binaries: ['prometheus-postgres-exporter', 'postgres_exporter'],
    debianPackage: 'prometheus-postgres-exporter',
    hint: 'install postgres_exporter (Debian: apt-get install prometheus-postgres-exporter) or set POSTGRES_EXPORTER_BIN',
  },
  blackbox: {
    env: 'BLACKBOX_EXPORTER_BIN',
    binaries: ['prometheus-blackbox-exporter', 'blackbox_exporter'],
    debianPackage: 'prometheus-blackbox-exporter',
    hint: 'install the blackbox prober (Debian: apt-get install prometheus-blackbox-exporter) or set BLACKBOX_EXPORTER_BIN',
  },
  nodeExporter: {
    env: 'NODE_EXPORTER_BIN',
    binaries: ['prometheus-node-exporter', 'node_exporter'],
    debianPackage: 'prometheus-node-exporter',
    hint: 'install node_exporter (Debian: apt-get install prometheus-node-exporter) or set NODE_EXPORTER_BIN',
  },
  grafana: {
    env: 'GRAFANA_BIN',
    binaries: ['grafana', 'grafana-server'],
    hint: 'Grafana is optional locally: put Grafana OSS 12 (its release tarball) on PATH or set GRAFANA_BIN, or use docker-compose.yml (README.md, "Get Grafana")',
  },
  chromium: {
    env: 'CHROMIUM_BIN',
    binaries: ['chromium', 'chromium-browser'],
    debianPackage: 'chromium',
    hint: 'install Chromium (Debian: apt-get install chromium) or set CHROMIUM_BIN',
  },
  pdftotext: {
    env: 'PDFTOTEXT_BIN',
    binaries: ['pdftotext'],
    debianPackage: 'poppler-utils',
    hint: 'install poppler-utils (Debian: apt-get install poppler-utils) or set PDFTOTEXT_BIN; the report tests read PDFs back with it',
  },
  pdftoppm: {
    env: 'PDFTOPPM_BIN',
    binaries: ['pdftoppm'],
    debianPackage: 'poppler-utils',
    hint: 'install poppler-utils (Debian: apt-get install poppler-utils) or set PDFTOPPM_BIN; docs/reports/ pictures are made with it',
  },
} satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOLS;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of a tool, or undefined when it is not installed (for a pinned Go tool: not built yet;
 * ensureTools or requireTool builds it).
 */
export function findTool(name: ToolName): string | undefined {
  const spec: ToolSpec = TOOLS[name];
  const explicit = process.env[spec.env];
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`${spec.env}=${explicit} is not an executable file`);
    return explicit;
  }
  if (spec.goBuild) return builtBinary(toolOfBinary(spec.goBuild)!, spec.goBuild);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const binary of spec.binaries) {
      const candidate = join(dir, binary);
      if (dir && isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * The path of a tool, building a pinned Go tool first when it is missing (progress on stderr);
 * throws a message saying how to get it when that is not possible.
 */
export function requireTool(name: ToolName): string {
  const spec: ToolSpec = TOOLS[name];
  const path = findTool(name);
  if (path) return path;
  if (spec.goBuild) {
    try {
      return buildGoToolSync(spec.goBuild);
    } catch (error) {
      throw new Error(`${name} not available: ${(error as Error).message}`);
    }
  }
  throw new Error(`${name} not found: ${spec.hint}`);
}

let aptUpdated = false;

/**
 * Makes sure the named tools exist: builds the missing pinned Go tools (one at a time, progress
 * shown), installs the other missing ones from Debian's packages when apt-get is there and we are
 * root. Returns the names still missing (with no way to get them), after logging why.
 */
export function ensureTools(names: ToolName[], log: (line: string) => void = console.log): ToolName[] {
  for (const name of names) {
    const spec: ToolSpec = TOOLS[name];
    if (!spec.goBuild || findTool(name)) continue;
    try {
      buildGoToolSync(spec.goBuild);
    } catch (error) {
      log(`${name}: ${(error as Error).message}`);
    }
  }
  const missing = names.filter((name) => !findTool(name));
  const packages = [...new Set(missing.map((name) => (TOOLS[name] as ToolSpec).debianPackage).filter((p): p is string => !!p))];
  const canApt = packages.length > 0 && process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (canApt) {
    log(`installing Debian packages: ${packages.join(', ')} ...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (!aptUpdated) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      aptUpdated = true;
    }
    const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
    if (install.status !== 0) log(`apt-get install ${packages.join(' ')} failed (exit ${install.status})`);
  }
  return names.filter((name) => !findTool(name));
}
