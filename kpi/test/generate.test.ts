// The generated files are committed and current; the rules keep the contract (@paywatch/contract)
// and policy/policy.yml; every alert has runbook, promtool coverage and routing.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ALERTS } from '../src/alerts.ts';
import { inhibitRules, LADDER } from '../src/alertmanager.ts';
import { repoRoot, staleFiles } from '../src/generate.ts';
import { RULE_TEST_FILES } from '../src/rule-tests.ts';
import { alertRules, allGeneratedRecordingRules } from '../src/rules.ts';
import { KPIS, RECORDING_RULES } from '@paywatch/contract';

test('committed generated files are up to date (npm run generate -w @paywatch/kpi)', () => {
  assert.deepEqual(staleFiles(), []);
});

/** The fixed recording rules of the contract (rendered in docs/metrics.md): name -> labels. */
function contractRules(): Map<string, string[]> {
  return new Map(RECORDING_RULES.map((rule) => [rule.name, [...rule.labels].sort()]));
}

test('every recording rule of the metric contract exists, checked by promtool with exactly its labels', () => {
  const contract = contractRules();
  assert.ok(contract.size >= 23, `read ${contract.size} rules from the contract`);
  const records = new Set(allGeneratedRecordingRules().map((r) => r.record));
  const checks = RULE_TEST_FILES.flatMap((f) => f.recordingCases.flatMap((c) => c.checks));
  for (const [name, labels] of contract) {
    assert.ok(records.has(name), `recording rule ${name} is missing`);
    const check = checks.find((c) => new RegExp(`(^|[^a-z_:])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z_:0-9])`).test(c.expr));
    assert.ok(check, `no promtool check covers ${name}`);
    for (const sample of check.samples) {
      const got = [...sample.labels.matchAll(/([a-z_]+)="/g)].map((m) => m[1]!).sort();
      assert.deepEqual(got, labels, `${name}: labels of ${sample.labels}`);
    }
  }
});

test('aggregate (paywatch:) rules carry no branch or officer; the policy lists only existing ones', () => {
  const records = new Set(allGeneratedRecordingRules().map((r) => r.record));
  const checks = RULE_TEST_FILES.flatMap((f) => f.recordingCases.flatMap((c) => c.checks));
  for (const check of checks.filter((c) => /paywatch:/.test(c.expr))) {
    for (const sample of check.samples) assert.doesNotMatch(sample.labels, /branch=|officer=/, check.expr);
  }
  for (const rule of allGeneratedRecordingRules().filter((r) => r.record.startsWith('paywatch:'))) {
    assert.doesNotMatch(rule.expr, /by \([^)]*\b(branch|officer)\b/, `${rule.record} keeps a branch/officer label`);
  }
  const policy = parse(readFileSync(join(repoRoot, 'policy/policy.yml'), 'utf8')) as { aggregate_metrics: string[] };
  for (const name of policy.aggregate_metrics) assert.ok(records.has(name), `policy allows ${name}, which no rule records`);
  for (const k of KPIS) assert.ok(records.has(k.series), `KPI ${k.id} reads ${k.series}, which no rule records`);
});

test('every alert rule has severity, incident class, team, category and the four annotations', () => {
  for (const rule of alertRules()) {
    assert.match(rule.labels.severity!, /^(critical|warning|info)$/);
    assert.match(rule.labels.incident_class!, /^Sev[1-4]$/);
    assert.ok(rule.labels.team && rule.labels.category, rule.alert);
    assert.deepEqual(Object.keys(rule.annotations).sort(), ['description', 'impact', 'runbook_url', 'summary']);
    assert.match(rule.annotations.description!, /\$value|\$labels|\{\{ with query /, `${rule.alert} description shows no live value`);
    assert.equal(rule.annotations.runbook_url, `docs/runbooks/${rule.alert}.md`);
    // Critical is Sev1/Sev2, warning Sev3, info Sev4: the routing tree keys on the class.
    const expected = { critical: ['Sev1', 'Sev2'], warning: ['Sev3'], info: ['Sev4'] }[rule.labels.severity as 'critical'];
    assert.ok(expected.includes(rule.labels.incident_class!), `${rule.alert}: ${rule.labels.severity} with ${rule.labels.incident_class}`);
  }
});

test('every alert has a runbook and every runbook has an alert', () => {
  const dir = join(repoRoot, 'docs/runbooks');
  const runbooks = readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => f.slice(0, -3))
    .sort();
  const alerts = ALERTS.map((a) => a.name).sort();
  assert.deepEqual(runbooks, alerts);
  for (const name of alerts) {
    const text = readFileSync(join(dir, `${name}.md`), 'utf8');
    assert.match(text, new RegExp(`^# ${name}\\b`), `${name}.md starts with its title`);
    for (const heading of ['## What it means', '## Look first', '## Act', '## Escalate'])
      assert.ok(text.includes(heading), `${name}.md has "${heading}"`);
    assert.match(text, /```promql/, `${name}.md has PromQL to run`);
  }
  for (const rule of alertRules()) assert.ok(existsSync(join(repoRoot, rule.annotations.runbook_url!)), rule.annotations.runbook_url);
});

test('every alert level has a promtool case where it fires, and every alert one where nothing fires', () => {
  const cases = RULE_TEST_FILES.flatMap((f) => f.alertCases);
  for (const alert of ALERTS) {
    const mine = cases.filter((c) => c.alert === alert.name);
    for (const level of alert.levels) {
      assert.ok(
        mine.some((c) => c.expect.some((e) => e.incidentClass === level.incidentClass)),
        `${alert.name} ${level.incidentClass}: no case where it fires`,
      );
    }
    assert.ok(
      mine.some((c) => c.expect.length === 0),
      `${alert.name}: no case just inside the threshold`,
    );
  }
  // The generated YAML has the same coverage (nothing lost between the data and the file).
  for (const file of RULE_TEST_FILES) {
    const yaml = parse(readFileSync(join(repoRoot, 'prometheus/tests', file.file), 'utf8')) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string }> }>;
    };
    const names = yaml.tests.flatMap((t) => (t.alert_rule_test ?? []).map((a) => a.alertname));
    assert.deepEqual(
      names,
      file.alertCases.map((c) => c.alert),
    );
  }
});

test('every incident class has a rung, and every root cause inhibits the alerts that depend on it', () => {
  const classes = new Set(alertRules().map((r) => r.labels.incident_class));
  for (const cls of classes)
    assert.ok(
      LADDER.some((t) => t.incidentClass === cls),
      `${cls} has no tier`,
    );
  const rules = inhibitRules();
  for (const alert of ALERTS) {
    for (const cause of alert.dependsOn ?? []) {
      const source = ALERTS.find((a) => a.rootCause === cause);
      assert.ok(source, `${alert.name} depends on ${cause}, which no alert is the root cause of`);
      assert.ok(
        rules.some(
          (r) =>
            (r.source_matchers as string[])[0] === `alertname="${source.name}"` && (r.target_matchers as string[])[0]!.includes(alert.name),
        ),
        `${source.name} does not inhibit ${alert.name}`,
      );
    }
  }
});
