// The values an alert's team, category and root-cause labels may take, written once: the types
// alerts.ts declares alerts with are these lists' members, and the KPI alerts the contract
// declares by name (kpi-ratios.ts) are checked against the same lists.

export const TEAMS = ['payments', 'platform', 'lms-integration', 'branch-operations', 'finance', 'security'] as const;
export type Team = (typeof TEAMS)[number];

export const CATEGORIES = [
  'payments',
  'collections',
  'api',
  'availability',
  'database',
  'lms',
  'rfid',
  'reconciliation',
  'monitoring',
  'infrastructure',
  'security',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Things whose failure explains many other alerts; while one is down its symptoms are inhibited. */
export const ROOT_CAUSES = ['database', 'payments-api', 'lms', 'gateway', 'rfid'] as const;
export type RootCause = (typeof ROOT_CAUSES)[number];

/** A ratio as the alerts word it: 0.9 → 90%. */
export const pct = (ratio: number) => `${Number((ratio * 100).toFixed(2))}%`;
