// What Grafana should look like for a policy: users, their organisation role, teams with their
// members, and the per-audience folders with who may view them. Pure: no I/O, easy to test.
import { personBranches, policyFolders, type Policy } from './policy.ts';

export type OrgRole = 'Viewer' | 'Editor' | 'Admin';

export interface DesiredUser {
  login: string;
  name: string;
  email: string;
  role: OrgRole;
}

export interface DesiredTeam {
  name: string;
  /** Logins, sorted. */
  members: string[];
}

export interface DesiredFolder {
  uid: string;
  title: string;
  /** Team names that may view the folder (permission 1 = View), sorted. */
  viewerTeams: string[];
}

export interface DesiredState {
  users: DesiredUser[];
  teams: DesiredTeam[];
  folders: DesiredFolder[];
}

/** Team of everyone with a role: it carries the role's folder permissions. */
export const roleTeam = (role: string) => `paywatch-${role.replace(/_/g, '-')}`;
/** Team of everyone scoped to one branch (for people who manage teams by branch). */
export const branchTeam = (branch: string) => `paywatch-branch-${branch}`;
/** The uid of the provisioned folder (provisioning/dashboards/paywatch.yml uses the same; not paywatch-<folder>, which the dashboards' own uids are: folders and dashboards share one uid space). */
export const folderUid = (folder: string) => `paywatch-folder-${folder}`;

function orgRole(policy: Policy, role: string): OrgRole {
  const spec = policy.roles[role];
  if (!spec) throw new Error(`unknown role ${role}`);
  if (spec.grafana_role) return spec.grafana_role;
  // Grafana OSS lets only Editors (and Admins) use Explore; folder permissions still keep
  // them to View on the dashboards, and the scope proxy still scopes every query.
  return spec.explore ? 'Editor' : 'Viewer';
}

function displayName(login: string, role: string): string {
  const first = login.split('.')[0] ?? login;
  return `${first.charAt(0).toUpperCase()}${first.slice(1)} (${role.replace(/_/g, ' ')})`;
}

export function desiredState(policy: Policy, emailDomain = 'paywatch.example'): DesiredState {
  const users = new Map<string, DesiredUser>();
  const teams = new Map<string, Set<string>>();
  const join = (team: string, login: string) => {
    if (!teams.has(team)) teams.set(team, new Set());
    teams.get(team)!.add(login);
  };
  const addUser = (login: string, role: string) => {
    if (users.has(login)) return;
    users.set(login, { login, name: displayName(login, role), email: `${login}@${emailDomain}`, role: orgRole(policy, role) });
  };

  for (const role of Object.keys(policy.roles)) teams.set(roleTeam(role), new Set());
  for (const person of policy.people) {
    addUser(person.login, person.role);
    join(roleTeam(person.role), person.login);
    for (const branch of personBranches(person)) join(branchTeam(branch), person.login);
  }
  for (const team of policy.teams) {
    if (!teams.has(team.name)) teams.set(team.name, new Set());
    for (const login of team.members ?? []) {
      addUser(login, team.role);
      join(team.name, login);
      for (const branch of team.branches ?? []) join(branchTeam(branch), login);
    }
  }

  const folders = policyFolders(policy).map((folder) => {
    const viewers = new Set<string>();
    for (const [role, spec] of Object.entries(policy.roles)) if (spec.folders.includes(folder)) viewers.add(roleTeam(role));
    for (const team of policy.teams) if (policy.roles[team.role]?.folders.includes(folder)) viewers.add(team.name);
    return { uid: folderUid(folder), title: folder, viewerTeams: [...viewers].sort() };
  });

  return {
    users: [...users.values()].sort((a, b) => a.login.localeCompare(b.login)),
    teams: [...teams.entries()]
      .map(([name, members]) => ({ name, members: [...members].sort() }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    folders,
  };
}
