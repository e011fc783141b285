#!/usr/bin/env -S npx tsx
// CLI: tsx scope-proxy/src/main.ts --policy policy/policy.yml --upstream http://127.0.0.1:9090 --port 9410
// Every flag has an environment equivalent (PAYWATCH_PROXY_*). Bad configuration stops here, at
// start, with a message saying what to fix.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_SECRET_HEADER, type IdentityMode } from './identity.ts';
import { PolicyError } from './policy.ts';
import { startScopeProxy } from './server.ts';

const USAGE = `usage: scope-proxy --policy FILE --upstream URL [--port 9410] [--host 127.0.0.1]
                   [--secret-file FILE | env PAYWATCH_PROXY_SECRET] [--secret-header NAME]
                   [--identity header|grafana-id|oauth] [--jwks-url URL] [--jwt-issuer ISS]
                   [--jwt-audience AUD] [--jwt-login-claim CLAIM] [--identities FILE]
env: PAYWATCH_PROXY_POLICY, PAYWATCH_PROXY_UPSTREAM, PAYWATCH_PROXY_PORT, PAYWATCH_PROXY_HOST,
     PAYWATCH_PROXY_SECRET, PAYWATCH_PROXY_SECRET_FILE, PAYWATCH_PROXY_SECRET_HEADER,
     PAYWATCH_PROXY_IDENTITY, PAYWATCH_PROXY_JWKS_URL, PAYWATCH_PROXY_JWT_ISSUER,
     PAYWATCH_PROXY_JWT_AUDIENCE, PAYWATCH_PROXY_JWT_LOGIN_CLAIM, PAYWATCH_PROXY_IDENTITIES`;

function fail(message: string): never {
  process.stderr.write(`scope-proxy: ${message}\n`);
  process.exit(2);
}

async function main() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        policy: { type: 'string' },
        upstream: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'secret-file': { type: 'string' },
        'secret-header': { type: 'string' },
        identity: { type: 'string' },
        'jwks-url': { type: 'string' },
        'jwt-issuer': { type: 'string' },
        'jwt-audience': { type: 'string' },
        'jwt-login-claim': { type: 'string' },
        identities: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const env = process.env;
  const opt = (flag: string, name: string) => (values[flag] as string | undefined) ?? env[`PAYWATCH_PROXY_${name}`];
  const policyPath = opt('policy', 'POLICY');
  const upstream = opt('upstream', 'UPSTREAM');
  if (!policyPath) fail(`--policy is required\n${USAGE}`);
  if (!upstream) fail(`--upstream is required\n${USAGE}`);
  const portText = opt('port', 'PORT') ?? '9410';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got ${portText}`);
  const secretFile = opt('secret-file', 'SECRET_FILE');
  let secret = env.PAYWATCH_PROXY_SECRET;
  if (secretFile) {
    try {
      secret = readFileSync(secretFile, 'utf8').trim();
    } catch (error) {
      fail(`cannot read --secret-file: ${(error as Error).message}`);
    }
  }
  if (!secret) fail('no shared secret: set PAYWATCH_PROXY_SECRET or --secret-file (the value Grafana\'s data source sends)');
  const identity = (opt('identity', 'IDENTITY') ?? 'header') as IdentityMode;
  if (!['header', 'grafana-id', 'oauth'].includes(identity)) fail(`--identity must be header, grafana-id or oauth, got ${identity}`);
  const jwksUrl = opt('jwks-url', 'JWKS_URL');
  if (identity !== 'header' && !jwksUrl) fail(`--identity ${identity} needs --jwks-url (Grafana: <grafana>/api/signing-keys/keys)`);
  const issuer = opt('jwt-issuer', 'JWT_ISSUER');
  const audience = opt('jwt-audience', 'JWT_AUDIENCE');
  const loginClaim = opt('jwt-login-claim', 'JWT_LOGIN_CLAIM');
  const identitiesFile = opt('identities', 'IDENTITIES');
  if (identity === 'grafana-id' && !identitiesFile) fail('--identity grafana-id needs --identities FILE: the file access sync writes (npm run access-sync -- --identities FILE), binding each policy login to its Grafana user');
  try {
    const proxy = await startScopeProxy({
      policyPath,
      upstream,
      port,
      host: opt('host', 'HOST') ?? '127.0.0.1',
      secret,
      secretHeader: opt('secret-header', 'SECRET_HEADER') ?? DEFAULT_SECRET_HEADER,
      identityMode: identity,
      identity: { ...(jwksUrl ? { jwksUrl } : {}), ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}), ...(loginClaim ? { loginClaim } : {}), ...(identitiesFile ? { identitiesFile } : {}) },
    });
    const shutdown = () => {
      proxy.stop().then(() => process.exit(0), () => process.exit(1));
    };
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
    process.on('SIGHUP', () => proxy.policy.reload());
  } catch (error) {
    if (error instanceof PolicyError) fail(error.message);
    fail((error as Error).message);
  }
}

await main();
