// Who is asking. Every request must carry the data source's shared secret (so nobody can bypass
// Grafana and forge the user header); the login comes from X-Grafana-User, or, in the stronger
// modes, from a signed token: Grafana's ID token (X-Grafana-Id, ES256, keys at Grafana's
// /api/signing-keys/keys) or a forwarded OAuth access token checked against the IdP's JWKS.
import { createHash, timingSafeEqual } from 'node:crypto';
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
}

export const DEFAULT_SECRET_HEADER = 'X-Paywatch-Proxy-Secret';
export const MIN_SECRET_LENGTH = 16;

export type IdentityResult = { ok: true; login: string; via: IdentityMode } | { ok: false; status: 401 | 403; reason: string };

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined | null {
  const value = headers[name.toLowerCase()];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : null;
  return value;
}

export class Identifier {
  private readonly secretDigest: Buffer;
  private readonly secretHeader: string;
  private readonly keys: JWTVerifyGetKey | undefined;

  constructor(private readonly options: IdentityOptions) {
    if (!options.secret || options.secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`the shared secret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    this.secretDigest = digest(options.secret);
    this.secretHeader = options.secretHeader ?? DEFAULT_SECRET_HEADER;
    if (options.mode !== 'header') {
      if (options.keySet) this.keys = options.keySet;
      else if (options.jwksUrl) this.keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
      else throw new Error(`identity mode ${options.mode} needs a JWKS URL`);
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
      return { ok: true, login: userHeader, via: 'header' };
    }
    let token: string | undefined | null;
    if (this.options.mode === 'grafana-id') token = single(headers, 'x-grafana-id');
    else {
      const auth = single(headers, 'authorization');
      token = typeof auth === 'string' && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '') : undefined;
    }
    if (!token) return { ok: false, status: 401, reason: this.options.mode === 'grafana-id' ? 'no X-Grafana-Id token' : 'no Bearer access token' };
    let payload: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, this.keys!, {
        algorithms: this.options.algorithms ?? (this.options.mode === 'grafana-id' ? ['ES256'] : ['ES256', 'RS256']),
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
        clockTolerance: 30,
        requiredClaims: ['exp'],
      });
      payload = verified.payload as Record<string, unknown>;
    } catch (error) {
      return { ok: false, status: 401, reason: `token rejected: ${(error as Error).message}` };
    }
    const claims = this.options.loginClaim ? [this.options.loginClaim] : this.options.mode === 'grafana-id' ? ['username', 'login'] : ['preferred_username'];
    const login = claims.map((c) => payload[c]).find((v): v is string => typeof v === 'string' && v.length > 0);
    if (!login) return { ok: false, status: 401, reason: `token has no ${claims.join('/')} claim` };
    // If Grafana also sent the user header it must agree with the signed token.
    if (userHeader && userHeader !== login) return { ok: false, status: 401, reason: 'X-Grafana-User does not match the signed token' };
    return { ok: true, login, via: this.options.mode };
  }
}
