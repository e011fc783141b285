// `npm run compose-configs [-- --check]`: (re)writes docker/prometheus/prometheus.yml and
// docker/alertmanager/alertmanager.yml from kpi/ (see stack/src/compose.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { composeConfigFiles } from '../compose.ts';
import { repoRoot } from '../paths.ts';

const check = process.argv.includes('--check');
let stale = 0;
for (const [path, content] of Object.entries(composeConfigFiles())) {
  const full = join(repoRoot, path);
  const current = existsSync(full) ? readFileSync(full, 'utf8') : undefined;
  if (current === content) continue;
  if (check) {
    console.error(`stale: ${path} (run npm run compose-configs)`);
    stale++;
    continue;
  }
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  console.log(`wrote ${path}`);
}
process.exit(stale ? 1 : 0);
