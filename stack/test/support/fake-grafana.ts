// A stand-in `grafana` binary for the stack test (no Grafana server can run here): records how
// `npm start` launched it (arguments, the Paywatch environment, what the provisioning, plugin and
// dashboards paths hold) to $FAKE_GRAFANA_RECORD, then serves the recorded Grafana HTTP API on
// GF_SERVER_HTTP_PORT with the admin password from GF_SECURITY_ADMIN_PASSWORD, so the access sync
// `npm start` runs against it can be checked too. Like Grafana 12 it publishes an ES256 key set at
// /api/signing-keys/keys; the private key goes into the record so the test can sign ID tokens as
// Grafana would (a mock signer: Grafana cannot run here).
import { existsSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { startRecordedGrafana } from './recorded-grafana.ts';

const pair = await generateKeyPair('ES256', { extractable: true });
const publicKeys = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'fake-grafana-1', alg: 'ES256', use: 'sig' }] };

const env = process.env;
const dashboards = env.PAYWATCH_DASHBOARDS_DIR ?? '';
const plugins = env.GF_PATHS_PLUGINS ?? '';
const record = {
  argv: process.argv.slice(2),
  cwd: process.cwd(),
  env: Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('GF_') || key.startsWith('PAYWATCH_'))),
  dashboards: existsSync(dashboards)
    ? Object.fromEntries(readdirSync(dashboards).map((folder) => [folder, readdirSync(join(dashboards, folder))]))
    : {},
  plugin: existsSync(join(plugins, 'paywatch-paywatch-app')) ? realpathSync(join(plugins, 'paywatch-paywatch-app')) : null,
  signingKey: { ...(await exportJWK(pair.privateKey)), kid: 'fake-grafana-1', alg: 'ES256' },
};
writeFileSync(env.FAKE_GRAFANA_RECORD!, JSON.stringify(record, null, 2));

const grafana = await startRecordedGrafana({ user: 'admin', password: env.GF_SECURITY_ADMIN_PASSWORD ?? 'admin' });
// Provisioning would have made the dashboard folders.
for (const folder of Object.keys(record.dashboards)) grafana.provisionFolder(`paywatch-folder-${folder}`, folder);
// Serve it on the port Grafana was told to use (the recorded API picked its own).
const upstream = new URL(grafana.url);
const server = createServer((req, res) => {
  if (req.url === '/api/signing-keys/keys') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(publicKeys));
    return;
  }
  const forward = request(
    { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  req.pipe(forward);
});
server.listen(Number(env.GF_SERVER_HTTP_PORT), env.GF_SERVER_HTTP_ADDR ?? '127.0.0.1');
const stop = () => {
  writeFileSync(env.FAKE_GRAFANA_RECORD!, JSON.stringify({ ...record, state: grafana.state }, null, 2));
  server.close();
  void grafana.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
