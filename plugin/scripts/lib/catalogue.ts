// The metrics catalogue, parsed from the metric contract (docs/metrics.md): every Paywatch metric
// and recording rule with its type, labels and meaning. `npm run dashboards` writes it to
// src/catalogue/metrics.json for the Metrics catalogue page; a Jest test fails when it is stale.

export interface CatalogueMetric {
  name: string;
  /** counter | gauge | histogram | recording rule */
  type: string;
  labels: string[];
  help: string;
  /** The docs/metrics.md section, e.g. "Payments exporter (`exporters/payments`, port 9401)". */
  source: string;
}

function cells(line: string): string[] {
  // Split a markdown table row on unescaped pipes; `\|` stays inside a cell.
  const parts = line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/);
  return parts.map((p) => p.trim().replace(/\\\|/g, '|'));
}

export function parseMetricsDoc(markdown: string): CatalogueMetric[] {
  const metrics: CatalogueMetric[] = [];
  let section = '';
  let header: string[] | null = null;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('## ')) {
      section = line.slice(3).trim();
      header = null;
      continue;
    }
    if (!line.trim().startsWith('|')) {
      header = null;
      continue;
    }
    const row = cells(line);
    if (!header) {
      header = row.map((h) => h.toLowerCase());
      continue;
    }
    if (row.every((c) => /^-+$/.test(c))) continue;
    const get = (col: string) => row[header!.indexOf(col)] ?? '';
    const nameCell = get('metric') || get('rule');
    const name = /^`([^`]+)`$/.exec(nameCell)?.[1];
    if (!name || name.includes('*')) continue;
    const type = header.includes('rule') ? 'recording rule' : get('type');
    const labels = [...get('labels').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    metrics.push({ name, type, labels, help: get('meaning'), source: section });
  }
  return metrics;
}
