// The scope proxy's options for the one options parser: every flag has a PAYWATCH_PROXY_*
// variable; the shared secret is environment-only (a command line shows in `ps`), or a file.
import { PORTS, type OptionSpec, type OptionTable } from '@paywatch/runtime';
import { DEFAULT_SECRET_HEADER } from './identity.ts';

export const OPTIONS = {
  policy: { type: 'string', help: 'the policy file (required), e.g. policy/policy.yml' },
  upstream: { type: 'url', help: 'Prometheus base URL, no path (required), e.g. http://127.0.0.1:9090' },
  port: { type: 'port', env: PORTS.scopeProxy.env, default: PORTS.scopeProxy.port, help: 'listen port' },
  host: { type: 'string', default: '127.0.0.1', help: 'listen address' },
  secret: { type: 'string', flag: null, help: "the data source's shared secret (at least 16 characters); or --secret-file" },
  secretFile: { type: 'string', flag: 'secret-file', help: 'a file holding the shared secret (wins over PAYWATCH_PROXY_SECRET)' },
  secretHeader: { type: 'string', flag: 'secret-header', default: DEFAULT_SECRET_HEADER, help: 'the header carrying the secret' },
  identity: {
    type: 'string',
    choices: ['header', 'grafana-id', 'oauth'],
    default: 'header',
    help: 'how the caller is identified (docs/scope-proxy.md)',
  },
  jwksUrl: { type: 'url', flag: 'jwks-url', help: 'signing keys for grafana-id and oauth (Grafana: <grafana>/api/signing-keys/keys)' },
  jwtIssuer: { type: 'string', flag: 'jwt-issuer', help: 'expected iss (not checked when unset)' },
  jwtAudience: { type: 'string', flag: 'jwt-audience', help: 'expected aud (not checked when unset)' },
  jwtLoginClaim: { type: 'string', flag: 'jwt-login-claim', help: 'claim holding the Grafana login' },
  identities: { type: 'string', help: 'grafana-id: the file access sync writes, binding each policy login to its Grafana user' },
} as const satisfies Record<string, OptionSpec>;

export const OPTION_TABLE: OptionTable<typeof OPTIONS> = {
  component: 'scope-proxy',
  envPrefix: 'PAYWATCH_PROXY_',
  usage: 'usage: scope-proxy --policy FILE --upstream URL [options]   (tsx scope-proxy/src/main.ts)',
  options: OPTIONS,
};
