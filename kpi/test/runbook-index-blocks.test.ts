// The runbook index lists every alert the rule files raise with each level's threshold, and the
// generated blocks of a document cannot silently go missing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ALERTS, alertExpr, type AlertDefinition } from '../src/alerts.ts';
import { repoRoot } from '../src/generate.ts';
import { alertIndexTable, alertRow, blockEnd, blockStart, runbookIndex, withBlocks } from '../src/runbook-index.ts';

test('the runbook index names every alert of prometheus/rules/alerts.yml, each level with its class', () => {
  const rules = parse(readFileSync(join(repoRoot, 'prometheus/rules/alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; labels: Record<string, string> }> }>;
  };
  const index = readFileSync(join(repoRoot, 'docs/runbooks/README.md'), 'utf8');
  const raised = rules.groups.flatMap((g) => g.rules);
  assert.ok(raised.length > 40, `read ${raised.length} alert rules`);
  for (const rule of raised) {
    if (rule.alert === 'PlannedMaintenance') {
      assert.match(index, new RegExp(`PlannedMaintenance\\{aftermath="${rule.labels.aftermath}"\\}`));
      continue;
    }
    if (rule.alert === 'IncidentAftermath') {
      assert.match(
        index,
        new RegExp(`IncidentAftermath\\{root_cause="${rule.labels.root_cause}", aftermath="${rule.labels.aftermath}"\\}`),
      );
      continue;
    }
    const row = index.split('\n').find((l) => l.startsWith(`| [${rule.alert}](${rule.alert}.md) |`));
    assert.ok(row, `${rule.alert} has no row in docs/runbooks/README.md`);
    assert.ok(row.includes(`(${rule.labels.incident_class})`), `${rule.alert}'s row lacks its ${rule.labels.incident_class} level: ${row}`);
  }
});

test('every level whose rule reads its threshold shows it in the index (another threshold, another row)', () => {
  const other = (t: number) => (t === 0 ? 1 : t * 1.5 + 0.0137);
  let checked = 0;
  for (const alert of ALERTS) {
    alert.levels.forEach((level, i) => {
      if (level.threshold === undefined) return;
      if (alertExpr(alert, other(level.threshold), level) === alertExpr(alert, level.threshold, level)) return;
      const changed: AlertDefinition = {
        ...alert,
        levels: alert.levels.map((l, j) => (j === i ? { ...l, threshold: other(l.threshold!) } : l)),
      };
      assert.notEqual(
        alertRow(changed),
        alertRow(alert),
        `${alert.name} ${level.incidentClass}: its index row does not show its threshold`,
      );
      checked++;
    });
  }
  assert.ok(checked >= 40, `checked ${checked} levels`);
});

test('an alert whose texts do not state its threshold is refused, not indexed without it', () => {
  const mute: AlertDefinition = {
    ...ALERTS.find((a) => a.name === 'DiskQueueHigh')!,
    summary: () => 'Disk busy',
    description: () => 'The disk is busy.',
  };
  assert.throws(() => alertIndexTable([mute]), /neither its summary nor its description states its threshold/);
});

test('generated blocks: filled between their markers; a lost marker or an unknown block is an error', () => {
  const doc = `intro\n${blockStart('a')}\nold\n${blockEnd('a')}\noutro\n`;
  assert.equal(withBlocks(doc, 'x.md', { a: 'new' }), `intro\n${blockStart('a')}\nnew\n${blockEnd('a')}\noutro\n`);
  assert.throws(() => withBlocks('intro\n', 'x.md', { a: 'new' }), /x\.md has no .* line/);
  assert.throws(() => withBlocks(`${blockStart('a')}\n`, 'x.md', { a: 'new' }), /not its end/);
  assert.throws(() => withBlocks(doc, 'x.md', {}), /no generator fills: a/);
  assert.throws(() => runbookIndex('# Runbooks\n\n{{alerts}}\n'), /lost its \{\{ladder\}\} line/);
  assert.throws(() => runbookIndex('{{ladder}}\n{{alerts}}\n{{maintenance}}\n{{nope}}\n'), /unknown placeholder \{\{nope\}\}/);
});
