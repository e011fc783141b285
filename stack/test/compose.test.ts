// docker-compose.yml, validated without a Docker engine: pinned images, health checks, named
// volumes, only what a user opens published and only on 127.0.0.1, every mounted file in the
// repository, secrets from the environment, the generated Prometheus/Alertmanager configs fresh
// and valid (promtool, amtool), and `docker compose config` / `docker-compose config` when a
// client is installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { COMPOSE_TARGETS, composeConfigFiles } from '../src/compose.ts';
import { repoRoot } from '../src/paths.ts';
import { findTool } from '@paywatch/runtime';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
}

const text = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
const compose = parse(text, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const oneShot = (service: Service) => service.restart === 'no';

test('every image is pinned to a version (no latest, no bare name)', () => {
  for (const [name, service] of Object.entries(services)) {
    assert.ok(service.image, `${name} names its image`);
    const tag = service.image.split(':')[1];
    assert.ok(tag && tag !== 'latest' && /\d/.test(tag), `${name}: ${service.image} is pinned`);
  }
  const dockerfile = readFileSync(join(repoRoot, 'docker', 'paywatch.Dockerfile'), 'utf8');
  for (const from of dockerfile.matchAll(/^FROM\s+(\S+)/gm)) assert.match(from[1]!, /:[^:]*\d/, `Dockerfile FROM ${from[1]} is pinned`);
});

test('every long-running service has a health check, and start-up waits on them', () => {
  for (const [name, service] of Object.entries(services)) {
    if (oneShot(service)) continue;
    assert.ok(service.healthcheck?.test?.length, `${name} has a health check`);
  }
  for (const [name, service] of Object.entries(services)) {
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      assert.ok(services[dependency], `${name} depends on a service that exists (${dependency})`);
      assert.ok(
        ['service_healthy', 'service_completed_successfully'].includes(condition),
        `${name} waits for ${dependency} to be ready, not just started`,
      );
    }
  }
});

test('only what a user opens is published, and only on 127.0.0.1', () => {
  const published: Record<string, string[]> = {};
  for (const [name, service] of Object.entries(services)) {
    for (const port of service.ports ?? []) {
      assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${port} on 127.0.0.1 only`);
      (published[name] ??= []).push(port);
    }
  }
  assert.deepEqual(Object.keys(published).sort(), ['alert-sink', 'grafana', 'mailpit', 'prometheus']);
  for (const name of ['postgres', 'scope-proxy', 'exporter-payments', 'simulator', 'alertmanager'])
    assert.equal(services[name]!.ports, undefined, `${name} is not published`);
});

test('data lives in named volumes; every mounted file is in the repository', () => {
  for (const [name, service] of Object.entries(services)) {
    for (const volume of service.volumes ?? []) {
      const [source] = volume.split(':');
      if (source!.startsWith('./')) {
        const path = join(repoRoot, source!);
        if (source === './plugin/dist') {
          // Built by `npm run build` in plugin/ (the README's first step); it is not committed.
          assert.ok(
            JSON.parse(readFileSync(join(repoRoot, 'plugin', 'package.json'), 'utf8')).scripts.build,
            "plugin/dist is built by plugin's build script",
          );
          continue;
        }
        assert.ok(existsSync(path), `${name} mounts ${source}, which exists`);
        assert.ok(volume.endsWith(':ro'), `${name} mounts ${source} read-only`);
      } else if (source!.startsWith('/')) {
        assert.equal(name, 'node-exporter', 'only the host-metrics prober sees the host');
        assert.match(volume, /:ro/);
      } else {
        assert.ok(source! in compose.volumes, `${name} uses the named volume ${source}`);
      }
    }
  }
  for (const stateful of ['postgres', 'prometheus', 'alertmanager', 'grafana']) {
    assert.ok(
      services[stateful]!.volumes?.some((v) => !v.startsWith('.') && !v.startsWith('/')),
      `${stateful} keeps its data in a named volume`,
    );
  }
});

test('secrets come from the environment, the proxy secret is required and shared by Grafana and the proxy', () => {
  const required = /^\$\{PAYWATCH_PROXY_SECRET:\?[^}]+\}$/;
  assert.match(services['scope-proxy']!.environment!.PAYWATCH_PROXY_SECRET!, required);
  assert.match(services.grafana!.environment!.PAYWATCH_PROXY_SECRET!, required);
  assert.match(services.grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD!, /^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
  assert.ok(!/change-me|secret: [a-z0-9]{16,}/i.test(text), 'no secret value written in the file');
});

test('Grafana gets the plugin, provisioning, settings and dashboards, and reaches data only through the scope proxy', () => {
  const grafana = services.grafana!;
  const mounts = new Map((grafana.volumes ?? []).map((v) => [v.split(':')[1], v.split(':')[0]]));
  assert.equal(mounts.get('/etc/grafana/provisioning'), './provisioning');
  assert.equal(mounts.get('/etc/grafana/grafana.ini'), './docker/grafana/grafana.ini');
  assert.equal(mounts.get('/var/lib/grafana/plugins/paywatch-paywatch-app'), './plugin/dist');
  assert.equal(mounts.get(grafana.environment!.PAYWATCH_DASHBOARDS_DIR), './plugin/src/dashboards');
  assert.equal(grafana.environment!.PAYWATCH_SCOPE_PROXY_URL, `http://${COMPOSE_TARGETS.scopeProxy}`);
  assert.ok(
    !Object.values(grafana.environment!).some((value) => /prometheus:9090/.test(value)),
    'Grafana is never told where Prometheus is',
  );
  assert.match(grafana.image!, /^grafana\/grafana(-oss)?:/, 'Grafana OSS');
});

// A login can be renamed by its user; the scope proxy binds each policy login to the Grafana user
// access sync created, through Grafana's signed ID token (scope-proxy/src/identity.ts).
test("the scope proxy trusts only Grafana's ID token, bound by access sync to one Grafana user per login", () => {
  const flag = (command: string[], name: string) => command[command.indexOf(name) + 1];
  const proxy = (services['scope-proxy']!.command ?? []) as string[];
  const sync = (services['access-sync']!.command ?? []) as string[];
  assert.equal(flag(proxy, '--identity'), 'grafana-id');
  assert.equal(flag(proxy, '--jwks-url'), 'http://grafana:3000/api/signing-keys/keys');
  assert.equal(
    flag(proxy, '--jwt-issuer'),
    services.grafana!.environment!.GF_SERVER_ROOT_URL,
    'Grafana 12 signs with its root URL (trailing slash) as issuer',
  );
  assert.equal(flag(proxy, '--jwt-audience'), 'org:1');
  assert.equal(flag(proxy, '--identities'), flag(sync, '--identities'), 'the proxy reads the file access sync writes');
  const volumeOf = (service: string) => (services[service]!.volumes ?? []).find((v) => v.split(':')[1] === '/data')?.split(':')[0];
  assert.equal(volumeOf('scope-proxy'), 'identities');
  assert.equal(volumeOf('access-sync'), 'identities');
  assert.ok((services['scope-proxy']!.volumes ?? []).includes('identities:/data:ro'), 'the proxy only reads it');
  assert.equal(services.grafana!.environment!.PAYWATCH_ALERTMANAGER_URL, undefined, 'no Alertmanager data source');
});

test("our processes run the repository's entry points", () => {
  for (const [name, service] of Object.entries(services)) {
    if (!service.build) continue;
    const entry = Array.isArray(service.command) ? service.command[0]! : String(service.command);
    assert.ok(existsSync(join(repoRoot, entry)), `${name} runs ${entry}, which exists`);
  }
  const dockerfile = readFileSync(join(repoRoot, 'docker', 'paywatch.Dockerfile'), 'utf8');
  for (const copy of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm))
    assert.ok(existsSync(join(repoRoot, copy[1]!)), `Dockerfile copies ${copy[1]}, which exists`);
});

test('Prometheus scrapes the compose services and loads the rules; the configs are fresh and valid', () => {
  for (const [path, content] of Object.entries(composeConfigFiles())) {
    assert.equal(readFileSync(join(repoRoot, path), 'utf8'), content, `${path} is up to date (npm run compose-configs)`);
  }
  const prometheus = parse(readFileSync(join(repoRoot, 'docker', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    rule_files: string[];
  };
  const hosts = new Set(Object.keys(services));
  for (const job of prometheus.scrape_configs) {
    for (const target of job.static_configs.flatMap((c) => c.targets)) {
      const host = target.replace(/^https?:\/\//, '').split(/[:/]/)[0]!;
      assert.ok(hosts.has(host), `job ${job.job_name} target ${target} is a compose service`);
    }
  }
  assert.deepEqual(prometheus.rule_files, ['/etc/prometheus/rules/*.yml']);
  assert.ok(services.prometheus!.volumes!.includes('./prometheus/rules:/etc/prometheus/rules:ro'));
  const promtool = findTool('promtool');
  if (promtool) {
    const check = spawnSync(promtool, ['check', 'config', '--syntax-only', join(repoRoot, 'docker', 'prometheus', 'prometheus.yml')], {
      encoding: 'utf8',
    });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  }
  const amtool = findTool('amtool');
  if (amtool) {
    const check = spawnSync(amtool, ['check-config', join(repoRoot, 'docker', 'alertmanager', 'alertmanager.yml')], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  }
  const alertmanager = readFileSync(join(repoRoot, 'docker', 'alertmanager', 'alertmanager.yml'), 'utf8');
  assert.match(alertmanager, /smtp_smarthost: mailpit:1025/, 'emails go to the mail sink');
  assert.match(alertmanager, /http:\/\/alert-sink:9420\/alerts\/pagerduty/, 'paging goes to the webhook sink');
});

test('docker compose accepts the file (when a compose client is installed)', (t) => {
  const clients: string[][] = [];
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) clients.push(['docker', 'compose']);
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) clients.push(['docker-compose']);
  if (clients.length === 0) {
    t.skip('no docker compose client here');
    return;
  }
  for (const [command, ...args] of clients) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PAYWATCH_PROXY_SECRET: 'test-secret-0123456789abcdef',
      GRAFANA_ADMIN_PASSWORD: 'test-admin-password',
    };
    const ok = spawnSync(command!, [...args, 'config', '-q'], { cwd: repoRoot, env, encoding: 'utf8' });
    assert.equal(ok.status, 0, `${command} ${args.join(' ')} config: ${ok.stderr}`);
    delete env.PAYWATCH_PROXY_SECRET;
    const missing = spawnSync(command!, [...args, 'config', '-q'], { cwd: repoRoot, env, encoding: 'utf8' });
    assert.notEqual(missing.status, 0, 'without PAYWATCH_PROXY_SECRET compose refuses to start');
    assert.match(missing.stderr, /PAYWATCH_PROXY_SECRET/);
  }
});
