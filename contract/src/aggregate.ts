// The series the aggregate scope (the viewer role) may read: every fixed rule of level `paywatch`
// (no branch or officer label) and every KPI's series, so a new KPI reaches the viewer's Home page
// and Status dashboard without anyone typing its name into policy/policy.yml (whose
// `aggregate_metrics` list `npm run generate -w @paywatch/kpi` writes from this).
import { KPIS, KPI_RECORDING_RULES } from './kpis.ts';
import { RECORDING_RULES } from './recording-rules.ts';

export const AGGREGATE_SERIES: readonly string[] = [
  ...new Set([
    ...[...RECORDING_RULES, ...KPI_RECORDING_RULES].filter((r) => r.name.startsWith('paywatch:')).map((r) => r.name),
    ...KPIS.map((k) => k.series),
  ]),
];
