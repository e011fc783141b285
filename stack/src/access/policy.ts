// policy/policy.yml as access sync reads it: roles with their folders, people, and teams bound
// to roles. The scope proxy reads the same file for the numbers; here it decides the Grafana side.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../paths.ts';

export interface PolicyRole {
  scope: 'all' | 'branch' | 'officer' | 'aggregate';
  folders: string[];
  explore?: boolean;
  grafana_role?: 'Viewer' | 'Editor' | 'Admin';
}

export interface PolicyPerson {
  login: string;
  role: string;
  branches?: string[];
  branch?: string;
  officer?: string;
}

export interface PolicyTeam {
  name: string;
  role: string;
  branches?: string[];
  members?: string[];
}

export interface Policy {
  roles: Record<string, PolicyRole>;
  people: PolicyPerson[];
  teams: PolicyTeam[];
}

export const POLICY_FILE = join(repoRoot, 'policy', 'policy.yml');

/** Reads and checks the policy; throws a message naming the first problem. */
export function loadPolicy(path = POLICY_FILE): Policy {
  const raw = parse(readFileSync(path, 'utf8')) as Partial<Policy> | null;
  if (!raw || typeof raw !== 'object' || !raw.roles) throw new Error(`${path}: no roles`);
  const policy: Policy = { roles: raw.roles, people: raw.people ?? [], teams: raw.teams ?? [] };
  for (const [name, role] of Object.entries(policy.roles)) {
    if (!Array.isArray(role.folders)) throw new Error(`${path}: role ${name} has no folders list`);
  }
  const logins = new Set<string>();
  for (const person of policy.people) {
    if (!person.login) throw new Error(`${path}: a person has no login`);
    if (logins.has(person.login)) throw new Error(`${path}: ${person.login} is listed twice`);
    logins.add(person.login);
    if (!policy.roles[person.role]) throw new Error(`${path}: ${person.login} has unknown role ${person.role}`);
  }
  for (const team of policy.teams) {
    if (!policy.roles[team.role]) throw new Error(`${path}: team ${team.name} has unknown role ${team.role}`);
  }
  return policy;
}

/** Every folder some role sees, in a stable order. */
export function policyFolders(policy: Policy): string[] {
  return [...new Set(Object.values(policy.roles).flatMap((role) => role.folders))];
}

/** The branches a person's scope covers (branch managers, cashiers, field officers). */
export function personBranches(person: PolicyPerson): string[] {
  return [...new Set([...(person.branches ?? []), ...(person.branch ? [person.branch] : [])])];
}
