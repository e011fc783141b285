// The metrics catalogue, from the contract module (contract/src: families.ts, recording-rules.ts,
// servers.ts, ports.ts), the same declarations docs/metrics.md is generated from: every Paywatch metric and
// recording rule with its type, labels and meaning. `npm run dashboards` writes it to
// src/catalogue/metrics.json for the Metrics catalogue page; a Jest test fails when it is stale.
import { familyMeaning, METRIC_SOURCES, sourceHeading } from '../../../contract/src/families';
import { KPI_RECORDING_RULES } from '../../../contract/src/kpis';
import { PORTS } from '../../../contract/src/ports';
import { RECORDING_RULES, RECORDING_RULES_HEADING } from '../../../contract/src/recording-rules';
import { SERVER_RECORDING_RULES } from '../../../contract/src/servers';

export interface CatalogueMetric {
  name: string;
  /** counter | gauge | histogram | recording rule */
  type: string;
  labels: string[];
  help: string;
  /** The docs/metrics.md section, e.g. "Payments exporter (`exporters/payments`, port 9401)". */
  source: string;
}

/** A markdown cell as plain text: `\|` is a pipe. */
const plain = (markdown: string) => markdown.replace(/\\\|/g, '|');

export function catalogue(): CatalogueMetric[] {
  const metrics: CatalogueMetric[] = METRIC_SOURCES.flatMap((source) =>
    source.families.map((f) => ({
      name: f.name,
      type: f.type,
      labels: [...f.labels],
      help: plain(familyMeaning(f)),
      source: sourceHeading(source, PORTS),
    }))
  );
  for (const rule of [...RECORDING_RULES, ...KPI_RECORDING_RULES, ...SERVER_RECORDING_RULES]) {
    metrics.push({
      name: rule.name,
      type: 'recording rule',
      labels: [...rule.labels],
      help: plain(rule.doc),
      source: RECORDING_RULES_HEADING,
    });
  }
  return metrics;
}
