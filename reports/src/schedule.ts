// The `reports:` section of policy/policy.yml: which reports each role receives and at what IST
// time. Validated strictly (unknown keys, unknown reports or roles, bad times are errors naming
// the line), like the rest of the policy. Recipients are everyone the policy binds to a role that
// has reports: people and team members alike.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { loadPolicyFile } from '@paywatch/scope-proxy';
import { REPORT_NAMES, type ReportName } from './catalog.ts';

export interface ReportSchedule {
  /** Default send time, minutes after 00:00 IST. */
  sendAt: number;
  from: string;
  emailDomain: string;
  roles: Map<string, { reports: ReportName[]; sendAt: number }>;
}

/** One person's one report: sent once per IST day at `sendAt`. */
export interface Assignment {
  login: string;
  role: string;
  email: string;
  report: ReportName;
  /** Minutes after 00:00 IST. */
  sendAt: number;
}

export const DEFAULT_SEND_AT = 18 * 60;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DOMAIN = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

export function parseSchedule(text: string, file: string, roleNames: Set<string>): ReportSchedule {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const problems: string[] = [];
  const at = (node: YamlNode | Pair | null | undefined) => {
    const range = node && 'range' in node ? node.range : undefined;
    if (!range) return file;
    const pos = lines.linePos(range[0]);
    return `${file}:${pos.line}:${pos.col}`;
  };
  const problem = (node: YamlNode | null | undefined, path: string, message: string) => problems.push(`${at(node)}: ${path}: ${message}`);
  const fields = (node: YamlNode | null | undefined, path: string, allowed: string[]): Map<string, YamlNode | null> => {
    const out = new Map<string, YamlNode | null>();
    if (!isMap(node)) {
      problem(node, path, 'expected a mapping');
      return out;
    }
    for (const pair of (node as YAMLMap<unknown, unknown>).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!allowed.includes(key)) problem(pair.key as YamlNode, `${path}.${key}`, `unknown key (allowed: ${allowed.join(', ')})`);
      else out.set(key, (pair.value as YamlNode | null) ?? null);
    }
    return out;
  };
  const time = (node: YamlNode | null | undefined, path: string): number | undefined => {
    const value = isScalar(node) ? String(node.value) : '';
    const match = TIME.exec(value);
    if (!match) {
      problem(node, path, 'expected a time "HH:MM" (IST, 24-hour, quoted)');
      return undefined;
    }
    return Number(match[1]) * 60 + Number(match[2]);
  };

  const root = doc.contents as YamlNode | null;
  const section = isMap(root)
    ? ((root as YAMLMap<unknown, unknown>).items.find((p) => isScalar(p.key) && p.key.value === 'reports')?.value as YamlNode | undefined)
    : undefined;
  const schedule: ReportSchedule = {
    sendAt: DEFAULT_SEND_AT,
    from: 'Paywatch reports <reports@paywatch.example>',
    emailDomain: 'paywatch.example',
    roles: new Map(),
  };
  if (!section) return schedule; // no section: nobody is sent anything
  const top = fields(section, 'reports', ['send_at', 'from', 'email_domain', 'roles']);
  if (top.has('send_at')) schedule.sendAt = time(top.get('send_at'), 'reports.send_at') ?? DEFAULT_SEND_AT;
  if (top.has('from')) {
    const node = top.get('from');
    if (isScalar(node) && typeof node.value === 'string' && /@/.test(node.value)) schedule.from = node.value;
    else problem(node, 'reports.from', 'expected a sender address, e.g. "Paywatch reports <reports@example.com>"');
  }
  if (top.has('email_domain')) {
    const node = top.get('email_domain');
    if (isScalar(node) && typeof node.value === 'string' && DOMAIN.test(node.value)) schedule.emailDomain = node.value;
    else problem(node, 'reports.email_domain', 'expected a domain name, e.g. example.com');
  }
  const rolesNode = top.get('roles');
  if (rolesNode !== undefined) {
    if (!isMap(rolesNode)) problem(rolesNode, 'reports.roles', 'expected a mapping of role name to { reports: [...], send_at }');
    else {
      for (const pair of (rolesNode as YAMLMap<unknown, unknown>).items) {
        const role = isScalar(pair.key) ? String(pair.key.value) : '';
        const path = `reports.roles.${role}`;
        if (!roleNames.has(role)) {
          problem(pair.key as YamlNode, path, `unknown role (roles: ${[...roleNames].join(', ')})`);
          continue;
        }
        const f = fields(pair.value as YamlNode, path, ['reports', 'send_at']);
        const list = f.get('reports');
        const reports: ReportName[] = [];
        if (!isSeq(list)) problem(list, `${path}.reports`, `expected a list of reports (${REPORT_NAMES.join(', ')})`);
        else {
          for (const item of list.items as YamlNode[]) {
            const name = isScalar(item) ? String(item.value) : '';
            if ((REPORT_NAMES as readonly string[]).includes(name)) reports.push(name as ReportName);
            else problem(item, `${path}.reports`, `unknown report ${JSON.stringify(name)} (reports: ${REPORT_NAMES.join(', ')})`);
          }
        }
        const sendAt = f.has('send_at') ? time(f.get('send_at'), `${path}.send_at`) : undefined;
        schedule.roles.set(role, { reports, sendAt: sendAt ?? schedule.sendAt });
      }
    }
  }
  if (problems.length) throw new ScheduleError(`invalid reports section in ${file}:\n  ${problems.join('\n  ')}`);
  return schedule;
}

/** Who gets which report when, from the policy file (people and team members). */
export function loadAssignments(policyFile: string): { schedule: ReportSchedule; assignments: Assignment[] } {
  const policy = loadPolicyFile(policyFile);
  const schedule = parseSchedule(readFileSync(policyFile, 'utf8'), policyFile, new Set(policy.roles.keys()));
  const assignments: Assignment[] = [];
  for (const binding of [...policy.bindings.values()].sort((a, b) => a.login.localeCompare(b.login))) {
    const role = schedule.roles.get(binding.role);
    if (!role) continue;
    for (const report of role.reports)
      assignments.push({
        login: binding.login,
        role: binding.role,
        email: `${binding.login}@${schedule.emailDomain}`,
        report,
        sendAt: role.sendAt,
      });
  }
  return { schedule, assignments };
}
