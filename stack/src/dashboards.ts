// Which Grafana folder each bundled dashboard (plugin/src/dashboards) is provisioned into. The
// folders are the audiences of policy/policy.yml (executive, business, branch, field, operations,
// status). A dashboard says its folder by where it sits (plugin/src/dashboards/<folder>/x.json), by
// a tag (`executive` or `paywatch-executive`), or by its file name (executive-overview.json).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { repoRoot } from './paths.ts';
import { loadPolicy, policyFolders } from './access/policy.ts';

export const DASHBOARDS_DIR = join(repoRoot, 'plugin', 'src', 'dashboards');

export interface PlacedDashboard {
  /** Absolute path of the JSON file. */
  file: string;
  /** Path relative to plugin/src/dashboards. */
  relativePath: string;
  uid?: string;
  title?: string;
  /** The folder it belongs in, or undefined when it says none. */
  folder?: string;
}

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return jsonFiles(path);
      return entry.endsWith('.json') ? [path] : [];
    })
    .sort();
}

/** JSON files that are dashboards (they have panels), not other generated JSON next to them. */
function isDashboard(json: unknown): boolean {
  return !!json && typeof json === 'object' && Array.isArray((json as { panels?: unknown }).panels);
}

export function placeDashboards(dir = DASHBOARDS_DIR, folders = policyFolders(loadPolicy())): PlacedDashboard[] {
  return jsonFiles(dir).flatMap((file) => {
    const relativePath = relative(dir, file);
    const json = JSON.parse(readFileSync(file, 'utf8')) as { uid?: string; title?: string; tags?: string[] };
    if (!isDashboard(json)) return [];
    const parts = relativePath.split('/');
    const byDir = parts.length > 1 ? folders.find((folder) => parts[0] === folder) : undefined;
    const tags = (json.tags ?? []).map((tag) => tag.toLowerCase());
    const byTag = folders.find((folder) => tags.includes(folder) || tags.includes(`paywatch-${folder}`));
    const name = basename(file, '.json').toLowerCase();
    const byName = folders.find((folder) => name === folder || name.startsWith(`${folder}-`) || name.startsWith(`${folder}_`));
    return [{ file, relativePath, uid: json.uid, title: json.title, folder: byDir ?? byTag ?? byName }];
  });
}

/**
 * Lays the dashboards out as provisioning/dashboards/paywatch.yml expects them:
 * <target>/<folder>/<file>.json. Returns the placed dashboards; throws when one has no folder.
 */
export function layOutDashboards(target: string, dir = DASHBOARDS_DIR): PlacedDashboard[] {
  const folders = policyFolders(loadPolicy());
  const placed = placeDashboards(dir, folders);
  const lost = placed.filter((dashboard) => !dashboard.folder);
  if (lost.length)
    throw new Error(
      `dashboards without a folder (put them in plugin/src/dashboards/<folder>/ or tag them): ${lost.map((d) => d.relativePath).join(', ')}`,
    );
  rmSync(target, { recursive: true, force: true });
  for (const folder of folders) mkdirSync(join(target, folder), { recursive: true });
  for (const dashboard of placed) copyFileSync(dashboard.file, join(target, dashboard.folder!, basename(dashboard.file)));
  return placed;
}
