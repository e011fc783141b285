// The proxy's own metrics (docs/metrics.md, "Scope proxy"), in a registry of their own so that
// /metrics shows nothing else and several proxies can run in one test process.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  promOptions,
  SCOPE_PROXY_POLICY_LAST_RELOAD_SUCCESS,
  SCOPE_PROXY_POLICY_RELOADS_TOTAL,
  SCOPE_PROXY_REQUEST_DURATION_SECONDS,
  SCOPE_PROXY_REQUESTS_TOTAL,
} from '@paywatch/contract';

export interface ProxyMetrics {
  registry: Registry;
  requests: Counter<'role' | 'endpoint' | 'decision'>;
  duration: Histogram<'endpoint'>;
  reloads: Counter<'result'>;
  lastReloadSuccess: Gauge;
}

export function createMetrics(): ProxyMetrics {
  const registry = new Registry();
  // Names, help, labels and buckets are the contract's (@paywatch/contract).
  const requests = new Counter({ ...promOptions(SCOPE_PROXY_REQUESTS_TOTAL), registers: [registry] });
  const duration = new Histogram({ ...promOptions(SCOPE_PROXY_REQUEST_DURATION_SECONDS), registers: [registry] });
  const reloads = new Counter({ ...promOptions(SCOPE_PROXY_POLICY_RELOADS_TOTAL), registers: [registry] });
  const lastReloadSuccess = new Gauge({ ...promOptions(SCOPE_PROXY_POLICY_LAST_RELOAD_SUCCESS), registers: [registry] });
  reloads.inc({ result: 'success' }, 0);
  reloads.inc({ result: 'failure' }, 0);
  lastReloadSuccess.set(1);
  return { registry, requests, duration, reloads, lastReloadSuccess };
}
