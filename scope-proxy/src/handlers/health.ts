// The proxy's own metrics and health, open to probes without identity.
import type { Call, Deps, Reply } from '../handler.ts';
import { json } from '../handler.ts';

export async function handleMetrics(_call: Call, deps: Deps): Promise<Reply> {
  return { kind: 'text', contentType: deps.metrics.registry.contentType, text: await deps.metrics.registry.metrics() };
}

/**
 * Anyone who reaches the proxy may ask, so it says only whether the last policy load worked: the
 * error itself names people, roles and branches, and is in the log (and the reload metric) instead.
 */
export async function handleHealthz(_call: Call, deps: Deps): Promise<Reply> {
  const { policy } = deps;
  return json({
    status: 'ok',
    policy: {
      digest: policy.current.digest,
      loadedAt: policy.loadedAt.toISOString(),
      lastReloadOk: policy.lastReloadOk,
      ...(policy.lastError ? { lastError: 'the last policy edit was refused; the proxy runs on the last good policy (see its log)' } : {}),
    },
  });
}
