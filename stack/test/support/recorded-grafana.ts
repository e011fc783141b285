// A recorded Grafana HTTP API: answers the legacy /api routes access sync uses with the response
// shapes and status codes Grafana 12 returns (taken from Grafana's HTTP API reference), and keeps
// state so that a second sync can be checked to change nothing. Not a Grafana: only what the
// sync touches, with Grafana's quirks that matter (412 for an existing login, 409 for a taken team
// name, 404 with "folder not found", default Viewer/Editor permissions on a new folder, the
// creator getting Admin on a folder it creates).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';

interface User {
  id: number;
  uid: string;
  login: string;
  email: string;
  name: string;
  role: string;
}
interface TeamRec {
  id: number;
  name: string;
  members: number[];
}
interface Perm {
  userId: number;
  teamId: number;
  role: string;
  permission: number;
}
interface FolderRec {
  id: number;
  uid: string;
  title: string;
  perms: Perm[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface RecordedGrafana {
  url: string;
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** Only the requests that change something. */
  mutations(): RecordedRequest[];
  state: { users: User[]; teams: TeamRec[]; folders: FolderRec[] };
  /** Adds a folder as provisioning would (Grafana's default permissions). */
  provisionFolder(uid: string, title: string): void;
  /** Adds a user as someone else would (signing up, an admin by hand): not access sync's. */
  addUser(login: string, role?: string): { id: number; uid: string };
  close(): Promise<void>;
}

const PERMISSION_NAMES: Record<number, string> = { 1: 'View', 2: 'Edit', 4: 'Admin' };
const STAMP = '2026-11-23T07:00:00Z';

export async function startRecordedGrafana(options: { user?: string; password?: string; token?: string } = {}): Promise<RecordedGrafana> {
  const basic = `Basic ${Buffer.from(`${options.user ?? 'admin'}:${options.password ?? 'demo-admin-password'}`).toString('base64')}`;
  const bearer = options.token ? `Bearer ${options.token}` : undefined;
  const users: User[] = [{ id: 1, uid: 'admin-uid-0001', login: 'admin', email: 'admin@localhost', name: 'admin', role: 'Admin' }];
  const teams: TeamRec[] = [];
  const folders: FolderRec[] = [];
  const requests: RecordedRequest[] = [];
  let nextId = 2;
  const newFolder = (uid: string, title: string, creator?: number): FolderRec => {
    const perms: Perm[] = [
      { userId: 0, teamId: 0, role: 'Editor', permission: 2 },
      { userId: 0, teamId: 0, role: 'Viewer', permission: 1 },
    ];
    if (creator) perms.unshift({ userId: creator, teamId: 0, role: '', permission: 4 });
    const folder = { id: nextId++, uid, title, perms };
    folders.push(folder);
    return folder;
  };
  const folderJson = (folder: FolderRec) => ({
    id: folder.id,
    uid: folder.uid,
    title: folder.title,
    url: `/dashboards/f/${folder.uid}/${folder.title.toLowerCase()}`,
    hasAcl: false,
    canSave: true,
    canEdit: true,
    canAdmin: true,
    canDelete: true,
    createdBy: 'admin',
    created: STAMP,
    updatedBy: 'admin',
    updated: STAMP,
    version: 1,
  });

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://grafana');
    const method = req.method ?? 'GET';
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? JSON.parse(raw) : undefined;
    requests.push({ method, path: url.pathname + url.search, body });
    if (url.pathname === '/api/health') return send(res, 200, { commit: '0123456789', database: 'ok', version: '12.3.0' });
    const auth = req.headers.authorization;
    if (auth !== basic && (!bearer || auth !== bearer)) return send(res, 401, { message: 'Unauthorized' });
    const caller = auth === basic ? 1 : undefined;
    const parts = url.pathname.split('/').filter(Boolean); // ['api', ...]
    const route = `${method} /${parts.map((part, i) => (i >= 2 && /^\d+$/.test(part) ? ':id' : part)).join('/')}`;

    if (route === 'GET /api/user') {
      const me = users.find((u) => u.id === caller);
      if (!me) return send(res, 404, { message: 'user not found' });
      return send(res, 200, {
        id: me.id,
        uid: me.uid,
        email: me.email,
        name: me.name,
        login: me.login,
        theme: '',
        orgId: 1,
        isGrafanaAdmin: true,
        isDisabled: false,
        isExternal: false,
        authLabels: [],
        updatedAt: STAMP,
        createdAt: STAMP,
        avatarUrl: '',
      });
    }
    if (route === 'GET /api/org/users') {
      return send(
        res,
        200,
        users.map((u) => ({
          orgId: 1,
          userId: u.id,
          uid: u.uid,
          email: u.email,
          avatarUrl: '/avatar/46d229b033af06a191ff2267bca9ae56',
          login: u.login,
          role: u.role,
          lastSeenAt: STAMP,
          lastSeenAtAge: '< 1m',
        })),
      );
    }
    if (route === 'POST /api/admin/users') {
      if (!caller) return send(res, 403, { message: 'You are not allowed to perform this action' });
      if (users.some((u) => u.login === body.login || u.email === body.email))
        return send(res, 412, { message: 'User with same login or email already exists' });
      const id = nextId++;
      // Grafana 11+ gives each user a random, immutable uid (14 characters).
      const user = {
        id,
        uid: `u${id.toString(36).padStart(4, '0')}${Buffer.from(body.login).toString('hex').slice(0, 9)}`,
        login: body.login,
        email: body.email,
        name: body.name,
        role: 'Viewer',
      };
      users.push(user);
      return send(res, 200, { id: user.id, message: 'User created' });
    }
    if (route === 'PATCH /api/org/users/:id') {
      const user = users.find((u) => u.id === Number(parts[3]));
      if (!user) return send(res, 404, { message: 'user not found' });
      user.role = body.role;
      return send(res, 200, { message: 'Organization user updated' });
    }
    if (route === 'GET /api/teams/search') {
      const query = url.searchParams.get('query') ?? '';
      const name = url.searchParams.get('name');
      const found = teams.filter((t) => (name ? t.name === name : t.name.includes(query)));
      const perPage = Number(url.searchParams.get('perpage') ?? 1000);
      const page = Number(url.searchParams.get('page') ?? 1);
      const slice = found.slice((page - 1) * perPage, page * perPage);
      return send(res, 200, {
        totalCount: found.length,
        teams: slice.map((t) => ({
          id: t.id,
          orgId: 1,
          name: t.name,
          email: '',
          avatarUrl: '/avatar/3f49c15916554246daa714b9bd0ee398',
          memberCount: t.members.length,
          permission: 0,
        })),
        page,
        perPage,
      });
    }
    if (route === 'POST /api/teams') {
      if (teams.some((t) => t.name === body.name)) return send(res, 409, { message: 'Team name taken' });
      const team = { id: nextId++, name: body.name, members: [] };
      teams.push(team);
      return send(res, 200, { message: 'Team created', teamId: team.id });
    }
    const team = parts[1] === 'teams' ? teams.find((t) => t.id === Number(parts[2])) : undefined;
    if (route === 'GET /api/teams/:id/members') {
      if (!team) return send(res, 404, { message: 'Team not found' });
      return send(
        res,
        200,
        team.members.map((id) => {
          const u = users.find((x) => x.id === id)!;
          return {
            orgId: 1,
            teamId: team.id,
            userId: id,
            auth_module: '',
            email: u.email,
            name: u.name,
            login: u.login,
            avatarUrl: '/avatar/x',
            labels: [],
            permission: 0,
          };
        }),
      );
    }
    if (route === 'POST /api/teams/:id/members') {
      if (!team) return send(res, 404, { message: 'Team not found' });
      if (!users.some((u) => u.id === body.userId)) return send(res, 404, { message: 'User not found' });
      if (team.members.includes(body.userId)) return send(res, 400, { message: 'User is already added to this team' });
      team.members.push(body.userId);
      return send(res, 200, { message: 'Member added to Team' });
    }
    if (route === 'DELETE /api/teams/:id/members/:id') {
      if (!team) return send(res, 404, { message: 'Team not found' });
      team.members = team.members.filter((id) => id !== Number(parts[4]));
      return send(res, 200, { message: 'Team Member removed' });
    }
    if (route === 'POST /api/folders') {
      if (folders.some((f) => f.uid === body.uid)) return send(res, 409, { message: 'a folder with the same uid already exists' });
      return send(res, 200, folderJson(newFolder(body.uid, body.title, caller)));
    }
    const folder = parts[1] === 'folders' ? folders.find((f) => f.uid === parts[2]) : undefined;
    if (method === 'GET' && parts[1] === 'folders' && parts.length === 3) {
      if (!folder) return send(res, 404, { message: 'folder not found', status: 'not-found' });
      return send(res, 200, folderJson(folder));
    }
    if (parts[1] === 'folders' && parts[3] === 'permissions') {
      if (!folder) return send(res, 404, { message: 'folder not found', status: 'not-found' });
      if (method === 'GET') {
        return send(
          res,
          200,
          folder.perms.map((p, i) => {
            const u = users.find((x) => x.id === p.userId);
            const t = teams.find((x) => x.id === p.teamId);
            return {
              id: i + 1,
              folderId: folder.id,
              created: STAMP,
              updated: STAMP,
              userId: p.userId,
              userLogin: u?.login ?? '',
              userEmail: u?.email ?? '',
              teamId: p.teamId,
              team: t?.name ?? '',
              role: p.role,
              permission: p.permission,
              permissionName: PERMISSION_NAMES[p.permission],
              uid: folder.uid,
              title: folder.title,
              slug: folder.title.toLowerCase(),
              isFolder: true,
              url: `/dashboards/f/${folder.uid}/`,
              inherited: false,
            };
          }),
        );
      }
      if (method === 'POST') {
        const items = (body?.items ?? []) as Array<{ userId?: number; teamId?: number; role?: string; permission: number }>;
        for (const item of items) {
          if (item.role === 'Admin') return send(res, 400, { message: 'Cannot set permissions for Admin role' });
          if (item.teamId && !teams.some((t) => t.id === item.teamId)) return send(res, 400, { message: 'Team not found' });
        }
        folder.perms = items.map((item) => ({
          userId: item.userId ?? 0,
          teamId: item.teamId ?? 0,
          role: item.role ?? '',
          permission: item.permission,
        }));
        return send(res, 200, { message: 'Folder permissions updated' });
      }
    }
    return send(res, 404, { message: 'Not found' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => send(res, 500, { message: error.message }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    mutations: () => requests.filter((r) => r.method !== 'GET'),
    state: { users, teams, folders },
    provisionFolder: (uid, title) => void newFolder(uid, title),
    addUser: (login, role = 'Viewer') => {
      const id = nextId++;
      const user = { id, uid: `x${id.toString(36).padStart(13, '0')}`, login, email: `${login}@elsewhere.example`, name: login, role };
      users.push(user);
      return { id, uid: user.uid };
    },
    close: async () => {
      server.close();
      server.closeAllConnections();
      await once(server, 'close');
    },
  };
}
