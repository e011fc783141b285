// The policy file (policy/policy.yml): roles and their scope, the aggregate allow-list, people and
// Grafana teams bound to roles and branches. Validated strictly with errors that name the line;
// reloaded on change, keeping the last good policy when an edit is bad.
import { createHash } from 'node:crypto';
import { readFileSync, unwatchFile, watch, watchFile, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { RECORDING_RULES } from '@paywatch/contract';
import { SCOPED_LABELS, type Scope } from './scope.ts';

export const SCOPE_KINDS = ['all', 'branch', 'officer', 'aggregate'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

export interface Role {
  name: string;
  scope: ScopeKind;
  /** Grafana folders (by the plugin's folder keys) this role sees. */
  folders: string[];
  /** Dashboard UIDs this role is pointed at first (optional). */
  dashboards: string[];
  /** May use Grafana's Explore (free queries, still scoped here). */
  explore: boolean;
  /** Grafana organisation role for access sync: Viewer (default), Editor or Admin. */
  grafanaRole: 'Viewer' | 'Editor' | 'Admin';
}

export interface Binding {
  login: string;
  role: string;
  branches: string[];
  branch?: string;
  officer?: string;
  /** `person` or `team:<name>`: where in the policy this login is bound. */
  source: string;
  line: number;
}

export interface Team {
  name: string;
  role: string;
  branches: string[];
  members: string[];
}

export interface Policy {
  roles: Map<string, Role>;
  aggregateMetrics: string[];
  bindings: Map<string, Binding>;
  teams: Team[];
  /** sha256 of the file it came from. */
  digest: string;
}

export interface Caller {
  login: string;
  role: Role;
  scope: Scope;
  binding: Binding;
}

export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid policy ${file}:\n  ${problems.join('\n  ')}`);
  }
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const LOGIN = /^[^\s\u0000-\u001f]{1,256}$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const KEY = /^[a-z][a-z0-9_-]{0,63}$/;
const GRAFANA_ROLES = ['Viewer', 'Editor', 'Admin'] as const;

class Validator {
  readonly problems: string[] = [];
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  where(node: YamlNode | Pair | null | undefined): string {
    const range =
      node && 'range' in node
        ? node.range
        : node && 'key' in node && node.key && typeof node.key === 'object' && 'range' in node.key
          ? (node.key as YamlNode).range
          : undefined;
    if (!range) return this.file;
    const pos = this.lines.linePos(range[0]);
    return `${this.file}:${pos.line}:${pos.col}`;
  }

  line(node: YamlNode | null | undefined): number {
    return node?.range ? this.lines.linePos(node.range[0]).line : 0;
  }

  problem(node: YamlNode | Pair | null | undefined, path: string, message: string) {
    this.problems.push(`${this.where(node)}: ${path}: ${message}`);
  }

  map(node: YamlNode | null | undefined, path: string, allowed: string[], required: string[]): Map<string, YamlNode | null> | undefined {
    if (!isMap(node)) {
      this.problem(node, path, 'expected a mapping');
      return undefined;
    }
    const out = new Map<string, YamlNode | null>();
    for (const pair of (node as YAMLMap<unknown, unknown>).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) {
        this.problem(pair.key as YamlNode, path, 'keys must be plain strings');
        continue;
      }
      if (!allowed.includes(key)) {
        this.problem(pair.key as YamlNode, `${path}.${key}`, `unknown key (allowed: ${allowed.join(', ')})`);
        continue;
      }
      out.set(key, (pair.value as YamlNode | null) ?? null);
    }
    for (const key of required) if (!out.has(key)) this.problem(node, path, `missing ${key}`);
    return out;
  }

  string(node: YamlNode | null | undefined, path: string, pattern: RegExp, what: string): string | undefined {
    if (node === undefined) return undefined; // missing: reported by map()
    if (!isScalar(node) || typeof node.value !== 'string' || !pattern.test(node.value)) {
      this.problem(node, path, `expected ${what}`);
      return undefined;
    }
    return node.value;
  }

  bool(node: YamlNode | null | undefined, path: string): boolean | undefined {
    if (!isScalar(node) || typeof node.value !== 'boolean') {
      this.problem(node, path, 'expected true or false');
      return undefined;
    }
    return node.value;
  }

  list(node: YamlNode | null | undefined, path: string, pattern: RegExp, what: string, nonEmpty = false): string[] | undefined {
    if (node === undefined) return undefined; // missing: reported by map()
    if (!isSeq(node)) {
      this.problem(node, path, `expected a list of ${what}`);
      return undefined;
    }
    const out: string[] = [];
    node.items.forEach((item, i) => {
      const value = this.string(item as YamlNode, `${path}[${i}]`, pattern, what);
      if (value !== undefined) {
        if (out.includes(value)) this.problem(item as YamlNode, `${path}[${i}]`, `${value} listed twice`);
        out.push(value);
      }
    });
    if (nonEmpty && out.length === 0 && node.items.length === 0) this.problem(node, path, 'must not be empty');
    return out;
  }
}

/** Parses and validates policy text; throws PolicyError listing every problem with its line. */
export function parsePolicy(text: string, file = 'policy.yml'): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true, strict: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(
      file,
      doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  const v = new Validator(file, lines);
  // `reports` (which reports each role receives, and when) belongs to the report scheduler, which
  // validates it (reports/src/schedule.ts); the proxy only lets the section be there.
  const top = v.map(doc.contents as YamlNode, 'policy', ['roles', 'aggregate_metrics', 'people', 'teams', 'reports'], ['roles']);
  if (!top) throw new PolicyError(file, v.problems);

  const roles = new Map<string, Role>();
  const rolesNode = top.get('roles');
  if (isMap(rolesNode)) {
    for (const pair of rolesNode.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      const path = `roles.${name}`;
      if (!KEY.test(name)) {
        v.problem(pair.key as YamlNode, path, 'role names are lower-case words (a-z, 0-9, _ or -)');
        continue;
      }
      const fields = v.map(pair.value as YamlNode, path, ['scope', 'folders', 'dashboards', 'explore', 'grafana_role'], ['scope']);
      if (!fields) continue;
      const scopeNode = fields.get('scope');
      const scope =
        isScalar(scopeNode) && (SCOPE_KINDS as readonly unknown[]).includes(scopeNode.value) ? (scopeNode.value as ScopeKind) : undefined;
      if (!scope) v.problem(scopeNode, `${path}.scope`, `expected one of ${SCOPE_KINDS.join(', ')}`);
      const folders = fields.has('folders') ? v.list(fields.get('folders'), `${path}.folders`, KEY, 'folder keys') : [];
      const dashboards = fields.has('dashboards')
        ? v.list(fields.get('dashboards'), `${path}.dashboards`, /^[A-Za-z0-9._-]{1,40}$/, 'dashboard UIDs')
        : [];
      const explore = fields.has('explore') ? v.bool(fields.get('explore'), `${path}.explore`) : false;
      let grafanaRole: Role['grafanaRole'] = 'Viewer';
      if (fields.has('grafana_role')) {
        const value = fields.get('grafana_role');
        if (isScalar(value) && (GRAFANA_ROLES as readonly unknown[]).includes(value.value))
          grafanaRole = value.value as Role['grafanaRole'];
        else v.problem(value, `${path}.grafana_role`, `expected one of ${GRAFANA_ROLES.join(', ')}`);
      }
      if (scope)
        roles.set(name, { name, scope, folders: folders ?? [], dashboards: dashboards ?? [], explore: explore ?? false, grafanaRole });
    }
    if (rolesNode.items.length === 0) v.problem(rolesNode, 'roles', 'must define at least one role');
  } else if (rolesNode !== undefined) v.problem(rolesNode, 'roles', 'expected a mapping of role name to { scope, folders }');

  let aggregateMetrics: string[] = [];
  if (top.has('aggregate_metrics'))
    aggregateMetrics = v.list(top.get('aggregate_metrics'), 'aggregate_metrics', METRIC_NAME, 'metric names') ?? [];
  // The aggregate scope reads these series by name only (no branch="" / officer="" matchers: at
  // production cardinality those cost Prometheus a walk over every officer). So each must be a
  // recording rule the contract declares without a branch or officer label; kpi's tests check the
  // rules carry exactly the declared labels, and the proxy drops any such series from answers.
  const aggregateNode = top.get('aggregate_metrics');
  aggregateMetrics.forEach((name, i) => {
    const declared = RECORDING_RULES.find((r) => r.name === name);
    const at = isSeq(aggregateNode) ? (aggregateNode.items[i] as YamlNode) : aggregateNode!;
    if (!declared)
      v.problem(
        at,
        `aggregate_metrics[${i}]`,
        `${name} is not a recording rule declared in contract/src/recording-rules.ts: declare it there, without branch or officer labels`,
      );
    else if (declared.labels.some((l) => (SCOPED_LABELS as readonly string[]).includes(l)))
      v.problem(
        at,
        `aggregate_metrics[${i}]`,
        `${name} carries ${declared.labels.filter((l) => (SCOPED_LABELS as readonly string[]).includes(l)).join(' and ')}: the aggregate scope may only read series without branch or officer`,
      );
  });
  const needsAggregate = [...roles.values()].filter((r) => r.scope === 'aggregate');
  if (needsAggregate.length > 0 && aggregateMetrics.length === 0) {
    v.problem(
      top.get('aggregate_metrics') ?? (doc.contents as YamlNode),
      'aggregate_metrics',
      `roles ${needsAggregate.map((r) => r.name).join(', ')} have scope aggregate: list the series they may read`,
    );
  }

  const bindings = new Map<string, Binding>();
  const bind = (binding: Binding, node: YamlNode, path: string) => {
    const previous = bindings.get(binding.login);
    if (previous) {
      v.problem(node, path, `${binding.login} is already bound at line ${previous.line} (${previous.source}); bind each login once`);
      return;
    }
    bindings.set(binding.login, binding);
  };
  const roleFor = (node: YamlNode | null | undefined, path: string): Role | undefined => {
    const name = v.string(node, path, /^.+$/, 'a role name');
    if (name === undefined) return undefined;
    const role = roles.get(name);
    if (!role) v.problem(node, path, `unknown role ${JSON.stringify(name)} (roles: ${[...roles.keys()].join(', ')})`);
    return role;
  };

  const peopleNode = top.get('people');
  if (peopleNode !== undefined) {
    if (!isSeq(peopleNode)) v.problem(peopleNode, 'people', 'expected a list of { login, role, ... }');
    else
      peopleNode.items.forEach((item, i) => {
        const path = `people[${i}]`;
        const fields = v.map(item as YamlNode, path, ['login', 'role', 'branches', 'branch', 'officer'], ['login', 'role']);
        if (!fields) return;
        const login = v.string(fields.get('login'), `${path}.login`, LOGIN, 'a Grafana login');
        const role = roleFor(fields.get('role'), `${path}.role`);
        const branches = fields.has('branches') ? v.list(fields.get('branches'), `${path}.branches`, CODE, 'branch codes') : undefined;
        const branch = fields.has('branch') ? v.string(fields.get('branch'), `${path}.branch`, CODE, 'a branch code') : undefined;
        const officer = fields.has('officer') ? v.string(fields.get('officer'), `${path}.officer`, CODE, 'an officer id') : undefined;
        if (!login || !role) return;
        const at = item as YamlNode;
        if (role.scope === 'branch') {
          if (!branches || branches.length === 0)
            return v.problem(at, path, `role ${role.name} has scope branch: give branches: [BR0001, ...]`);
          if (fields.has('branch') || fields.has('officer'))
            return v.problem(at, path, `role ${role.name} has scope branch: use branches, not branch/officer`);
        } else if (role.scope === 'officer') {
          if (!branch || !officer) return v.problem(at, path, `role ${role.name} has scope officer: give branch and officer`);
          if (fields.has('branches')) return v.problem(at, path, `role ${role.name} has scope officer: use branch, not branches`);
          if (!officer.startsWith(`${branch}-`))
            return v.problem(
              fields.get('officer'),
              `${path}.officer`,
              `officer ${officer} is not an officer of branch ${branch} (expected ${branch}-...)`,
            );
        } else if (fields.has('branches') || fields.has('branch') || fields.has('officer')) {
          return v.problem(at, path, `role ${role.name} has scope ${role.scope}: branches/branch/officer would be ignored, remove them`);
        }
        const binding: Binding = {
          login,
          role: role.name,
          branches: branches ?? (branch ? [branch] : []),
          source: 'person',
          line: v.line(at),
        };
        if (branch) binding.branch = branch;
        if (officer) binding.officer = officer;
        bind(binding, at, path);
      });
  }

  const teams: Team[] = [];
  const teamsNode = top.get('teams');
  if (teamsNode !== undefined) {
    if (!isSeq(teamsNode)) v.problem(teamsNode, 'teams', 'expected a list of { name, role, branches, members }');
    else
      teamsNode.items.forEach((item, i) => {
        const path = `teams[${i}]`;
        const fields = v.map(item as YamlNode, path, ['name', 'role', 'branches', 'members'], ['name', 'role', 'members']);
        if (!fields) return;
        const name = v.string(fields.get('name'), `${path}.name`, /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, 'a Grafana team name');
        const role = roleFor(fields.get('role'), `${path}.role`);
        const branches = fields.has('branches') ? v.list(fields.get('branches'), `${path}.branches`, CODE, 'branch codes') : [];
        const members = v.list(fields.get('members'), `${path}.members`, LOGIN, 'logins') ?? [];
        if (!name || !role || !branches) return;
        const at = item as YamlNode;
        if (role.scope === 'officer')
          return v.problem(
            at,
            path,
            `role ${role.name} has scope officer: bind field officers one by one under people (each has their own officer id)`,
          );
        if (role.scope === 'branch' && branches.length === 0)
          return v.problem(at, path, `role ${role.name} has scope branch: give the team branches`);
        if (role.scope !== 'branch' && branches.length > 0)
          return v.problem(at, path, `role ${role.name} has scope ${role.scope}: branches would be ignored, remove them`);
        if (teams.some((t) => t.name === name)) return v.problem(at, `${path}.name`, `team ${name} defined twice`);
        teams.push({ name, role: role.name, branches, members });
        const membersNode = fields.get('members');
        members.forEach((login, j) => {
          const memberNode = isSeq(membersNode) ? (membersNode.items[j] as YamlNode) : at;
          bind({ login, role: role.name, branches, source: `team:${name}`, line: v.line(memberNode) }, memberNode, `${path}.members[${j}]`);
        });
      });
  }

  if (v.problems.length > 0) throw new PolicyError(file, v.problems);
  return { roles, aggregateMetrics, bindings, teams, digest: createHash('sha256').update(text).digest('hex') };
}

export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyError(path, [`cannot read: ${(error as Error).message}`]);
  }
  return parsePolicy(text, path);
}

/** Who a login is under this policy, or undefined (unknown people get nothing). */
// One Caller per (policy, login): the scope object is then the same on every request, so what the
// rewriter derives from it (matchers, printed text, memo key) is computed once per policy load.
// Only logins the policy binds are remembered, so unknown logins cannot grow this.
const callers = new WeakMap<Policy, Map<string, Caller>>();

export function resolveCaller(policy: Policy, login: string): Caller | undefined {
  let known = callers.get(policy);
  const hit = known?.get(login);
  if (hit) return hit;
  const caller = buildCaller(policy, login);
  if (caller) {
    // Shared between requests: frozen, so nothing can change a scope after it was derived from.
    const scope = caller.scope as { branches?: string[]; metrics?: string[] };
    if (scope.branches) Object.freeze(scope.branches);
    if (scope.metrics) Object.freeze(scope.metrics);
    Object.freeze(caller.scope);
    if (!known) callers.set(policy, (known = new Map()));
    known.set(login, caller);
  }
  return caller;
}

function buildCaller(policy: Policy, login: string): Caller | undefined {
  const binding = policy.bindings.get(login);
  if (!binding) return undefined;
  const role = policy.roles.get(binding.role);
  if (!role) return undefined;
  let scope: Scope;
  switch (role.scope) {
    case 'all':
      scope = { kind: 'all' };
      break;
    case 'branch':
      if (binding.branches.length === 0) return undefined;
      scope = { kind: 'branch', branches: [...binding.branches] };
      break;
    case 'officer':
      if (!binding.branch || !binding.officer) return undefined;
      scope = { kind: 'officer', branch: binding.branch, officer: binding.officer };
      break;
    case 'aggregate':
      if (policy.aggregateMetrics.length === 0) return undefined;
      scope = { kind: 'aggregate', metrics: [...policy.aggregateMetrics] };
      break;
  }
  return { login, role, scope, binding };
}

export interface PolicyEvents {
  onReload?(result: 'success' | 'failure', detail: { digest?: string; error?: string }): void;
}

/**
 * Holds the current policy and follows the file. Requests read `current` once and keep that
 * object, so a reload never changes the rules under a request in flight.
 */
export class PolicyStore {
  current: Policy;
  lastReloadOk = true;
  lastError: string | undefined;
  loadedAt = new Date();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly path: string;

  constructor(
    path: string,
    private readonly events: PolicyEvents = {},
  ) {
    this.path = resolve(path);
    this.current = loadPolicyFile(this.path);
  }

  /** Re-reads the file; on error keeps the last good policy. Returns whether it changed. */
  reload(): boolean {
    let next: Policy;
    try {
      next = loadPolicyFile(this.path);
    } catch (error) {
      this.lastReloadOk = false;
      this.lastError = (error as Error).message;
      this.events.onReload?.('failure', { error: this.lastError });
      return false;
    }
    const changed = next.digest !== this.current.digest;
    const recovered = !this.lastReloadOk;
    this.lastReloadOk = true;
    this.lastError = undefined;
    if (changed || recovered) {
      this.current = next;
      this.loadedAt = new Date();
      this.events.onReload?.('success', { digest: next.digest });
    }
    return changed;
  }

  /** Watches the file (its directory, so editors' rename-into-place is seen) and polls as a fallback. */
  watch(pollMs = 1000) {
    const schedule = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reloadIfChanged(), 100);
    };
    try {
      this.watcher = watch(dirname(this.path), (_event, name) => {
        if (!name || name.toString() === basename(this.path)) schedule();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // no inotify: polling below still works
    }
    watchFile(this.path, { interval: pollMs }, schedule);
  }

  private reloadIfChanged() {
    let digest: string | undefined;
    try {
      digest = createHash('sha256').update(readFileSync(this.path)).digest('hex');
    } catch {
      digest = undefined;
    }
    if (digest === this.current.digest && this.lastReloadOk) return;
    this.reload();
  }

  close() {
    this.watcher?.close();
    unwatchFile(this.path);
    clearTimeout(this.timer);
  }
}
