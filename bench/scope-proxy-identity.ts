// What identifying a caller costs the scope proxy per request, on one core: the header mode the
// benchmarks use (shared secret + X-Grafana-User), and the token modes (grafana-id, oauth) with an
// ES256 signature check on every request (before December night) or remembered per token
// (identity.ts's verified-token memo).
//
//   npx tsx bench/scope-proxy-identity.ts
import { cpus, loadavg } from 'node:os';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { Identifier } from '@paywatch/scope-proxy';

const SECRET = 'bench-only-shared-secret-000000';
const ISSUER = 'http://127.0.0.1:3000/';
const pair = await generateKeyPair('ES256', { extractable: true });
const keySet = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'grafana-1', alg: 'ES256' }] });
const token = await new SignJWT({ username: 'meera.bm', identifier: 'uid-meera', type: 'user' })
  .setProtectedHeader({ alg: 'ES256', kid: 'grafana-1' })
  .setIssuer(ISSUER)
  .setAudience('org:1')
  .setSubject('user:7')
  .setIssuedAt()
  .setExpirationTime('10m')
  .sign(pair.privateKey);

/** CPU microseconds per call of `f` (user + system of this process), after a warm-up. */
async function perCall(n: number, f: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 300; i++) await f();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

const load0 = loadavg();
const oauth = new Identifier({ mode: 'oauth', secret: SECRET, keySet, issuer: ISSUER, audience: 'org:1', loginClaim: 'username' });
const header = new Identifier({ mode: 'header', secret: SECRET });
const rows: Array<[string, number]> = [
  [
    'ES256 signature and claims check (jose jwtVerify): what every token-mode request paid before',
    await perCall(3000, () => jwtVerify(token, keySet, { issuer: ISSUER, audience: 'org:1', requiredClaims: ['exp'] })),
  ],
  [
    'token mode, the same token again (verified-token memo)',
    await perCall(50_000, () => oauth.identify({ 'x-paywatch-proxy-secret': SECRET, authorization: `Bearer ${token}` })),
  ],
  [
    'header mode (secret + X-Grafana-User; the HTTP benchmarks)',
    await perCall(50_000, () => header.identify({ 'x-paywatch-proxy-secret': SECRET, 'x-grafana-user': 'meera.bm' })),
  ],
];
const fmt = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
console.log(
  `identity cost — ${new Date().toISOString()} — ${cpus()[0]?.model ?? 'CPU'}, node ${process.version}; load ${fmt(load0)} -> ${fmt(loadavg())}\n`,
);
console.log('| identifying one request | CPU µs per request |');
console.log('|---|---:|');
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(1)} |`);
