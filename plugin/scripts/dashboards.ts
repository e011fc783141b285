// `npm run dashboards`: regenerate the bundled dashboards (src/dashboards/<folder>/*.json), their
// panel-query index (src/dashboards/index.json) and the metrics catalogue (src/catalogue/metrics.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { renderAll } from './lib/generate';

const plugin = resolve(__dirname, '..');
const files = renderAll(resolve(plugin, '..'));
for (const [path, content] of Object.entries(files)) {
  mkdirSync(dirname(join(plugin, path)), { recursive: true });
  writeFileSync(join(plugin, path), content);
  console.log(`wrote plugin/${path}`);
}
