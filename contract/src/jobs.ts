// The Prometheus scrape jobs and the selectors rules, alerts and dashboards use to pick them out:
// a job name is typed here only (the kubernetes-mixin's `*Selector` config, in TypeScript).

import type { PortName } from './ports.ts';

export interface ScrapeJob {
  /** job_name, and so the `job` label of every series scraped from it. */
  name: string;
  /** The port table's entry for its default target. */
  port: PortName;
  /** What it scrapes. */
  what: string;
}

export const JOBS = {
  paymentsApi: { name: 'payments-api', port: 'api', what: "the payments engine's API (the simulator in a demo)" },
  payments: { name: 'payments', port: 'payments', what: 'payments exporter' },
  lms: { name: 'lms', port: 'lms', what: 'LMS exporter' },
  rfid: { name: 'rfid', port: 'rfid', what: 'RFID exporter' },
  pool: { name: 'pool', port: 'pool', what: "the applications' connection pools (pool exporter)" },
  scopeProxy: { name: 'scope-proxy', port: 'scopeProxy', what: 'the scope proxy' },
  node: { name: 'node', port: 'node', what: 'host metrics (node_exporter)' },
  postgres: { name: 'postgres', port: 'postgres', what: 'the database server (postgres_exporter)' },
  prometheus: { name: 'prometheus', port: 'prometheus', what: 'Prometheus itself' },
  alertmanager: { name: 'alertmanager', port: 'alertmanager', what: 'Alertmanager' },
  blackboxExporter: { name: 'blackbox-exporter', port: 'blackbox', what: "the blackbox prober's own metrics" },
  reports: { name: 'reports', port: 'reports', what: 'the report scheduler (reports_sent_total, reports_overdue, ...)' },
  /** Health probes through the prober: `probe_success{target=...}`, labelled with `service`. */
  blackbox: { name: 'blackbox', port: 'blackbox', what: 'health probes of the payments API, the LMS and the gateways' },
} as const satisfies Record<string, ScrapeJob>;

export type JobKey = keyof typeof JOBS;

/** The four Paywatch exporters' jobs, in the order they are documented. */
export const EXPORTER_JOBS = [JOBS.payments, JOBS.lms, JOBS.rfid, JOBS.pool] as const;

/** Services the blackbox probes are labelled with (`service`); the alerts select on them. */
export type ProbedService = 'payments-api' | 'lms' | 'gateway';

/** The card/net-banking gateways the payments engine routes to. */
export const GATEWAYS = ['gateway_a', 'gateway_b'] as const;

export const SELECTORS = {
  /** Health probes (the blackbox job). */
  probes: `job="${JOBS.blackbox.name}"`,
  probesOf: (service: ProbedService) => `job="${JOBS.blackbox.name}", service="${service}"`,
  /** Every Paywatch exporter. */
  exporters: `job=~"${EXPORTER_JOBS.map((j) => j.name).join('|')}"`,
  /** The payments engine's API as it labels itself (`service`). */
  paymentsApi: 'service="payments-api"',
  /** The database server, as postgres_exporter sees it. */
  postgres: `job="${JOBS.postgres.name}"`,
  /** Host metrics (node_exporter). */
  node: `job="${JOBS.node.name}"`,
} as const;
