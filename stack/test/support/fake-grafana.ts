// A stand-in `grafana` binary for the stack test (no Grafana server can run here): records how
// `npm start` launched it (arguments, the Paywatch environment, what the provisioning, plugin and
// dashboards paths hold) to $FAKE_GRAFANA_RECORD, then serves the recorded Grafana HTTP API on
// GF_SERVER_HTTP_PORT with the admin password from GF_SECURITY_ADMIN_PASSWORD, so the access sync
// `npm start` runs against it can be checked too.
import { existsSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { startRecordedGrafana } from './recorded-grafana.ts';

const env = process.env;
const dashboards = env.PAYWATCH_DASHBOARDS_DIR ?? '';
const plugins = env.GF_PATHS_PLUGINS ?? '';
const record = {
  argv: process.argv.slice(2),
  cwd: process.cwd(),
  env: Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('GF_') || key.startsWith('PAYWATCH_'))),
  dashboards: existsSync(dashboards) ? Object.fromEntries(readdirSync(dashboards).map((folder) => [folder, readdirSync(join(dashboards, folder))])) : {},
  plugin: existsSync(join(plugins, 'paywatch-paywatch-app')) ? realpathSync(join(plugins, 'paywatch-paywatch-app')) : null,
};
writeFileSync(env.FAKE_GRAFANA_RECORD!, JSON.stringify(record, null, 2));

const grafana = await startRecordedGrafana({ user: 'admin', password: env.GF_SECURITY_ADMIN_PASSWORD ?? 'admin' });
// Provisioning would have made the dashboard folders.
for (const folder of Object.keys(record.dashboards)) grafana.provisionFolder(`paywatch-folder-${folder}`, folder);
// Serve it on the port Grafana was told to use (the recorded API picked its own).
const upstream = new URL(grafana.url);
const server = createServer((req, res) => {
  const forward = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
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
