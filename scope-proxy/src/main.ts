#!/usr/bin/env -S npx tsx
// CLI: tsx scope-proxy/src/main.ts --policy policy/policy.yml --upstream http://127.0.0.1:9090 --port 9410
// Every flag has an environment equivalent (PAYWATCH_PROXY_*, see options.ts). Bad configuration
// stops here, at start, with exit status 2 and a message saying what to fix.
import { readFileSync } from 'node:fs';
import { optionsUsage, parseOptions, parseOrExit } from '@paywatch/runtime';
import { type IdentityMode } from './identity.ts';
import { OPTION_TABLE } from './options.ts';
import { PolicyError } from './policy.ts';
import { startScopeProxy } from './server.ts';

function fail(message: string): never {
  process.stderr.write(`scope-proxy: ${message}\n`);
  process.exit(2);
}

async function main() {
  const { values } = parseOrExit('scope-proxy', OPTION_TABLE, () => parseOptions(OPTION_TABLE, process.argv.slice(2), process.env));
  const usage = optionsUsage(OPTION_TABLE);
  const policyPath = values.policy;
  const upstream = values.upstream;
  if (!policyPath) fail(`--policy (PAYWATCH_PROXY_POLICY) is required\n${usage}`);
  if (!upstream) fail(`--upstream (PAYWATCH_PROXY_UPSTREAM) is required\n${usage}`);
  const port = values.port;
  let secret = values.secret;
  if (values.secretFile) {
    try {
      secret = readFileSync(values.secretFile, 'utf8').trim();
    } catch (error) {
      fail(`cannot read --secret-file: ${(error as Error).message}`);
    }
  }
  if (!secret) fail("no shared secret: set PAYWATCH_PROXY_SECRET or --secret-file (the value Grafana's data source sends)");
  const identity = values.identity as IdentityMode;
  const jwksUrl = values.jwksUrl;
  if (identity !== 'header' && !jwksUrl) fail(`--identity ${identity} needs --jwks-url (Grafana: <grafana>/api/signing-keys/keys)`);
  const issuer = values.jwtIssuer;
  const audience = values.jwtAudience;
  const loginClaim = values.jwtLoginClaim;
  const identitiesFile = values.identities;
  if (identity === 'grafana-id' && !identitiesFile)
    fail(
      '--identity grafana-id needs --identities FILE: the file access sync writes (npm run access-sync -- --identities FILE), binding each policy login to its Grafana user',
    );
  try {
    const proxy = await startScopeProxy({
      policyPath,
      upstream,
      port,
      host: values.host,
      secret,
      secretHeader: values.secretHeader,
      identityMode: identity,
      identity: {
        ...(jwksUrl ? { jwksUrl } : {}),
        ...(issuer ? { issuer } : {}),
        ...(audience ? { audience } : {}),
        ...(loginClaim ? { loginClaim } : {}),
        ...(identitiesFile ? { identitiesFile } : {}),
      },
    });
    const shutdown = () => {
      proxy.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
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
