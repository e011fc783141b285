// Who is asking. Every request must carry the data source's shared secret (so nobody can bypass
// Grafana and forge the user header); the login comes from X-Grafana-User, or, in the stronger
// modes, from a signed token: Grafana's ID token (X-Grafana-Id, ES256, keys at Grafana's
// /api/signing-keys/keys) or a forwarded OAuth access token checked against the IdP's JWKS.
//
// A Grafana login is not an identity: a local user may change their own login (PUT /api/user) to
// any login not taken, e.g. that of someone just added to the policy whom access sync has not
// created yet. So in grafana-id mode the policy's login is bound to the Grafana user access sync
// created for it (its uid, which nobody can change), recorded in the identities file; a token
// whose user is not that user gets nothing, whatever login it carries.
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';

export type IdentityMode = 'header' | 'grafana-id' | 'oauth';

export interface IdentityOptions {
  mode: IdentityMode;
  /** The shared secret the data source sends; required in every mode. */
  secret: string;
  /** Header carrying it (Grafana: httpHeaderName1). */
  secretHeader?: string;
  /** Grafana-id / oauth: where the signing keys are. */
  jwksUrl?: string;
  /** Expected `iss` (recommended). */
  issuer?: string;
  /** Expected `aud` (e.g. `org:1` for Grafana ID tokens). */
  audience?: string;
  /** Claim holding the login; default `username` (Grafana ID token, falling back to `login`) or `preferred_username` (OAuth). */
  loginClaim?: string;
  /** Allowed algorithms; default ES256 for Grafana, ES256/RS256 for OAuth. */
  algorithms?: string[];
  /** For tests: a key set instead of jwksUrl. */
  keySet?: JWTVerifyGetKey;
  /** For tests: the clock the verified-token memo reads (milliseconds since the epoch). */
  now?: () => number;
  /** For tests: how many verified tokens are remembered (default VERIFIED_TOKENS). */
  verifiedTokens?: number;
  /**
   * grafana-id: the identities file access sync writes (login -> Grafana user uid). Required in
   * that mode: without it a renamed login would carry someone else's scope.
   */
  identitiesFile?: string;
}

/** The Grafana user a policy login is bound to. `uid` is what Grafana's ID token carries (`identifier`). */
export interface IdentityBinding {
  uid?: string;
  /** Grafana's numeric user id (the token's `sub` is `user:<id>`); used when there is no uid. */
  id?: number;
  /** How the binding came about: `created` by access sync, or `adopted` by an operator. */
  how?: 'created' | 'adopted';
}

export interface IdentitiesDocument {
  about?: string;
  grafana?: string;
  users: Record<string, IdentityBinding>;
}

const IDENTITIES_ABOUT =
  'Written by access sync (npm run access-sync): the Grafana user each policy login is bound to. The scope proxy (--identity grafana-id) gives a login its scope only when the signed-in Grafana user is this one. Do not edit by hand; use access sync --adopt LOGIN.';

/** Reads an identities file; throws a message naming the file and what is wrong. */
export function parseIdentities(text: string, file = 'identities file'): Map<string, IdentityBinding> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message}); re-run access sync to rewrite it`);
  }
  const users = (doc as IdentitiesDocument | null)?.users;
  if (!users || typeof users !== 'object' || Array.isArray(users))
    throw new Error(`${file}: no "users" object; re-run access sync to rewrite it`);
  const out = new Map<string, IdentityBinding>();
  for (const [login, binding] of Object.entries(users)) {
    const uid = (binding as IdentityBinding)?.uid;
    const id = (binding as IdentityBinding)?.id;
    const validUid = typeof uid === 'string' && uid.length > 0;
    const validId = Number.isSafeInteger(id) && (id as number) > 0;
    if (!validUid && !validId) throw new Error(`${file}: ${JSON.stringify(login)} has neither a uid nor an id; re-run access sync`);
    out.set(login, {
      ...(validUid ? { uid } : {}),
      ...(validId ? { id } : {}),
      ...((binding as IdentityBinding).how ? { how: (binding as IdentityBinding).how } : {}),
    });
  }
  return out;
}

/** Writes an identities file atomically (the proxy may read it at any moment). */
export function writeIdentities(file: string, users: Map<string, IdentityBinding>, grafana?: string): void {
  const sorted = Object.fromEntries([...users.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const doc: IdentitiesDocument = { about: IDENTITIES_ABOUT, ...(grafana ? { grafana } : {}), users: sorted };
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o644 });
  renameSync(temporary, file);
}

/** Reads an identities file, or an empty map when there is none yet. */
export function readIdentities(file: string): Map<string, IdentityBinding> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  return parseIdentities(text, file);
}

/**
 * The identities file as the proxy sees it: re-read when it changes (checked at most once a
 * second), the last good content kept when an edit is broken. A missing file binds nobody, so
 * everyone is refused until access sync has run.
 */
class IdentitiesFile {
  private bindings = new Map<string, IdentityBinding>();
  private stamp = '';
  private checked = 0;
  error: string | undefined;

  constructor(private readonly file: string) {
    this.refresh(true);
  }

  private refresh(force = false): void {
    const now = Date.now();
    if (!force && now - this.checked < 1000) return;
    this.checked = now;
    let stamp = 'missing';
    try {
      const st = statSync(this.file);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      // missing: nobody is bound
    }
    if (stamp === this.stamp) return;
    try {
      this.bindings = stamp === 'missing' ? new Map() : readIdentities(this.file);
      this.stamp = stamp;
      this.error = undefined;
    } catch (error) {
      const message = (error as Error).message;
      // Keep the last good bindings, and say so once per new problem (the proxy's log is JSON lines).
      if (message !== this.error) {
        process.stderr.write(
          `${JSON.stringify({ ts: new Date().toISOString(), component: 'scope-proxy', level: 'error', msg: 'identities file unreadable; keeping the last good bindings', error: message })}\n`,
        );
      }
      this.error = message;
    }
  }

  get(login: string): IdentityBinding | undefined {
    this.refresh();
    return this.bindings.get(login);
  }
}

export const DEFAULT_SECRET_HEADER = 'X-Paywatch-Proxy-Secret';
/**
 * How long a verified token's signature check is reused at most, whatever its `exp`: the JWKS is
 * cached for minutes anyway (createRemoteJWKSet), so a key Grafana withdraws stops working within
 * that time either way; this keeps a withdrawn key's tokens from living longer than that.
 */
export const VERIFIED_TOKEN_MAX_MS = 60_000;
/** Verified tokens remembered at once (a dashboard's panels share one token per user). */
export const VERIFIED_TOKENS = 10_000;
export const MIN_SECRET_LENGTH = 16;

export type IdentityResult =
  { ok: true; login: string; via: IdentityMode; uid?: string } | { ok: false; status: 401 | 403; reason: string };

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined | null {
  const value = headers[name.toLowerCase()];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : null;
  return value;
}

/**
 * The login in X-Grafana-User. Grafana sets the header to the login as it is
 * (proxyutil.ApplyUserHeader, and the backend plugins' user-header middleware): a non-ASCII login
 * arrives as its UTF-8 bytes, which Node hands over one character per byte (Latin-1). Decoded
 * back here, and in NFC so a login typed in either normal form matches the policy's. Bytes that
 * are not UTF-8 are refused rather than guessed.
 */
export function loginFromHeader(raw: string): string | undefined {
  if (/^[\x20-\x7e]*$/.test(raw)) return raw;
  if (/[^\x00-\xff]/.test(raw)) return undefined;
  const decoded = Buffer.from(raw, 'latin1').toString('utf8');
  if (decoded.includes('\uFFFD')) return undefined;
  return decoded.normalize('NFC');
}

export class Identifier {
  private readonly secretDigest: Buffer;
  private readonly secretHeader: string;
  private readonly keys: JWTVerifyGetKey | undefined;
  private readonly identities: IdentitiesFile | undefined;
  /**
   * Signature checks already passed, by the token's SHA-256: Grafana sends the same ID token with
   * every panel query of a refresh, and an ES256 verification is the costliest step of identifying
   * a caller (docs/benchmarks.md, "the hop"). Only tokens that verified are kept (an invalid one is checked again each time, so the
   * memo cannot be filled with junk), each until its `exp` or VERIFIED_TOKEN_MAX_MS, whichever
   * comes first. Keyed by the whole token's digest: one changed byte (signature, claims) is another
   * key and is verified from scratch. What follows the signature (login claim, user header,
   * identity binding) is checked on every request, since the policy and the bindings can change.
   */
  private readonly verified = new Map<string, { payload: Record<string, unknown>; until: number }>();
  private readonly now: () => number;

  constructor(private readonly options: IdentityOptions) {
    if (!options.secret || options.secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`the shared secret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    this.secretDigest = digest(options.secret);
    this.secretHeader = options.secretHeader ?? DEFAULT_SECRET_HEADER;
    this.now = options.now ?? Date.now;
    if (options.mode !== 'header') {
      if (options.keySet) this.keys = options.keySet;
      else if (options.jwksUrl)
        this.keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
      else throw new Error(`identity mode ${options.mode} needs a JWKS URL`);
    }
    if (options.mode === 'grafana-id') {
      if (!options.identitiesFile) {
        throw new Error(
          "identity mode grafana-id needs the identities file access sync writes (--identities FILE): without it a user who renames their login to someone else's gets that person's scope",
        );
      }
      this.identities = new IdentitiesFile(options.identitiesFile);
    }
  }

  /** Constant-time: both sides hashed to the same length first. */
  hasSecret(headers: IncomingHttpHeaders): boolean {
    const given = single(headers, this.secretHeader);
    if (typeof given !== 'string') return false;
    return timingSafeEqual(digest(given), this.secretDigest);
  }

  async identify(headers: IncomingHttpHeaders): Promise<IdentityResult> {
    if (!this.hasSecret(headers)) return { ok: false, status: 401, reason: `missing or wrong ${this.secretHeader}` };
    const userHeader = single(headers, 'x-grafana-user');
    if (userHeader === null) return { ok: false, status: 401, reason: 'X-Grafana-User given more than once' };
    if (this.options.mode === 'header') {
      if (!userHeader) return { ok: false, status: 401, reason: 'no signed-in user (X-Grafana-User missing)' };
      const login = loginFromHeader(userHeader);
      if (login === undefined)
        return { ok: false, status: 401, reason: 'X-Grafana-User is not UTF-8 (Grafana sends the login as UTF-8 bytes)' };
      return { ok: true, login, via: 'header' };
    }
    let token: string | undefined | null;
    if (this.options.mode === 'grafana-id') token = single(headers, 'x-grafana-id');
    else {
      const auth = single(headers, 'authorization');
      token = typeof auth === 'string' && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '') : undefined;
    }
    if (!token)
      return { ok: false, status: 401, reason: this.options.mode === 'grafana-id' ? 'no X-Grafana-Id token' : 'no Bearer access token' };
    const checked = await this.verify(token);
    if (!checked.ok) return checked;
    const payload = checked.payload;
    const claims = this.options.loginClaim
      ? [this.options.loginClaim]
      : this.options.mode === 'grafana-id'
        ? ['username', 'login']
        : ['preferred_username'];
    const login = claims.map((c) => payload[c]).find((v): v is string => typeof v === 'string' && v.length > 0);
    if (!login) return { ok: false, status: 401, reason: `token has no ${claims.join('/')} claim` };
    // If Grafana also sent the user header it must agree with the signed token. Grafana writes the
    // header's bytes as UTF-8 and Node reads them as Latin-1: compare in the header's terms.
    if (userHeader && userHeader !== login && userHeader !== Buffer.from(login, 'utf8').toString('latin1')) {
      return { ok: false, status: 401, reason: 'X-Grafana-User does not match the signed token' };
    }
    if (this.options.mode !== 'grafana-id') return { ok: true, login, via: this.options.mode };
    return this.bound(login, payload);
  }

  /** The token's signature and standard claims, from the memo or checked now. */
  private async verify(
    token: string,
  ): Promise<{ ok: true; payload: Record<string, unknown> } | { ok: false; status: 401; reason: string }> {
    const key = createHash('sha256').update(token, 'utf8').digest('base64');
    const now = this.now();
    const kept = this.verified.get(key);
    if (kept && now < kept.until) return { ok: true, payload: kept.payload };
    if (kept) this.verified.delete(key);
    let payload: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, this.keys!, {
        algorithms: this.options.algorithms ?? (this.options.mode === 'grafana-id' ? ['ES256'] : ['ES256', 'RS256']),
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
        clockTolerance: 30,
        requiredClaims: ['exp'],
        currentDate: new Date(now),
      });
      payload = verified.payload as Record<string, unknown>;
    } catch (error) {
      return { ok: false, status: 401, reason: `token rejected: ${(error as Error).message}` };
    }
    // Kept no longer than the token is valid without the clock tolerance jwtVerify allows.
    const until = Math.min(Number(payload.exp) * 1000, now + VERIFIED_TOKEN_MAX_MS);
    if (until > now) {
      if (this.verified.size >= (this.options.verifiedTokens ?? VERIFIED_TOKENS)) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(key, { payload: Object.freeze({ ...payload }), until });
    }
    return { ok: true, payload };
  }

  /** How many verified tokens the memo holds (tests). */
  get verifiedTokens(): number {
    return this.verified.size;
  }

  /**
   * grafana-id: the token's user must be the Grafana user bound to the login. 403 (not 401) so
   * Grafana relays the reason: its data proxy turns an upstream 401 into a bare 400.
   */
  private bound(login: string, payload: Record<string, unknown>): IdentityResult {
    const type = typeof payload.type === 'string' ? payload.type : typeof payload.sub === 'string' ? payload.sub.split(':')[0] : undefined;
    if (type !== 'user') {
      return {
        ok: false,
        status: 403,
        reason: `Grafana identity of type ${JSON.stringify(type ?? null)} gets no scope: only signed-in people do (not service accounts, API keys, anonymous or public dashboards)`,
      };
    }
    const binding = this.identities!.get(login);
    const shown = JSON.stringify(login.slice(0, 100));
    if (!binding) {
      return {
        ok: false,
        status: 403,
        reason: `login ${shown} is not bound to a Grafana user yet: run access sync (it binds the users it creates; --adopt ${login.slice(0, 100)} for an existing one)`,
      };
    }
    const uid = typeof payload.identifier === 'string' ? payload.identifier : undefined;
    const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
    const same = binding.uid !== undefined ? uid === binding.uid : binding.id !== undefined && sub === `user:${binding.id}`;
    if (!same) {
      return {
        ok: false,
        status: 403,
        reason: `the signed-in Grafana user (${uid ?? sub ?? 'no uid'}) is not the user access sync bound to login ${shown}: a renamed login carries no scope`,
      };
    }
    return { ok: true, login, via: 'grafana-id', ...(uid ? { uid } : {}) };
  }
}
