// Table-driven tests of the enforcement core: every construct, what it becomes for each scope,
// and what is refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { PromQLError, decodeString, parsePromQL, print, printMatcher } from '../src/promql.ts';
import {
  alertInScope,
  rewriteQuery,
  rewriteSeriesSelector,
  ScopeError,
  scopeMatchers,
  scopeSelector,
  seriesInScope,
  type Scope,
} from '../src/scope.ts';

const branch: Scope = { kind: 'branch', branches: ['BR0001', 'BR0002'] };
const officer: Scope = { kind: 'officer', branch: 'BR0001', officer: 'BR0001-FO01' };
const aggregate: Scope = { kind: 'aggregate', metrics: ['paywatch:a:rate5m', 'paywatch:b'] };
const all: Scope = { kind: 'all' };

const B = 'branch=~"BR0001|BR0002"';
const sel = (name: string, extra = '') => `{__name__="${name}"${extra ? `, ${extra}` : ''}, ${B}}`;

// [what, query, expected rewrite for the branch scope]
const BRANCH_CASES: Array<[string, string, string]> = [
  ['plain metric', 'payments_total', sel('payments_total')],
  ['caller matcher on scoped label is kept (intersection)', 'payments_total{branch="BR0009"}', sel('payments_total', 'branch="BR0009"')],
  ['caller regex .* kept alongside', 'x{branch=~".*"}', sel('x', 'branch=~".*"')],
  ['negative matcher', 'x{branch!="BR0001"}', sel('x', 'branch!="BR0001"')],
  ['negative regex matcher', 'x{branch!~"BR0002"}', sel('x', 'branch!~"BR0002"')],
  ['empty-value matcher', 'x{branch=""}', sel('x', 'branch=""')],
  ['other labels kept', 'x{channel="upi",status!="failed"}', sel('x', 'channel="upi", status!="failed"')],
  ['no metric name', '{branch="BR0009"}', `{branch="BR0009", ${B}}`],
  ['__name__ regex', '{__name__=~".+"}', `{__name__=~".+", ${B}}`],
  ['__name__ alternation', '{__name__=~"payments_total|db_up"}', `{__name__=~"payments_total|db_up", ${B}}`],
  ['__name__ negative', '{__name__!="x", channel="upi"}', `{__name__!="x", channel="upi", ${B}}`],
  ['quoted label names', '{"branch"="BR0009", "__name__"="x"}', `{branch="BR0009", __name__="x", ${B}}`],
  ['quoted metric name', '{"payments_total", "branch"=~".*"}', `{__name__="payments_total", branch=~".*", ${B}}`],
  ['single-quoted and raw strings', "x{a='b', c=`d\\e`}", sel('x', 'a="b", c="d\\\\e"')],
  ['escapes decoded and re-quoted', 'x{a="\\x41\\u00e9\\"\\n"}', sel('x', 'a="Aé\\"\\n"')],
  ['aggregation', 'sum(x)', `sum (${sel('x')})`],
  ['aggregation by, trailing form', 'sum(rate(x[5m])) by (branch)', `sum by (branch) (rate(${sel('x')}[5m]))`],
  ['count by branch', 'count by (branch) ({__name__=~".+"})', `count by (branch) ({__name__=~".+", ${B}})`],
  ['without', 'sum without (officer) (x)', `sum without (officer) (${sel('x')})`],
  ['topk parameter', 'topk(5, x)', `topk (5, ${sel('x')})`],
  ['quantile parameter is a query too', 'quantile(scalar(q), x)', `quantile (scalar(${sel('q')}), ${sel('x')})`],
  ['count_values other label', 'count_values("v", x)', `count_values ("v", ${sel('x')})`],
  ['binary arithmetic', 'a / b', `${sel('a')} / ${sel('b')}`],
  ['vector matching', 'a * on(branch) group_left(channel) b', `${sel('a')} * on(branch) group_left(channel) ${sel('b')}`],
  ['ignoring group_right', 'a - ignoring(x) group_right b', `${sel('a')} - ignoring(x) group_right() ${sel('b')}`],
  ['comparison bool', 'a >= bool 1', `${sel('a')} >= bool 1`],
  ['and', 'a and b', `${sel('a')} and ${sel('b')}`],
  ['or with vector()', 'a or vector(1)', `${sel('a')} or vector(1)`],
  ['unless on()', 'a unless on() b{branch="BR0009"}', `${sel('a')} unless on() ${sel('b', 'branch="BR0009"')}`],
  ['nested binary keeps grouping', '(a + b) * c', `(${sel('a')} + ${sel('b')}) * ${sel('c')}`],
  ['precedence made explicit', 'a + b * c', `${sel('a')} + (${sel('b')} * ${sel('c')})`],
  ['unary minus', '-x', `-${sel('x')}`],
  ['number literal', '42', '42'],
  ['unary minus binds looser than ^', '-2 ^ 2', '-(2 ^ 2)'],
  ['string literal', '"hello"', '"hello"'],
  ['offset', 'x offset 1h', `${sel('x')} offset 1h`],
  ['negative offset', 'x offset -5m', `${sel('x')} offset -5m`],
  ['@ timestamp', 'x @ 1700000000', `${sel('x')} @ 1700000000`],
  ['@ end() and offset on a range', 'rate(x[5m] @ end() offset 1h)', `rate(${sel('x')}[5m] offset 1h @ end())`],
  ['@ start()', 'x @ start()', `${sel('x')} @ start()`],
  ['range selector', 'rate(x[1h30m])', `rate(${sel('x')}[1h30m])`],
  ['subquery', 'max_over_time(rate(x[5m])[1h:1m])', `max_over_time(rate(${sel('x')}[5m])[1h:1m])`],
  ['subquery default step', 'x[5m:]', `${sel('x')}[5m:]`],
  ['subquery of a binary', '(a - b offset 10m)[30m:5m]', `(${sel('a')} - (${sel('b')} offset 10m))[30m:5m]`],
  ['offset binds to the nearest operand, as in Prometheus', 'x - x offset 1d', `${sel('x')} - (${sel('x')} offset 1d)`],
  ['@ binds to the nearest operand', 'a + b @ 100', `${sel('a')} + (${sel('b')} @ 100)`],
  ['offset under unary minus', '-x offset 1m', `-(${sel('x')} offset 1m)`],
  ['range on the right operand', 'rate(a[5m]) / rate(b[5m] offset 1h)', `rate(${sel('a')}[5m]) / rate(${sel('b')}[5m] offset 1h)`],
  ['subquery on the right operand', 'a * max_over_time(b[1h:])', `${sel('a')} * max_over_time(${sel('b')}[1h:])`],
  ['subquery offset and @', 'x[1h:5m] offset 1h @ 100', `${sel('x')}[1h:5m] offset 1h @ 100`],
  ['nested subqueries', 'max_over_time(x[10m:1m])[1h:10m]', `max_over_time(${sel('x')}[10m:1m])[1h:10m]`],
  [
    'function arguments',
    'histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))',
    `histogram_quantile(0.95, sum by (le) (rate(${sel('h_bucket')}[5m])))`,
  ],
  ['clamp with selectors as args', 'clamp(x, scalar(lo), scalar(hi))', `clamp(${sel('x')}, scalar(${sel('lo')}), scalar(${sel('hi')}))`],
  [
    'label_replace copying branch away',
    'label_replace(x, "copy", "$1", "branch", "(.*)")',
    `label_replace(${sel('x')}, "copy", "$1", "branch", "(.*)")`,
  ],
  ['absent reveals only scoped existence', 'absent(x{branch="BR0009"})', `absent(${sel('x', 'branch="BR0009"')})`],
  ['absent_over_time', 'absent_over_time(x[5m])', `absent_over_time(${sel('x')}[5m])`],
  ['scalar', 'scalar(x)', `scalar(${sel('x')})`],
  ['constants untouched', 'vector(time()) + pi()', 'vector(time()) + pi()'],
  ['comments dropped', 'x # {branch="BR0009"}\n', sel('x')],
  ['parentheses kept', '((x))', `((${sel('x')}))`],
  ['sort and timestamp', 'sort_desc(timestamp(x))', `sort_desc(timestamp(${sel('x')}))`],
  ['keyword-like metric name printed as matcher', 'bool_total', sel('bool_total')],
  ['metric names with colons', 'branch:payments:rate5m', sel('branch:payments:rate5m')],
];

// [what, query, error class, message fragment]
const REFUSED: Array<[string, string, typeof PromQLError | typeof ScopeError, RegExp]> = [
  ['syntax error', 'x{', PromQLError, /syntax error/],
  ['unclosed call', 'sum(', PromQLError, /syntax error/],
  ['trailing brace', 'x{a="b"}}', PromQLError, /syntax error/],
  ['trailing comma in call', 'sum(x,)', PromQLError, /syntax error/],
  ['unknown function', 'foo(x)', PromQLError, /syntax error/],
  ['info() selects series the query never names', 'info(x)', PromQLError, /info\(\) is not allowed/],
  ['unterminated string', 'x{a="b}', PromQLError, /.+/],
  ['range on parentheses', '(x)[5m]', PromQLError, /plain vector selector/],
  ['offset before range', 'x offset 5m [1m]', PromQLError, /plain vector selector/],
  ['offset twice', 'x offset 1m offset 2m', PromQLError, /offset given twice/],
  ['offset on a function', 'rate(x[5m]) offset 1m', PromQLError, /offset must follow/],
  ['@ twice', 'x @ 1 @ 2', PromQLError, /@ given twice/],
  ['offset on parentheses', '(a - b) offset 1m', PromQLError, /offset must follow/],
  ['offset on an aggregation', 'sum(x) offset 1m', PromQLError, /offset must follow/],
  ['duration without unit', 'x[5]', PromQLError, /duration/],
  ['duration arithmetic', 'x[5m+1m]', PromQLError, /plain durations/],
  ['non-ASCII byte escape', 'x{a="\\xff"}', PromQLError, /byte escape/],
  ['surrogate escape', 'x{a="\\ud800"}', PromQLError, /code point/],
  ['bad escape', 'x{a="\\q"}', PromQLError, /unknown escape/],
  ['unsupported label name', '{"a.b"="c"}', PromQLError, /unsupported label name/],
  ['empty query', '   ', PromQLError, /empty/],
  ['topk without parameter', 'topk(x)', PromQLError, /takes 2/],
  ['bool on set operator', 'a and bool b', PromQLError, /bool/],
  ['label_replace into branch', 'label_replace(x, "branch", "BR0009", "", "")', ScopeError, /"branch" label/],
  ['label_replace into officer', 'label_replace(x, "officer", "BR0009-FO01", "", "")', ScopeError, /"officer" label/],
  ['label_replace destination in parentheses', 'label_replace(x, ("branch"), "a", "", "")', ScopeError, /"branch" label/],
  ['label_replace destination escaped', 'label_replace(x, "bra\\x6ech", "a", "", "")', ScopeError, /"branch" label/],
  ['label_replace computed destination', 'label_replace(x, x, "a", "", "")', ScopeError, /string literal/],
  ['label_join into branch', 'label_join(x, "branch", ",", "a")', ScopeError, /"branch" label/],
  ['count_values into branch', 'count_values("branch", x)', ScopeError, /"branch" label/],
  ['3.x fill modifier', 'a + fill(0) b', PromQLError, /.+/],
];

/** Independent check on the printed text: every selector the grammar finds carries the scope. */
function everySelectorScoped(text: string, required: string[]): boolean {
  const tree = parser.parse(text);
  let ok = true;
  tree.iterate({
    enter(node) {
      if (node.type.isError) ok = false;
      if (node.name === 'VectorSelector') {
        const body = text.slice(node.from, node.to);
        for (const r of required) if (!body.includes(r)) ok = false;
      }
    },
  });
  return ok;
}

describe('rewriter: branch scope, every construct', () => {
  for (const [what, query, expected] of BRANCH_CASES) {
    test(what, () => {
      const out = rewriteQuery(query, branch);
      assert.equal(out, expected);
      assert.ok(everySelectorScoped(out, [B]));
      // Printing is a fixpoint: what we forward re-parses to itself.
      assert.equal(print(parsePromQL(out)), out);
    });
  }
});

describe('rewriter: refused queries', () => {
  for (const [what, query, kind, message] of REFUSED) {
    test(what, () => {
      for (const scope of [branch, officer, aggregate]) {
        assert.throws(
          () => rewriteQuery(query, scope),
          (e: unknown) => e instanceof kind && message.test((e as Error).message),
          `${query} as ${scope.kind}`,
        );
      }
    });
  }
  test('scope all may write branch labels (nothing to forge) but syntax errors are still refused', () => {
    assert.equal(rewriteQuery('label_replace(x, "branch", "a", "", "")', all), 'label_replace(x, "branch", "a", "", "")');
    assert.throws(() => rewriteQuery('x{', all), PromQLError);
    assert.throws(() => rewriteQuery('info(x)', all), PromQLError);
  });
});

describe('rewriter: other scopes', () => {
  const cases: Array<[Scope, string, string]> = [
    [{ kind: 'branch', branches: ['BR0001'] }, 'x{branch="BR0009"}', '{__name__="x", branch="BR0009", branch="BR0001"}'],
    [officer, 'field_collections_total', '{__name__="field_collections_total", branch="BR0001", officer="BR0001-FO01"}'],
    [officer, 'x{officer="BR0001-FO02"}', '{__name__="x", officer="BR0001-FO02", branch="BR0001", officer="BR0001-FO01"}'],
    [officer, 'sum by (otp) (rate(x[5m]))', 'sum by (otp) (rate({__name__="x", branch="BR0001", officer="BR0001-FO01"}[5m]))'],
    [aggregate, 'paywatch:a:rate5m', '{__name__="paywatch:a:rate5m", __name__=~"paywatch:a:rate5m|paywatch:b"}'],
    [aggregate, 'payments_total', '{__name__="payments_total", __name__=~"paywatch:a:rate5m|paywatch:b"}'],
    [aggregate, '{__name__=~".+"}', '{__name__=~".+", __name__=~"paywatch:a:rate5m|paywatch:b"}'],
    [all, 'sum(rate(x[5m])) by (branch)', 'sum(rate(x[5m])) by (branch)'],
  ];
  for (const [scope, query, expected] of cases) {
    test(`${scope.kind}: ${query}`, () => assert.equal(rewriteQuery(query, scope), expected));
  }
  // A matcher the caller wrote identically is not added a second time (Prometheus would look its
  // postings up twice); the selector still carries it, which is all the verifier asks.
  const deduplicated: Array<[Scope, string, string]> = [
    [officer, 'x{officer="BR0001-FO01"}', '{__name__="x", officer="BR0001-FO01", branch="BR0001"}'],
    [officer, 'x{branch="BR0001", officer="BR0001-FO01"}', '{__name__="x", branch="BR0001", officer="BR0001-FO01"}'],
    [
      officer,
      'x{"officer"=\'BR0001-FO01\'} / y',
      '{__name__="x", officer="BR0001-FO01", branch="BR0001"} / {__name__="y", branch="BR0001", officer="BR0001-FO01"}',
    ],
    [branch, 'x{branch=~"BR0001|BR0002"}', '{__name__="x", branch=~"BR0001|BR0002"}'],
    [aggregate, '{__name__=~"paywatch:a:rate5m|paywatch:b"}', '{__name__=~"paywatch:a:rate5m|paywatch:b"}'],
    // Only identical matchers count: another operator or value is the caller's own and stays.
    [{ kind: 'branch', branches: ['BR0001'] }, 'x{branch=~"BR0001"}', '{__name__="x", branch=~"BR0001", branch="BR0001"}'],
    [branch, 'x{branch=~"BR0002|BR0001"}', '{__name__="x", branch=~"BR0002|BR0001", branch=~"BR0001|BR0002"}'],
    [officer, 'x{officer!="BR0001-FO01"}', '{__name__="x", officer!="BR0001-FO01", branch="BR0001", officer="BR0001-FO01"}'],
  ];
  for (const [scope, query, expected] of deduplicated) {
    test(`${scope.kind}: ${query} (the caller's identical matcher not repeated)`, () => {
      const out = rewriteQuery(query, scope, { cache: false });
      assert.equal(out, expected);
      const required = scopeMatchers(scope).map(printMatcher);
      assert.ok(everySelectorScoped(out, required), out);
      assert.equal(print(parsePromQL(out)), out);
    });
  }
  test('regex metacharacters in allow-listed names are escaped', () => {
    assert.equal(rewriteQuery('x', { kind: 'aggregate', metrics: ['a.b'] }), '{__name__="x", __name__=~"a\\\\.b"}');
  });
});

describe('series selectors (match[])', () => {
  test('scoped like queries', () => {
    assert.equal(rewriteSeriesSelector('up', branch), sel('up'));
    assert.equal(rewriteSeriesSelector('{branch="BR0009"}', branch), `{branch="BR0009", ${B}}`);
  });
  test('only plain selectors', () => {
    for (const bad of ['rate(x[5m])', 'x[5m]', 'x offset 1m', 'a or b', '1', 'x{'])
      assert.throws(() => rewriteSeriesSelector(bad, branch), PromQLError, bad);
  });
  test('listing without match[] gets the scope', () => {
    assert.equal(scopeSelector(branch), `{${B}}`);
    assert.equal(scopeSelector(officer), '{branch="BR0001", officer="BR0001-FO01"}');
    assert.equal(scopeSelector(all), undefined);
  });
});

describe('result checks', () => {
  test('seriesInScope', () => {
    assert.ok(seriesInScope({ __name__: 'x', branch: 'BR0002' }, branch));
    assert.ok(!seriesInScope({ __name__: 'x', branch: 'BR0003' }, branch));
    assert.ok(!seriesInScope({ __name__: 'x' }, branch));
    assert.ok(seriesInScope({ __name__: 'paywatch:b' }, aggregate));
    assert.ok(!seriesInScope({ __name__: 'paywatch:b', branch: 'BR0001' }, aggregate));
    assert.ok(!seriesInScope({ __name__: 'x', branch: 'BR0001', officer: 'BR0001-FO02' }, officer));
  });
  test('alertInScope', () => {
    assert.ok(alertInScope({ alertname: 'A', branch: 'BR0001' }, branch));
    assert.ok(!alertInScope({ alertname: 'A' }, branch));
    assert.ok(alertInScope({ alertname: 'A' }, aggregate));
    assert.ok(!alertInScope({ alertname: 'A', branch: 'BR0001' }, aggregate));
    assert.ok(!alertInScope({ alertname: 'A', branch: 'BR0001' }, officer));
    assert.ok(alertInScope({ alertname: 'A', branch: 'BR0009' }, all));
  });
  test('string decoding follows Go quoting', () => {
    assert.equal(decodeString('"a\\tb"'), 'a\tb');
    assert.equal(decodeString("'it\\'s'"), "it's");
    assert.equal(decodeString('`raw\\n`'), 'raw\\n');
    assert.equal(decodeString('"\\101"'), 'A');
    assert.throws(() => decodeString('"a\\\'"'), PromQLError);
  });
});
