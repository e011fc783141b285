// Who is looking, as the scope proxy sees them. The proxy knows the caller from the user header
// Grafana sends through the data source, so the answer is what the proxy will enforce, not a
// guess from Grafana's own roles. All parsing of the proxy's answer lives here (docs/scope-proxy.md
// documents the shape): adapt this module, nothing else, if the shape changes.
import { datasourceGet } from './datasource';

export type ScopeKind = 'all' | 'branch' | 'officer' | 'aggregate';

export interface Scope {
  kind: ScopeKind;
  /** Branches the person may see (branch scope; the officer's branch for officer scope). */
  branches: string[];
  /** The field officer id (officer scope). */
  officer: string | null;
}

export interface Whoami {
  login: string;
  role: string;
  scope: Scope;
  /** Grafana folders (policy/policy.yml) holding the dashboards meant for this person. */
  folders: string[];
  /** Extra dashboard uids the role is given besides its folders (policy.yml `dashboards`). */
  dashboards: string[];
  /** May use Explore (policy.yml `explore: true`). */
  explore: boolean;
}

export const WHOAMI_PATH = 'api/v1/paywatch/whoami';

const KINDS: ScopeKind[] = ['all', 'branch', 'officer', 'aggregate'];

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Validates the proxy's answer. Throws with a readable message when it is not one we understand. */
export function parseWhoami(body: unknown): Whoami {
  // Accept both the bare object and a Prometheus-style envelope {status, data}.
  const raw = (body && typeof body === 'object' && 'data' in body && (body as { data: unknown }).data) || body;
  if (!raw || typeof raw !== 'object') {
    throw new Error('The scope proxy answered whoami with something that is not a JSON object.');
  }
  const o = raw as Record<string, unknown>;
  const login = typeof o.login === 'string' ? o.login : typeof o.user === 'string' ? o.user : '';
  if (!login || typeof o.role !== 'string') {
    throw new Error('The scope proxy answered whoami without a login and a role.');
  }
  const s = (o.scope && typeof o.scope === 'object' ? o.scope : {}) as Record<string, unknown>;
  const kindValue = typeof o.scope === 'string' ? o.scope : s.kind;
  const kind = KINDS.find((k) => k === kindValue);
  if (!kind) {
    throw new Error(`The scope proxy answered whoami with an unknown scope ${JSON.stringify(kindValue ?? null)}.`);
  }
  const branches = strings(s.branches ?? o.branches);
  const singleBranch = s.branch ?? o.branch;
  if (typeof singleBranch === 'string' && !branches.includes(singleBranch)) {
    branches.push(singleBranch);
  }
  const officerValue = s.officer ?? o.officer;
  return {
    login,
    role: o.role,
    scope: { kind, branches, officer: typeof officerValue === 'string' ? officerValue : null },
    folders: strings(o.folders),
    dashboards: strings(o.dashboards),
    explore: o.explore === true,
  };
}

export async function fetchWhoami(datasourceUid: string): Promise<Whoami> {
  return parseWhoami(await datasourceGet(datasourceUid, WHOAMI_PATH));
}

/** "All branches", "Branch BR0001", "Field officer BR0001-FO01 (BR0001)", "Aggregate numbers only". */
export function describeScope(scope: Scope): string {
  switch (scope.kind) {
    case 'all':
      return 'All branches';
    case 'aggregate':
      return 'Fleet-wide aggregate numbers only';
    case 'branch':
      return scope.branches.length === 1
        ? `Branch ${scope.branches[0]}`
        : `Branches ${scope.branches.join(', ') || '(none)'}`;
    case 'officer':
      return `Field officer ${scope.officer ?? '(unknown)'}${scope.branches.length ? ` (${scope.branches.join(', ')})` : ''}`;
  }
}
