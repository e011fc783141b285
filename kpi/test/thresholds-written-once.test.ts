// No hand-written passage restates an alert's level or a KPI's target (issue 11): the levels are in
// the generated tables (the runbook index, each runbook's top block, docs/alerting.md's blocks),
// and prose says "the level above" or names the constant. This looks for a level's figure after a
// comparison word ("above 5 s", "below 90 %", "> 1000", "target 99 %") in the hand-written parts
// of the documents that talk about alerts; a measured figure ("success about 99.5 %") is not a
// comparison and passes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BURN_WINDOWS, KPIS } from '@paywatch/contract';
import { ALERTS, type AlertDefinition } from '../src/alerts.ts';
import { repoRoot } from '../src/generate.ts';

/** A document without its generated parts (runbook tables, marker blocks; the index is generated whole). */
function handWritten(text: string): string {
  return text
    .replace(/<!-- thresholds:[\s\S]*?<!-- end of generated thresholds -->/g, '')
    .replace(/<!-- generated: ([a-z0-9-]+) [\s\S]*?<!-- end of generated \1 -->/g, '');
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The ways a document writes a figure: 0.98 → "98 %", "98%"; 0.5 → "500 ms"; 5 → "5 s", "5 seconds",
 * "5/h"; 300 → "5 min"; and, for a runbook's own alert only, the bare number (a count: "more than 1000").
 */
function renderings(value: number, bare: boolean): string[] {
  const forms = [`${escape(String(value))} ?(?:s|seconds?|/h|an hour|a minute)\\b`];
  if (bare) forms.push(`${escape(String(value))}(?![\\d.%])`);
  if (value > 0 && value < 1) forms.push(`${escape(String(Number((value * 100).toFixed(3))))} ?%`, `${escape(String(value * 1000))} ?ms`);
  if (value >= 60 && value % 60 === 0) forms.push(`${value / 60} ?(?:min|minutes?)\\b`);
  return forms;
}

/** Words that put a level after them ("over" is left out: "over 5 minutes" is a window). */
const COMPARISON = '(?:above|below|under|more than|less than|fewer than|at least|[<>]=?)';

/** Patterns of the levels of `alerts` (bare numbers too when `bare`), every KPI target and every burn rate. */
function levelPatterns(alerts: readonly AlertDefinition[], bare: boolean): Array<{ what: string; re: RegExp }> {
  const patterns: Array<{ what: string; re: RegExp }> = [];
  for (const alert of alerts)
    for (const level of alert.levels) {
      if (level.threshold === undefined) continue;
      for (const form of renderings(level.threshold, bare))
        patterns.push({ what: `${alert.name} ${level.incidentClass} level ${level.threshold}`, re: new RegExp(`${COMPARISON} ${form}`) });
    }
  for (const k of KPIS)
    for (const form of renderings(k.target, false))
      patterns.push({ what: `KPI ${k.id} target ${k.target}`, re: new RegExp(`[Tt]arget (?:is |of )?(?:under |above )?${form}`) });
  for (const w of BURN_WINDOWS)
    patterns.push({ what: `burn rate ${w.burnRate}x`, re: new RegExp(`(?<![\\d.])${escape(String(w.burnRate))}x\\b`) });
  return patterns;
}

/** Each document with the levels it must not restate: a runbook its own alert's (bare counts too), the others every alert's. */
function documents(): Array<{ path: string; patterns: Array<{ what: string; re: RegExp }> }> {
  const runbooks = ALERTS.map((alert) => ({ path: `docs/runbooks/${alert.name}.md`, patterns: levelPatterns([alert], true) }));
  const all = levelPatterns(ALERTS, false);
  return [{ path: 'docs/alerting.md', patterns: all }, { path: 'kpi/templates/runbook-index.md', patterns: all }, ...runbooks];
}

test('no hand-written passage of docs/alerting.md, the runbook index template or a runbook restates a level or a target', () => {
  const docs = documents();
  assert.ok(docs.length > 40 && docs[0]!.patterns.length > 100, `${docs.length} documents, ${docs[0]!.patterns.length} patterns`);
  const found: string[] = [];
  for (const { path, patterns } of docs) {
    handWritten(readFileSync(join(repoRoot, path), 'utf8'))
      .split('\n')
      .forEach((line, i) => {
        const hit = patterns.find((p) => p.re.test(line));
        if (hit) found.push(`${path} (hand-written line ${i + 1}): "${line.trim()}" restates ${hit.what}`);
      });
  }
  assert.deepEqual(found, [], 'say "the level above" or name the constant; the figure is in the generated tables');
});

test('the check finds a restated level (it is not blind)', () => {
  const alert = ALERTS.find((a) => a.name === 'PaymentSuccessRateLow')!;
  const patterns = levelPatterns([alert], true);
  for (const line of ['Sev1 (below 90 %): page the lead', 'Warning (Sev3) below 98%', 'Target is 99 %'])
    assert.ok(
      patterns.some((p) => p.re.test(line)),
      line,
    );
  assert.ok(!patterns.some((p) => p.re.test('the model succeeds about 99.5 % on a normal day')));
});
