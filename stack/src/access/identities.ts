// Binds each policy login to one Grafana user (uid and id), recorded in the identities file the
// scope proxy reads in grafana-id mode. A Grafana login is not an identity: a local user may
// rename themselves to any login not taken, e.g. to someone just added to the policy whom access
// sync has not created yet. So a login is bound only to a user access sync created itself, or to
// one an operator vouched for (--adopt LOGIN); a login held by any other Grafana user is "blocked":
// left out of every team (so no folders) and refused by the proxy (so no numbers). Pure: no I/O.
import type { IdentityBinding } from '@paywatch/scope-proxy';
import type { DesiredState } from './desired.ts';
import type { OrgUser } from './grafana.ts';

export interface BindingOptions {
  /** Logins whose existing Grafana user an operator vouches for. */
  adopt: Set<string>;
  /** Vouch for every existing user not bound yet (a first run on a Grafana whose users you trust). */
  adoptExisting: boolean;
}

export interface BindingResult {
  bindings: Map<string, IdentityBinding>;
  /** Logins held by a Grafana user that is not (or cannot yet be) the bound one. */
  blocked: Set<string>;
  /** One line per thing an operator should know, saying what to do. */
  notes: string[];
}

function matches(binding: IdentityBinding, user: OrgUser): boolean {
  return binding.uid !== undefined && user.uid ? binding.uid === user.uid : binding.id === user.userId;
}

function bindingOf(user: OrgUser, how: 'created' | 'adopted'): IdentityBinding {
  return { ...(user.uid ? { uid: user.uid } : {}), id: user.userId, how };
}

/**
 * The bindings for the desired users, given Grafana's users now and the logins this run created.
 * Run before applying (created empty) to find the blocked logins, and after, to bind new users.
 */
export function resolveBindings(
  desired: DesiredState,
  users: OrgUser[],
  current: Map<string, IdentityBinding>,
  created: Set<string>,
  options: BindingOptions,
): BindingResult {
  const byLogin = new Map(users.map((user) => [user.login, user]));
  const bindings = new Map<string, IdentityBinding>();
  const blocked = new Set<string>();
  const notes: string[] = [];
  for (const { login } of desired.users) {
    const user = byLogin.get(login);
    const binding = current.get(login);
    if (binding) {
      bindings.set(login, binding);
      if (!user) {
        notes.push(
          `${login}: the Grafana user bound to this login (id ${binding.id ?? '?'}) no longer holds it (renamed or deleted); the scope proxy refuses ${login} until that user is renamed back, or the binding is removed from the identities file and access sync runs again`,
        );
      } else if (matches(binding, user)) {
        bindings.set(login, { ...binding, ...(user.uid ? { uid: user.uid } : {}), id: user.userId });
      } else {
        blocked.add(login);
        notes.push(
          `${login}: held by Grafana user id ${user.userId}, not by the user access sync bound (id ${binding.id ?? '?'}): someone renamed their login to it? They get no team and no numbers; rename or remove them in Grafana`,
        );
      }
      continue;
    }
    if (!user) continue; // access sync creates it; bound after applying
    if (created.has(login)) bindings.set(login, bindingOf(user, 'created'));
    else if (options.adopt.has(login) || options.adoptExisting) {
      bindings.set(login, bindingOf(user, 'adopted'));
      notes.push(`${login}: existing Grafana user id ${user.userId} adopted (bound by the operator's word)`);
    } else {
      blocked.add(login);
      notes.push(
        `${login}: exists in Grafana (user id ${user.userId}) but access sync did not create it, so it is not bound: check it is that person, then run access sync with --adopt ${login}. Until then it gets no team and no numbers`,
      );
    }
  }
  return { bindings, blocked, notes };
}

/** The desired state without the blocked logins: no user to correct, no team membership. */
export function withoutBlocked(desired: DesiredState, blocked: Set<string>): DesiredState {
  if (blocked.size === 0) return desired;
  return {
    users: desired.users.filter((user) => !blocked.has(user.login)),
    teams: desired.teams.map((team) => ({ ...team, members: team.members.filter((login) => !blocked.has(login)) })),
    folders: desired.folders,
  };
}
