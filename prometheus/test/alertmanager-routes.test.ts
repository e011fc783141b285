// amtool against the committed alertmanager.yml: the config is valid, and every path through the
// routing tree (each incident class, the fallback, and every alert the rules can raise) reaches
// exactly the receivers of its rung of the ladder, in ladder order.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { alertmanagerConfigYaml, LADDER, alertRules, TEAM_RECEIVERS } from '@paywatch/kpi';
import { repoRoot, requireTool } from '@paywatch/runtime';

const config = join(repoRoot, 'prometheus', 'alertmanager.yml');

function amtool(args: string[]) {
  const result = spawnSync(requireTool('amtool'), args, { cwd: join(repoRoot, 'prometheus'), encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

function routesTest(configFile: string, labels: Record<string, string>, receivers: string[]) {
  return amtool([
    'config',
    'routes',
    'test',
    `--config.file=${configFile}`,
    `--verify.receivers=${receivers.join(',')}`,
    ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
  ]);
}

const ladderOf = (cls: string) => LADDER.find((t) => t.incidentClass === cls)!.rungs.map((r) => r.receiver);

test('amtool check-config: the committed alertmanager.yml and its templates', () => {
  const { ok, output } = amtool(['check-config', config]);
  assert.ok(ok, output);
  assert.match(output, /1 templates/);
});

test('amtool check-config: the scaled test copy with webhook receivers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paywatch-am-'));
  const file = join(dir, 'alertmanager.yml');
  writeFileSync(
    file,
    alertmanagerConfigYaml({ receivers: { kind: 'webhook', url: (r) => `http://127.0.0.1:1/${r}` }, timeScale: 1 / 300 }),
  );
  const { ok, output } = amtool(['check-config', file]);
  assert.ok(ok, output);
});

// Each incident class is one path through the tree; an alert without a class takes the fallback.
const PATHS: Array<{ name: string; labels: Record<string, string>; receivers: string[] }> = [
  {
    name: 'Sev1: email, PagerDuty and Slack at once, executives after 30 min',
    labels: { alertname: 'DatabaseDown', severity: 'critical', incident_class: 'Sev1' },
    receivers: ['email-oncall', 'pagerduty', 'slack', 'executives'],
  },
  {
    name: 'Sev2: email, Slack after 5, PagerDuty after 15, executives after 30',
    labels: { alertname: 'LmsDown', severity: 'critical', incident_class: 'Sev2' },
    receivers: ['email-oncall', 'slack', 'pagerduty', 'executives'],
  },
  {
    name: 'Sev3: email, Slack after 15; never paged',
    labels: { alertname: 'ApiLatencyHigh', severity: 'warning', incident_class: 'Sev3' },
    receivers: ['email-oncall', 'slack'],
  },
  {
    name: 'Sev4 (business): email to finance only',
    labels: { alertname: 'ReconciliationOverdue', severity: 'info', incident_class: 'Sev4', branch: 'BR0042' },
    receivers: ['email-business'],
  },
  {
    name: 'security: the security team at once, and the Sev3 ladder',
    labels: { alertname: 'FailedLoginsHigh', severity: 'warning', incident_class: 'Sev3', team: 'security' },
    receivers: ['email-security', 'email-oncall', 'slack'],
  },
  {
    name: "an incident's aftermath (IncidentAftermath, a source of inhibitions): nobody",
    labels: { alertname: 'IncidentAftermath', severity: 'none', team: 'platform', root_cause: 'lms', aftermath: '62m' },
    receivers: ['nobody'],
  },
  {
    name: 'no incident class: the on-call email (fallback)',
    labels: { alertname: 'SomethingElse', severity: 'warning' },
    receivers: ['email-oncall'],
  },
];

for (const path of PATHS) {
  test(`amtool routes test: ${path.name}`, () => {
    const { ok, output } = routesTest(config, path.labels, path.receivers);
    assert.ok(ok, output);
  });
}

test('amtool routes test: every alert level the rules can raise reaches its ladder', () => {
  const failures: string[] = [];
  for (const rule of alertRules()) {
    const labels = { alertname: rule.alert, ...rule.labels, branch: 'BR0001' };
    const team = TEAM_RECEIVERS[rule.labels.team as keyof typeof TEAM_RECEIVERS];
    const expected = [...(team ? [team] : []), ...ladderOf(rule.labels.incident_class!)];
    const { ok, output } = routesTest(config, labels, expected);
    if (!ok) failures.push(`${rule.alert} ${rule.labels.incident_class}: expected ${expected.join(',')}, got ${output}`);
  }
  assert.deepEqual(failures, []);
});
