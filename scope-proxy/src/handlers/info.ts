// whoami (the app's Home page: the caller's role and scope) and buildinfo (Grafana's flavour
// detection: the version and nothing else).
import { parseAnswer } from '../upstream.ts';
import type { Scope } from '../scope.ts';
import { json, type Call, type Deps, type Reply } from '../handler.ts';

function scopeSummary(scope: Scope): Record<string, unknown> {
  switch (scope.kind) {
    case 'all':
      return { kind: 'all' };
    case 'branch':
      return { kind: 'branch', branches: scope.branches };
    case 'officer':
      return { kind: 'officer', branches: [scope.branch], branch: scope.branch, officer: scope.officer };
    case 'aggregate':
      return { kind: 'aggregate', metrics: scope.metrics };
  }
}

export async function handleWhoami(call: Call, deps: Deps): Promise<Reply> {
  const c = call.caller!;
  const { policy } = deps;
  return json({
    status: 'success',
    data: {
      login: c.login,
      role: c.role.name,
      scope: scopeSummary(c.scope),
      folders: c.role.folders,
      dashboards: c.role.dashboards,
      explore: c.role.explore,
      grafanaRole: c.role.grafanaRole,
      boundBy: c.binding.source,
      policy: { digest: policy.current.digest, loadedAt: policy.loadedAt.toISOString() },
    },
  });
}

// Asked once per upstream: the version does not change while Prometheus runs.
const versions = new WeakMap<object, string>();

export async function handleBuildinfo(_call: Call, deps: Deps): Promise<Reply> {
  let version = versions.get(deps.upstream);
  if (!version) {
    const answer = await deps.upstream.call('/api/v1/status/buildinfo', new URLSearchParams(), 'GET');
    const given = parseAnswer<{ data?: { version?: unknown } }>(answer.body).data?.version;
    version = typeof given === 'string' && /^[0-9A-Za-z.+-]{1,40}$/.test(given) ? given : '2.42.0';
    versions.set(deps.upstream, version);
  }
  return json({ status: 'success', data: { version, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: '' } });
}
