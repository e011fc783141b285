// The proxy's own metrics and health, open to probes without identity.
import type { Call, Deps, Reply } from '../handler.ts';
import { json } from '../handler.ts';

export async function handleMetrics(_call: Call, deps: Deps): Promise<Reply> {
  return { kind: 'text', contentType: deps.metrics.registry.contentType, text: await deps.metrics.registry.metrics() };
}

export async function handleHealthz(_call: Call, deps: Deps): Promise<Reply> {
  const { policy } = deps;
  return json({
    status: 'ok',
    policy: { digest: policy.current.digest, loadedAt: policy.loadedAt.toISOString(), lastReloadOk: policy.lastReloadOk, ...(policy.lastError ? { lastError: policy.lastError } : {}) },
  });
}
