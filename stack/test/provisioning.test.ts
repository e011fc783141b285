// Grafana provisioning (provisioning/) and settings (docker/grafana/grafana.ini): the Prometheus
// data source reaches the numbers only through the scope proxy, with the user header and the
// shared secret; no data source points at Prometheus; every bundled dashboard lands in the folder
// of its audience, and the folders are policy/policy.yml's.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_SECRET_HEADER } from '@paywatch/scope-proxy';
import { desiredState, folderUid } from '../src/access/desired.ts';
import { loadPolicy, policyFolders } from '../src/access/policy.ts';
import { DASHBOARDS_DIR, placeDashboards } from '../src/dashboards.ts';
import { repoRoot } from '../src/paths.ts';

const provisioning = join(repoRoot, 'provisioning');
const policy = loadPolicy();
const folders = policyFolders(policy);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

interface Datasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  access?: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
}

const datasources = (): Datasource[] =>
  yamlFiles(join(provisioning, 'datasources')).flatMap(
    (file) => (parse(readFileSync(file, 'utf8')) as { datasources?: Datasource[] }).datasources ?? [],
  );

/** Grafana's own INI: [section] key = value. */
function ini(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      out[section] ??= {};
      continue;
    }
    const [key, ...value] = line.split('=');
    (out[section] ??= {})[key!.trim()] = value.join('=').trim();
  }
  return out;
}

test('every provisioning file is valid YAML with apiVersion 1', () => {
  const files = yamlFiles(provisioning);
  assert.ok(files.length >= 3);
  for (const file of files) {
    const doc = parse(readFileSync(file, 'utf8')) as { apiVersion?: number };
    assert.equal(doc.apiVersion, 1, file);
  }
});

test('the Prometheus data source points at the scope proxy, with the user header and the shared secret', () => {
  const prometheus = datasources().filter((ds) => ds.type === 'prometheus');
  assert.equal(prometheus.length, 1, 'exactly one Prometheus data source: the scope proxy');
  const ds = prometheus[0]!;
  assert.equal(ds.url, '${PAYWATCH_SCOPE_PROXY_URL}', 'the URL is the scope proxy, given by the environment');
  assert.equal(ds.access, 'proxy', 'server side: browsers never talk to the proxy');
  assert.equal(ds.jsonData?.httpHeaderName1, DEFAULT_SECRET_HEADER, 'the header the scope proxy checks');
  assert.equal(ds.secureJsonData?.httpHeaderValue1, '${PAYWATCH_PROXY_SECRET}', 'the secret comes from the environment, never the file');
  assert.ok(!JSON.stringify(ds).includes('basicAuthPassword'), 'no credentials in the file');
});

test('no data source points at Prometheus directly', () => {
  for (const ds of datasources()) {
    assert.doesNotMatch(ds.url, /:9090\b|prometheus[:/]|PROMETHEUS/i, `${ds.name} must not reach Prometheus (${ds.url})`);
    if (ds.type === 'prometheus') assert.match(ds.url, /SCOPE_PROXY|scope-proxy|:9410/);
  }
  assert.deepEqual(
    datasources().map((ds) => ds.type),
    ['prometheus'],
    'the scope proxy is the only data source',
  );
});

// Grafana gives every Viewer alert.instances.external:read on every Alertmanager data source: one
// would show every branch's alerts (labels, annotations with live values) to every role.
test('no Alertmanager data source, and an old one is deleted', () => {
  assert.ok(!datasources().some((ds) => ds.type === 'alertmanager'), "an Alertmanager data source leaks every branch's alerts");
  const deleted = yamlFiles(join(provisioning, 'datasources')).flatMap(
    (file) => (parse(readFileSync(file, 'utf8')) as { deleteDatasources?: Array<{ name: string }> }).deleteDatasources ?? [],
  );
  assert.ok(
    deleted.some((ds) => ds.name === 'Paywatch Alertmanager'),
    'installs provisioned before keep no Alertmanager data source',
  );
  const prometheus = datasources().find((ds) => ds.type === 'prometheus')!;
  assert.equal(prometheus.jsonData?.manageAlerts, false, "Grafana's Alerting UI does not manage the rules behind the scope proxy");
});

test('the data source declares the Prometheus version docker-compose.yml runs', () => {
  const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { image?: string }> };
  const image = compose.services.prometheus?.image ?? '';
  const version = /:v?(\d+\.\d+\.\d+)$/.exec(image)?.[1];
  assert.ok(version, `docker-compose.yml's prometheus image has a version tag (${image})`);
  const prometheus = datasources().find((ds) => ds.type === 'prometheus')!;
  assert.equal(
    String(prometheus.jsonData?.prometheusVersion),
    version,
    "provisioning/datasources/paywatch.yml prometheusVersion = the compose image's",
  );
});

test('the app is enabled with the data sources it reads through', () => {
  const plugin = JSON.parse(readFileSync(join(repoRoot, 'plugin', 'src', 'plugin.json'), 'utf8')) as { id: string };
  const apps = yamlFiles(join(provisioning, 'plugins')).flatMap(
    (file) =>
      (parse(readFileSync(file, 'utf8')) as { apps?: Array<{ type: string; disabled?: boolean; jsonData?: Record<string, string> }> })
        .apps ?? [],
  );
  const app = apps.find((a) => a.type === plugin.id);
  assert.ok(app, `provisioning enables ${plugin.id}`);
  assert.equal(app.disabled, false);
  const uids = datasources().map((ds) => ds.uid);
  assert.ok(uids.includes(app.jsonData!.datasourceUid!), 'the app reads through the provisioned scope-proxy data source');
  assert.deepEqual(Object.keys(app.jsonData!), ['datasourceUid'], 'the app is given no other data source (no Alertmanager)');
});

test('dashboards are provisioned into one folder per audience, the folders of policy.yml', () => {
  const providers = yamlFiles(join(provisioning, 'dashboards')).flatMap(
    (file) =>
      (
        parse(readFileSync(file, 'utf8')) as {
          providers?: Array<{ folder: string; folderUid: string; allowUiUpdates?: boolean; options: { path: string } }>;
        }
      ).providers ?? [],
  );
  assert.deepEqual(providers.map((p) => p.folder).sort(), [...folders].sort(), 'one provider per policy folder');
  const desired = desiredState(policy);
  for (const provider of providers) {
    assert.equal(provider.folderUid, folderUid(provider.folder), 'access sync sets permissions on the same folder uid');
    assert.ok(desired.folders.some((f) => f.uid === provider.folderUid));
    assert.equal(provider.options.path, `\${PAYWATCH_DASHBOARDS_DIR}/${provider.folder}`);
    assert.equal(provider.allowUiUpdates, false, 'dashboards are read-only in Grafana');
  }
  const placed = placeDashboards();
  assert.ok(placed.length >= folders.length, `bundled dashboards found in ${DASHBOARDS_DIR}`);
  for (const dashboard of placed)
    assert.ok(dashboard.folder && folders.includes(dashboard.folder), `${dashboard.relativePath} is provisioned into a policy folder`);
  for (const folder of folders)
    assert.ok(
      placed.some((d) => d.folder === folder),
      `folder ${folder} has a dashboard`,
    );
  // Folders and dashboards share one uid space in Grafana.
  const dashboardUids = new Set(placed.map((d) => d.uid));
  for (const provider of providers)
    assert.ok(!dashboardUids.has(provider.folderUid), `folder uid ${provider.folderUid} differs from every dashboard uid`);
});

test('dashboards query only through a data source variable or the provisioned scope-proxy data source', () => {
  const allowed = new Set(['${datasource}', '$datasource', ...datasources().map((ds) => ds.uid)]);
  for (const dashboard of placeDashboards()) {
    const text = readFileSync(dashboard.file, 'utf8');
    for (const match of text.matchAll(/"datasource":\s*\{[^}]*"uid":\s*"([^"]+)"/g)) {
      if (match[1] === '-- Grafana --' || match[1] === 'grafana') continue;
      assert.ok(allowed.has(match[1]!), `${dashboard.relativePath} uses data source ${match[1]}`);
    }
  }
});

test('grafana.ini: user header on, no anonymous access, no public dashboards or snapshots, viewers cannot edit', () => {
  const settings = ini(readFileSync(join(repoRoot, 'docker', 'grafana', 'grafana.ini'), 'utf8'));
  assert.equal(settings.dataproxy?.send_user_header, 'true');
  assert.equal(settings['auth.anonymous']?.enabled, 'false');
  assert.equal(settings.users?.viewers_can_edit, 'false');
  assert.equal(settings.users?.allow_sign_up, 'false');
  assert.equal(settings.snapshots?.enabled, 'false', "snapshots would copy one scope's numbers to others");
  assert.equal(settings.snapshots?.external_enabled, 'false');
  assert.equal(settings.feature_toggles?.idForwarding, 'true', 'Grafana forwards its signed ID token (grafana-id mode)');
  assert.equal(settings.public_dashboards?.enabled, 'false', 'public dashboards (on by default in Grafana 12) run queries with no user');
  assert.ok(!('editors_can_admin' in (settings.users ?? {})), 'editors_can_admin no longer exists in Grafana 12');
  assert.ok(!settings.security?.admin_password, 'the admin password comes from the environment');
});

// Grafana's plugin dashboard updater imports an enabled app's `includes` dashboards (into General,
// overwriting by uid) when a dashboard's JSON `revision` (default 1) differs from the revision it
// last imported (0 when never imported). The bundled dashboards carry revision 0, so enabling the
// app imports none of them: the provisioned per-audience copies stay the only ones.
test('the app does not make Grafana import its dashboards into the General folder', () => {
  const plugin = JSON.parse(readFileSync(join(repoRoot, 'plugin', 'src', 'plugin.json'), 'utf8')) as {
    includes?: Array<{ type: string; path?: string }>;
  };
  const included = (plugin.includes ?? []).filter((include) => include.type === 'dashboard');
  assert.equal(included.length, 6, 'the six dashboards stay bundled with the app');
  for (const include of included) {
    const dashboard = JSON.parse(readFileSync(join(repoRoot, 'plugin', 'src', include.path!), 'utf8')) as { revision?: number };
    assert.equal(dashboard.revision, 0, `${include.path}: revision 0, so Grafana never auto-imports it over the provisioned copy`);
  }
});

// A link to a dashboard in a folder the role cannot open leads to "Dashboard not found": every
// /d/<uid> link (dashboard links, panel links, data links) must open for every role that can open
// the dashboard it is on. The "Paywatch dashboards" menu (links of type dashboards, by tag) is
// filtered by Grafana itself.
test('dashboard links lead each role only to dashboards it may open', () => {
  const placed = placeDashboards();
  const folderOf = new Map(placed.map((d) => [d.uid, d.folder]));
  const openers = (folder: string) =>
    Object.entries(policy.roles)
      .filter(([, role]) => role.folders.includes(folder))
      .map(([name]) => name);
  const problems: string[] = [];
  for (const dashboard of placed) {
    const text = readFileSync(dashboard.file, 'utf8');
    for (const match of text.matchAll(/"url":\s*"\/d\/([A-Za-z0-9_-]+)/g)) {
      const target = folderOf.get(match[1]!);
      assert.ok(target, `${dashboard.relativePath} links to /d/${match[1]}, which is no bundled dashboard`);
      for (const role of openers(dashboard.folder!)) {
        if (!policy.roles[role]!.folders.includes(target))
          problems.push(`${dashboard.relativePath} → /d/${match[1]} (${target}): ${role} may open the first, not the second`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
