// The few Grafana HTTP API calls access sync needs (legacy /api routes, Grafana 9 to 12), with
// credentials from the environment: GRAFANA_TOKEN (service account) or GRAFANA_USER and
// GRAFANA_PASSWORD (basic auth; creating users needs a Grafana server admin, i.e. basic auth).

export interface GrafanaCredentials {
  token?: string;
  user?: string;
  password?: string;
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): GrafanaCredentials {
  if (env.GRAFANA_TOKEN) return { token: env.GRAFANA_TOKEN };
  if (env.GRAFANA_USER && env.GRAFANA_PASSWORD) return { user: env.GRAFANA_USER, password: env.GRAFANA_PASSWORD };
  throw new Error(
    'set GRAFANA_TOKEN (a service account token with Admin role) or GRAFANA_USER and GRAFANA_PASSWORD (a Grafana server admin, needed to create users)',
  );
}

export class GrafanaError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface OrgUser {
  userId: number;
  /** Grafana 11+: the user's uid (what its ID token names as `identifier`). */
  uid?: string;
  login: string;
  email: string;
  role: string;
}

export interface Team {
  id: number;
  name: string;
}

export interface TeamMember {
  userId: number;
  login: string;
}

export interface FolderPermission {
  userId?: number;
  userLogin?: string;
  teamId?: number;
  team?: string;
  role?: string;
  permission: number;
  inherited?: boolean;
}

export interface PermissionItem {
  userId?: number;
  teamId?: number;
  role?: string;
  permission: number;
}

export class GrafanaClient {
  private readonly base: string;
  private readonly authorization: string;

  constructor(url: string, credentials: GrafanaCredentials) {
    this.base = url.replace(/\/+$/, '');
    this.authorization = credentials.token
      ? `Bearer ${credentials.token}`
      : `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new GrafanaError(`cannot reach Grafana at ${this.base} (${(error as Error).message})`, 0);
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new GrafanaError(`${method} ${path}: HTTP ${response.status} ${message}`, response.status);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** null when the resource does not exist (404). */
  private async maybe<T>(path: string): Promise<T | null> {
    try {
      return await this.request<T>('GET', path);
    } catch (error) {
      if (error instanceof GrafanaError && error.status === 404) return null;
      throw error;
    }
  }

  health() {
    return this.request<{ version?: string; database?: string }>('GET', '/api/health');
  }

  /** The user whose credentials these are (basic auth; a token's service account is not a person). */
  signedInUser() {
    return this.request<{ id: number; uid?: string; login: string }>('GET', '/api/user');
  }

  orgUsers() {
    return this.request<OrgUser[]>('GET', '/api/org/users');
  }

  createUser(user: { login: string; name: string; email: string; password: string }) {
    return this.request<{ id: number; message: string }>('POST', '/api/admin/users', { ...user, OrgId: 1 });
  }

  addOrgUser(loginOrEmail: string, role: string) {
    return this.request<{ message: string; userId?: number }>('POST', '/api/org/users', { loginOrEmail, role });
  }

  setOrgRole(userId: number, role: string) {
    return this.request<{ message: string }>('PATCH', `/api/org/users/${userId}`, { role });
  }

  async teams(): Promise<Team[]> {
    const all: Team[] = [];
    for (let page = 1; ; page++) {
      const result = await this.request<{ totalCount: number; teams: Team[] }>('GET', `/api/teams/search?perpage=500&page=${page}`);
      all.push(...result.teams);
      if (result.teams.length === 0 || all.length >= result.totalCount) return all;
    }
  }

  createTeam(name: string) {
    return this.request<{ message: string; teamId: number }>('POST', '/api/teams', { name });
  }

  teamMembers(teamId: number) {
    return this.request<TeamMember[]>('GET', `/api/teams/${teamId}/members`);
  }

  addTeamMember(teamId: number, userId: number) {
    return this.request<{ message: string }>('POST', `/api/teams/${teamId}/members`, { userId });
  }

  removeTeamMember(teamId: number, userId: number) {
    return this.request<{ message: string }>('DELETE', `/api/teams/${teamId}/members/${userId}`);
  }

  folder(uid: string) {
    return this.maybe<{ uid: string; title: string }>(`/api/folders/${encodeURIComponent(uid)}`);
  }

  createFolder(uid: string, title: string) {
    return this.request<{ uid: string; title: string }>('POST', '/api/folders', { uid, title });
  }

  folderPermissions(uid: string) {
    return this.request<FolderPermission[]>('GET', `/api/folders/${encodeURIComponent(uid)}/permissions`);
  }

  setFolderPermissions(uid: string, items: PermissionItem[]) {
    return this.request<{ message: string }>('POST', `/api/folders/${encodeURIComponent(uid)}/permissions`, { items });
  }
}
