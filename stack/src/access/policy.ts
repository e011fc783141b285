// policy/policy.yml as access sync reads it: roles with their folders, people, and teams bound
// to roles. The scope proxy reads the same file for the numbers; here it decides the Grafana side.
import { join } from 'node:path';
import { loadPolicyFile } from '@paywatch/scope-proxy';
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

/**
 * Reads the policy with the scope proxy's own loader, so both enforcement points accept exactly the
 * same files (errors name file, line and column), and returns the part access sync needs.
 */
export function loadPolicy(path = POLICY_FILE): Policy {
  const checked = loadPolicyFile(path);
  return {
    roles: Object.fromEntries(
      // The loader defaults grafana_role to Viewer; only a higher role is passed on, so a role that
      // may explore still becomes an Editor (Grafana OSS allows Explore to Editors only).
      [...checked.roles].map(([name, role]) => [
        name,
        {
          scope: role.scope,
          folders: role.folders,
          explore: role.explore,
          ...(role.grafanaRole !== 'Viewer' ? { grafana_role: role.grafanaRole } : {}),
        },
      ]),
    ),
    people: [...checked.bindings.values()]
      .filter((binding) => binding.source === 'person')
      .map(({ login, role, branches, branch, officer }) => ({
        login,
        role,
        branches,
        ...(branch ? { branch } : {}),
        ...(officer ? { officer } : {}),
      })),
    teams: checked.teams.map(({ name, role, branches, members }) => ({ name, role, branches, members })),
  };
}

/** Every folder some role sees, in a stable order. */
export function policyFolders(policy: Policy): string[] {
  return [...new Set(Object.values(policy.roles).flatMap((role) => role.folders))];
}

/** The branches a person's scope covers (branch managers, cashiers, field officers). */
export function personBranches(person: PolicyPerson): string[] {
  return [...new Set([...(person.branches ?? []), ...(person.branch ? [person.branch] : [])])];
}
