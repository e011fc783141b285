// Makes Grafana match the policy: reads what is there, plans the differences, applies them.
// Idempotent: a second run finds nothing to do. It only adds and corrects; it never deletes a
// user, a team or a folder (people who leave the policy lose their Paywatch team memberships,
// and with them the folders; the scope proxy refuses them anyway).
import { randomBytes } from 'node:crypto';
import type { DesiredState } from './desired.ts';
import { GrafanaError, type FolderPermission, type GrafanaClient, type PermissionItem } from './grafana.ts';

export type Action =
  | { kind: 'create-user'; login: string; name: string; email: string; role: string }
  | { kind: 'set-role'; login: string; from: string; to: string }
  | { kind: 'create-team'; team: string }
  | { kind: 'add-member'; team: string; login: string }
  | { kind: 'remove-member'; team: string; login: string }
  | { kind: 'create-folder'; uid: string; title: string }
  | { kind: 'set-folder-permissions'; uid: string; viewerTeams: string[]; removed: string[] };

export function describe(action: Action): string {
  switch (action.kind) {
    case 'create-user':
      return `create user ${action.login} (${action.email}, org role ${action.role})`;
    case 'set-role':
      return `set org role of ${action.login}: ${action.from} -> ${action.to}`;
    case 'create-team':
      return `create team ${action.team}`;
    case 'add-member':
      return `add ${action.login} to team ${action.team}`;
    case 'remove-member':
      return `remove ${action.login} from team ${action.team}`;
    case 'create-folder':
      return `create folder ${action.title} (uid ${action.uid})`;
    case 'set-folder-permissions':
      return `set permissions of folder ${action.uid}: View for ${action.viewerTeams.join(', ') || 'nobody'}${action.removed.length ? `; remove ${action.removed.join(', ')}` : ''}`;
  }
}

interface Observed {
  users: Map<string, { userId: number; role: string }>;
  teams: Map<string, { id: number; members: Map<string, number> }>;
  folders: Map<string, FolderPermission[] | null>;
}

async function observe(grafana: GrafanaClient, desired: DesiredState): Promise<Observed> {
  const users = new Map((await grafana.orgUsers()).map((user) => [user.login, { userId: user.userId, role: user.role }]));
  const teams = new Map<string, { id: number; members: Map<string, number> }>();
  const wanted = new Set(desired.teams.map((team) => team.name));
  for (const team of await grafana.teams()) {
    if (!wanted.has(team.name)) continue;
    const members = await grafana.teamMembers(team.id);
    teams.set(team.name, { id: team.id, members: new Map(members.map((member) => [member.login, member.userId])) });
  }
  const folders = new Map<string, FolderPermission[] | null>();
  for (const folder of desired.folders) {
    folders.set(folder.uid, (await grafana.folder(folder.uid)) ? await grafana.folderPermissions(folder.uid) : null);
  }
  return { users, teams, folders };
}

/** The permission entries access sync manages: teams and the built-in Viewer/Editor roles. */
function managedEntries(permissions: FolderPermission[]): string[] {
  return permissions
    .filter((entry) => !entry.inherited)
    .flatMap((entry) => {
      if (entry.teamId) return [`team:${entry.team}:${entry.permission}`];
      if (entry.role && entry.role !== 'Admin') return [`role:${entry.role}:${entry.permission}`];
      return [];
    })
    .sort();
}

export function planFrom(desired: DesiredState, observed: Observed): Action[] {
  const actions: Action[] = [];
  for (const user of desired.users) {
    const current = observed.users.get(user.login);
    if (!current) actions.push({ kind: 'create-user', login: user.login, name: user.name, email: user.email, role: user.role });
    else if (current.role !== user.role) actions.push({ kind: 'set-role', login: user.login, from: current.role, to: user.role });
  }
  for (const team of desired.teams) {
    const current = observed.teams.get(team.name);
    if (!current) actions.push({ kind: 'create-team', team: team.name });
    for (const login of team.members) if (!current?.members.has(login)) actions.push({ kind: 'add-member', team: team.name, login });
    for (const login of current?.members.keys() ?? [])
      if (!team.members.includes(login)) actions.push({ kind: 'remove-member', team: team.name, login });
  }
  for (const folder of desired.folders) {
    const current = observed.folders.get(folder.uid);
    if (current === null || current === undefined) actions.push({ kind: 'create-folder', uid: folder.uid, title: folder.title });
    const want = folder.viewerTeams.map((team) => `team:${team}:1`).sort();
    const have = current ? managedEntries(current) : ['role:Editor:2', 'role:Viewer:1']; // Grafana's defaults for a new folder
    if (JSON.stringify(want) !== JSON.stringify(have)) {
      const removed = have.filter((entry) => !want.includes(entry)).map((entry) => entry.replace(/:\d+$/, ''));
      actions.push({ kind: 'set-folder-permissions', uid: folder.uid, viewerTeams: folder.viewerTeams, removed });
    }
  }
  return actions;
}

export async function plan(grafana: GrafanaClient, desired: DesiredState): Promise<Action[]> {
  return planFrom(desired, await observe(grafana, desired));
}

export interface ApplyOptions {
  /** Password for users it creates; a random one per user when absent (printed once). */
  password?: string;
  log?: (line: string) => void;
}

/**
 * Applies the plan in order (users, teams, members, folders, permissions). Returns the logins it
 * created as new Grafana users (the only ones it may bind without an operator's word).
 */
export async function apply(
  grafana: GrafanaClient,
  desired: DesiredState,
  actions: Action[],
  options: ApplyOptions = {},
): Promise<Set<string>> {
  const createdLogins = new Set<string>();
  const log = options.log ?? console.log;
  const userIds = new Map((await grafana.orgUsers()).map((user) => [user.login, user.userId]));
  const teamIds = new Map((await grafana.teams()).map((team) => [team.name, team.id]));
  const userId = (login: string) => {
    const id = userIds.get(login);
    if (id === undefined) throw new Error(`user ${login} is not in Grafana's organisation (could not be created?)`);
    return id;
  };
  const teamId = (name: string) => {
    const id = teamIds.get(name);
    if (id === undefined) throw new Error(`team ${name} does not exist`);
    return id;
  };
  for (const action of actions) {
    log(`  ${describe(action)}`);
    switch (action.kind) {
      case 'create-user': {
        const password = options.password ?? randomBytes(12).toString('base64url');
        try {
          const created = await grafana.createUser({ login: action.login, name: action.name, email: action.email, password });
          userIds.set(action.login, created.id);
          createdLogins.add(action.login);
          if (!options.password) log(`    password of ${action.login}: ${password}`);
        } catch (error) {
          // The login exists in Grafana but not in this organisation: add it instead.
          if (!(error instanceof GrafanaError) || error.status !== 412) {
            if (error instanceof GrafanaError && (error.status === 401 || error.status === 403)) {
              throw new Error(
                `${error.message}\ncreating users needs a Grafana server admin: use GRAFANA_USER/GRAFANA_PASSWORD of the admin, not a token`,
              );
            }
            throw error;
          }
          await grafana.addOrgUser(action.login, action.role);
          const found = (await grafana.orgUsers()).find((user) => user.login === action.login);
          if (found) userIds.set(action.login, found.userId);
        }
        const want = desired.users.find((user) => user.login === action.login)?.role ?? 'Viewer';
        const now = (await grafana.orgUsers()).find((user) => user.login === action.login);
        if (now && now.role !== want) await grafana.setOrgRole(now.userId, want);
        break;
      }
      case 'set-role':
        await grafana.setOrgRole(userId(action.login), action.to);
        break;
      case 'create-team': {
        const created = await grafana.createTeam(action.team);
        teamIds.set(action.team, created.teamId);
        break;
      }
      case 'add-member':
        await grafana.addTeamMember(teamId(action.team), userId(action.login));
        break;
      case 'remove-member':
        await grafana.removeTeamMember(teamId(action.team), userId(action.login));
        break;
      case 'create-folder':
        await grafana.createFolder(action.uid, action.title);
        break;
      case 'set-folder-permissions': {
        // Keep what access sync does not manage (people given access by hand), replace the rest.
        const kept: PermissionItem[] = (await grafana.folderPermissions(action.uid))
          .filter((entry) => !entry.inherited && entry.userId && !entry.teamId)
          .map((entry) => ({ userId: entry.userId, permission: entry.permission }));
        const items: PermissionItem[] = [...kept, ...action.viewerTeams.map((team) => ({ teamId: teamId(team), permission: 1 }))];
        await grafana.setFolderPermissions(action.uid, items);
        break;
      }
    }
  }
  return createdLogins;
}
