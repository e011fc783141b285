// Every port of the local stack, once: its default, the environment variable and the flag that
// move it, and what listens there. Option parsers, the scrape config's default targets, the
// Docker configuration and the README's table read this.
//
// No imports: the Grafana app (plugin/) may read this file by path.

export interface PortSpec {
  port: number;
  env: string;
  flag: string;
  /** What listens there, for messages ("port 9401 (payments exporter) is busy"). */
  what: string;
}

export const PORTS = {
  database: { env: 'PAYWATCH_DATABASE_PORT', flag: 'database-port', port: 9432, what: 'embedded PostgreSQL (PGlite)' },
  api: { env: 'PAYWATCH_API_PORT', flag: 'api-port', port: 9400, what: 'payments API (simulator)' },
  payments: { env: 'PAYWATCH_PAYMENTS_EXPORTER_PORT', flag: 'payments-port', port: 9401, what: 'payments exporter' },
  lms: { env: 'PAYWATCH_LMS_EXPORTER_PORT', flag: 'lms-port', port: 9402, what: 'LMS exporter' },
  rfid: { env: 'PAYWATCH_RFID_EXPORTER_PORT', flag: 'rfid-port', port: 9403, what: 'RFID exporter' },
  pool: { env: 'PAYWATCH_POOL_EXPORTER_PORT', flag: 'pool-port', port: 9404, what: "the applications' connection pools (pool exporter)" },
  scopeProxy: { env: 'PAYWATCH_PROXY_PORT', flag: 'proxy-port', port: 9410, what: 'scope proxy' },
  alertSink: { env: 'PAYWATCH_ALERT_SINK_PORT', flag: 'alert-sink-port', port: 9420, what: 'local alert sink (Alertmanager webhooks)' },
  prometheus: { env: 'PAYWATCH_PROMETHEUS_PORT', flag: 'prometheus-port', port: 9090, what: 'Prometheus' },
  alertmanager: { env: 'PAYWATCH_ALERTMANAGER_PORT', flag: 'alertmanager-port', port: 9093, what: 'Alertmanager' },
  blackbox: { env: 'PAYWATCH_BLACKBOX_PORT', flag: 'blackbox-port', port: 9115, what: 'blackbox prober' },
  node: { env: 'PAYWATCH_NODE_EXPORTER_PORT', flag: 'node-exporter-port', port: 9100, what: 'host metrics (node_exporter)' },
  postgres: {
    env: 'PAYWATCH_POSTGRES_EXPORTER_PORT',
    flag: 'postgres-exporter-port',
    port: 9187,
    what: 'database server metrics (postgres_exporter)',
  },
  grafana: { env: 'PAYWATCH_GRAFANA_PORT', flag: 'grafana-port', port: 3000, what: 'Grafana' },
  reports: { env: 'PAYWATCH_REPORTS_PORT', flag: 'reports-port', port: 9430, what: 'report scheduler (metrics)' },
  smtpSink: { env: 'PAYWATCH_SMTP_SINK_PORT', flag: 'smtp-sink-port', port: 9425, what: 'local SMTP sink (report e-mails)' },
  mailbox: { env: 'PAYWATCH_MAILBOX_PORT', flag: 'mailbox-port', port: 9426, what: "local SMTP sink's page of received e-mails" },
} as const satisfies Record<string, PortSpec>;

export type PortName = keyof typeof PORTS;

/** The local address of a service on its default port. */
export function defaultAddress(name: PortName): string {
  return `127.0.0.1:${PORTS[name].port}`;
}
