// The proxy's own metrics (docs/metrics.md, "Scope proxy"), in a registry of their own so that
// /metrics shows nothing else and several proxies can run in one test process.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ProxyMetrics {
  registry: Registry;
  requests: Counter<'role' | 'endpoint' | 'decision'>;
  duration: Histogram<'endpoint'>;
  reloads: Counter<'result'>;
  lastReloadSuccess: Gauge;
}

export function createMetrics(): ProxyMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'scope_proxy_requests_total',
    help: 'Requests to the scope proxy by caller role, endpoint and decision (allowed or denied).',
    labelNames: ['role', 'endpoint', 'decision'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'scope_proxy_request_duration_seconds',
    help: 'Time spent in the scope proxy per request, including the call to Prometheus.',
    labelNames: ['endpoint'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const reloads = new Counter({
    name: 'scope_proxy_policy_reloads_total',
    help: 'Policy file reloads by result (success or failure; a failure keeps the last good policy).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const lastReloadSuccess = new Gauge({
    name: 'scope_proxy_policy_last_reload_success',
    help: '1 when the last policy (re)load succeeded, 0 when the proxy is running on an older policy.',
    registers: [registry],
  });
  reloads.inc({ result: 'success' }, 0);
  reloads.inc({ result: 'failure' }, 0);
  lastReloadSuccess.set(1);
  return { registry, requests, duration, reloads, lastReloadSuccess };
}
