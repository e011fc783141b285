// What a scope could have computed (src/reach.ts) and which annotations it may read
// (src/filters/annotations.ts): one row per case, the expected answer written from the meaning
// of the scope (could this caller have obtained the number with their own queries?).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { annotationVisible, templateQueries } from '../src/filters/annotations.ts';
import { computesInScope, readsOnlyScope } from '../src/reach.ts';
import type { Scope } from '../src/scope.ts';

const BRANCH: Scope = { kind: 'branch', branches: ['BR0001'] };
const OFFICER: Scope = { kind: 'officer', branch: 'BR0001', officer: 'BR0001-FO01' };
const AGGREGATE: Scope = { kind: 'aggregate', metrics: ['paywatch:payments:rate5m', 'paywatch:payment_success_ratio:rate5m'] };

const COMPUTES: Array<[string, Scope, boolean]> = [
  ['branch:payment_actionable_failures:increase1h > 5', BRANCH, true],
  ['sum by (branch) (rate(payments_total[5m])) > 1', BRANCH, true],
  ['sum without (channel, status) (rate(payments_total[5m])) > 1', BRANCH, true],
  ['sum without (branch) (rate(payments_total[5m])) > 1', BRANCH, false],
  ['sum(rate(payments_total[5m])) > 1', BRANCH, false],
  ['sum by (branch) (x) / on() group_left sum(x) > 0.1', BRANCH, false],
  ['sum by (branch) (x) / on(branch) sum by (branch) (y) > 0.1', BRANCH, true],
  ['x / ignoring(branch) y', BRANCH, false],
  ['x / ignoring(channel) y', BRANCH, true],
  ['x > scalar(sum(y))', BRANCH, false],
  ['absent(x{branch="BR0001"})', BRANCH, false],
  ['label_replace(x, "branch", "BR0001", "", "")', BRANCH, false],
  ['label_replace(x, "copy", "$1", "branch", "(.*)") > 0', BRANCH, true],
  ['topk by (branch) (1, x)', BRANCH, true],
  ['topk(1, x)', BRANCH, false],
  ['histogram_quantile(0.95, sum by (le, branch) (rate(h_bucket[5m]))) > 3', BRANCH, true],
  ['x > 1 and time() > 0', BRANCH, true],
  ['field_collections_unconfirmed > 3', OFFICER, true],
  ['sum by (branch) (field_collections_unconfirmed) > 3', OFFICER, false],
  ['sum by (branch, officer) (field_collections_unconfirmed) > 3', OFFICER, true],
  ['paywatch:payment_success_ratio:rate5m < 0.98', AGGREGATE, true],
  ['db_up == 0', AGGREGATE, false],
  ['paywatch:payments:rate5m / on() group_left sum(payments_total) > 0', AGGREGATE, false],
  ['not promql ((', BRANCH, false],
];

const READS: Array<[string, Scope, boolean]> = [
  ['paywatch:reconciliation_overdue:sum', BRANCH, false],
  ['sum(payments_total{branch="BR0001"})', BRANCH, true],
  ['sum(payments_total{branch=~"BR0001"})', BRANCH, false],
  ['sum(field_collections_total{branch="BR0001",officer="BR0001-FO01"})', OFFICER, true],
  ['sum(field_collections_total{branch="BR0001"})', OFFICER, false],
  ['max(paywatch:payments:rate5m)', AGGREGATE, true],
  ['max(lms_posting_queue_depth)', AGGREGATE, false],
];

describe('what a scope could have computed', () => {
  for (const [expr, scope, expected] of COMPUTES) {
    test(`${scope.kind}: ${expr} computes in scope: ${expected}`, () => assert.equal(computesInScope(expr, scope), expected));
  }
  for (const [expr, scope, expected] of READS) {
    test(`${scope.kind}: ${expr} reads only the scope: ${expected}`, () => assert.equal(readsOnlyScope(expr, scope), expected));
  }
  test('the all scope computes everything', () => assert.equal(computesInScope('sum(x)', { kind: 'all' }), true));
});

describe('annotations a scope may read', () => {
  const failures = 'branch:payment_actionable_failures:increase1h > 5';
  const rows: Array<[string | undefined, string, Scope, boolean]> = [
    ['Payment gateway {{ $labels.gateway }} is down', 'x == 0', AGGREGATE, true],
    ['static text', 'db_up == 0', AGGREGATE, true],
    ['db_up = {{ $value }}', 'db_up == 0', AGGREGATE, false],
    ['{{ $labels.branch }} had {{ $value | printf "%.0f" }} failed payments', failures, BRANCH, true],
    ['{{ .Value }}', 'sum(x) > 0', BRANCH, false],
    ['{{ with query "paywatch:reconciliation_overdue:sum" }}{{ . | first | value }}{{ end }}', failures, BRANCH, false],
    ['{{ with query "sum(payments_total{branch=\\"BR0001\\"})" }}{{ . | first | value }}{{ end }}', failures, BRANCH, true],
    ['{{ with query `max(paywatch:payments:rate5m)` }}{{ . | first | value }}{{ end }}', 'x', AGGREGATE, true],
    ['{{ $q := "sum(x)" }}{{ with query $q }}{{ . }}{{ end }}', failures, BRANCH, false],
    ['{{ with query (printf "x{branch=%q}" $labels.branch) }}{{ . }}{{ end }}', failures, BRANCH, false],
    [undefined, failures, BRANCH, false],
  ];
  for (const [template, query, scope, expected] of rows) {
    test(`${scope.kind}: ${JSON.stringify(template)} visible: ${expected}`, () =>
      assert.equal(annotationVisible(template, query, scope), expected));
  }
  test('query literals are read as Go strings', () => {
    assert.deepEqual(templateQueries('{{ with query "a{b=\\"c\\"}" }}{{ end }} {{ query `d` }}'), ['a{b="c"}', 'd']);
  });
});
