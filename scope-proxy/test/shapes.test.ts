// The parser keeps the grammar's tree per query shape (string literal bodies blanked, promql.ts
// "Shapes"). These tests hold it to one promise: a query parsed over a remembered tree reads
// exactly as the same query parsed from scratch (the same tree, or the same refusal), whatever the
// new literals hold, and queries whose literals are not plain never share a tree.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { clearShapes, parsePromQL, shapeHashOf, shapeMemoStats, useFastReader } from '../src/promql.ts';
import { rewriteQuery, type Scope } from '../src/scope.ts';
import { QueryGenerator, rng } from './generator.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const branch: Scope = { kind: 'branch', branches: ['BR0001'] };

type Outcome = { ok: unknown } | { error: string };

function outcome(run: () => unknown): Outcome {
  try {
    return { ok: run() };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** Parses `query` over whatever tree `primer` left behind, and from scratch; both must agree. */
function agree(primer: string, query: string, run: (q: string) => unknown = (q) => parsePromQL(q)) {
  clearShapes();
  // Twice: a shape's tree is kept from its second sighting on.
  outcome(() => run(primer));
  outcome(() => run(primer));
  const remembered = outcome(() => run(query));
  clearShapes();
  const fresh = outcome(() => run(query));
  assert.deepEqual(remembered, fresh, `${JSON.stringify(query)} after ${JSON.stringify(primer)}`);
  return remembered;
}

// What a new literal body may hold: anything plain, especially what would mean something outside a
// string (brackets, comment and quote characters of the other kinds, operators, keywords, non-ASCII).
const BODY_CHARS = ['a', 'Z', '0', '}', '{', ')', '(', ']', '[', '#', ',', ' ', '=', '~', '|', '.', '*', '+', '-', 'é', 'ß', '\u200b', ':'];

/** `query` with every plain string literal's body replaced by other characters of the same length. */
function reshuffle(query: string, random: () => number): string {
  const literals: Array<{ from: number; to: number }> = [];
  parser.parse(query).iterate({
    enter(node) {
      if (node.name === 'StringLiteral') literals.push({ from: node.from, to: node.to });
    },
  });
  let out = '';
  let at = 0;
  for (const { from, to } of literals) {
    const text = query.slice(from, to);
    const quote = text[0]!;
    if (text.length < 2 || text[text.length - 1] !== quote || /[\\\n\r]/.test(text.slice(1, -1))) continue;
    const others = BODY_CHARS.filter((c) => c !== quote).concat(quote === '"' ? ["'", '`'] : quote === "'" ? ['"', '`'] : ['"', "'"]);
    let body = '';
    for (let i = 1; i < text.length - 1; i++) body += others[Math.floor(random() * others.length)];
    out += query.slice(at, from + 1) + body;
    at = to - 1;
  }
  return out + query.slice(at);
}

describe('parser: trees remembered by shape', () => {
  // The shape memo belongs to the grammar path, which reads what the fast reader declines
  // (fast-parser.ts); these tests hold that path alone to its promise.
  before(() => useFastReader(false));
  after(() => useFastReader(true));
  test('a generated query with new literal bodies parses and rewrites as it does from scratch', () => {
    const random = rng(SEED);
    const gen = new QueryGenerator(random, {
      metrics: ['payments_total', 'branch:payments:rate5m', 'db_up', 'paywatch:payments:rate5m'],
      nameRegexes: ['.+', 'pay.*', 'payments_total|db_up'],
      labelValues: { branch: ['BR0001', 'BR0002'], officer: ['BR0001-FO01'], channel: ['upi', 'card'], status: ['success', 'failed'] },
      writeLabels: ['branch', 'officer', 'channel'],
      breakProbability: 0.2,
      end: 1_800_000_000,
    });
    let changed = 0;
    let parsed = 0;
    let reused = 0;
    for (let i = 0; i < 1500; i++) {
      const query = gen.next();
      const variant = reshuffle(query, random);
      if (variant !== query) changed++;
      const hits = shapeMemoStats().hits;
      if ('ok' in agree(query, variant)) parsed++;
      if (shapeMemoStats().hits > hits) reused++;
      agree(query, variant, (q) => rewriteQuery(q, branch, { cache: false }));
    }
    // The test means something only if many variants differ and many parse.
    assert.ok(changed > 500, `only ${changed} variants differ from their query`);
    assert.ok(parsed > 300, `only ${parsed} variants parse`);
    assert.ok(reused > 300, `only ${reused} variants were read over a remembered tree`);
  });

  test('literal bodies that look like syntax stay literals', () => {
    const cases: Array<[string, string]> = [
      ['x{a="bbbbbbbbbb"}', 'x{a="} or y{a=\'"}'],
      ['x{a="bbbbbbbbbb"}', 'x{a="\'} # {b=\'"}'],
      ["x{a='bbbbbbb'}", "x{a='\"}) or ('}"],
      ['x{a=`bbbbbbbbb`}', 'x{a=`"} or y{"`}'],
      ['label_replace(x, "dst", "$1", "src", "(.*)")', 'label_replace(x, "dst", "$1", "src", "}])")'],
      ['{"payments_total", "branch"="BR0001"}', '{"payments_total", "officer"="BR0001"}'],
      ['{"payments_total", "branch"="BR0001"}', '{"payments_total", "bran ch"="BR0001"}'],
      ['x # "a comment"\n', 'x # "a}comment"\n'],
    ];
    for (const [primer, query] of cases) agree(primer, query);
    // The quoted label name with a space is refused from scratch and over a remembered tree alike.
    assert.ok('error' in agree(cases[6]![0], cases[6]![1]));
    // And one with another label name reads as that name.
    const read = agree(cases[5]![0], cases[5]![1]) as { ok: { kind: string; matchers: Array<{ name: string }> } };
    assert.deepEqual(
      read.ok.matchers.map((m) => m.name),
      ['__name__', 'officer'],
    );
  });

  test('literals with escapes or line breaks, and unterminated ones, never share a tree', () => {
    clearShapes();
    for (const query of ['x{a="b\\"c"}', 'x{a=`b\nc`}', "x{a='b\\'c'}", 'x{a="bc"} or y{b="c\\x41"}']) {
      // Twice: a plain query's shape would be remembered on its second sighting.
      outcome(() => parsePromQL(query));
      outcome(() => parsePromQL(query));
    }
    assert.equal(shapeMemoStats().entries, 0);
    // An unterminated literal is refused as before.
    assert.throws(() => parsePromQL('x{a="bc}'), /syntax error|unclosed|unbalanced/);
    // A plain one is remembered from its second sighting, once per shape, and then used.
    parsePromQL('x{a="BR0001"}');
    assert.equal(shapeMemoStats().entries, 0);
    parsePromQL('x{a="BR0002"}');
    assert.equal(shapeMemoStats().entries, 1);
    const hits = shapeMemoStats().hits;
    parsePromQL('x{a="BR0003"}');
    assert.equal(shapeMemoStats().hits, hits + 1);
  });

  test('crafted hash collisions: at most 4 shapes per hash value are kept, and each reads as from scratch', () => {
    // The shape hash is FNV-1a, whose state is 32 bits: two comment blocks that leave the same
    // state collide whatever follows, and chaining three such pairs gives 2^3 = 8 different
    // queries with one hash (Joux's multicollision), each a valid query with another comment.
    const step = (h: number, text: string) => {
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
      return h;
    };
    const random = rng(SEED);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const collidingPair = (state: number): [string, string] => {
      const seen = new Map<number, string>();
      for (;;) {
        let block = '';
        for (let i = 0; i < 7; i++) block += alphabet[Math.floor(random() * alphabet.length)];
        const after = step(state, block);
        const other = seen.get(after);
        if (other !== undefined && other !== block) return [other, block];
        seen.set(after, block);
      }
    };
    const prefix = 'sum by (a) (rate(x[5m])) # '; // no string literal: its state is step()'s
    let state = step(2166136261, prefix);
    const pairs: Array<[string, string]> = [];
    for (let k = 0; k < 3; k++) {
      const pair = collidingPair(state);
      pairs.push(pair);
      state = step(state, pair[0]);
    }
    const queries: string[] = [];
    for (let m = 0; m < 8; m++) queries.push(`${prefix}${pairs.map((p, k) => p[(m >> k) & 1]).join('')}\n + y`);
    const hashes = new Set(queries.map((q) => shapeHashOf(q)));
    assert.equal(new Set(queries).size, 8);
    assert.equal(hashes.size, 1, 'the crafted queries share one shape hash');
    assert.notEqual([...hashes][0], undefined);

    clearShapes();
    // Each seen twice: a shape is kept from its second sighting on.
    for (const q of queries) for (let i = 0; i < 2; i++) parsePromQL(q);
    assert.equal(shapeMemoStats().entries, 4, 'one hash value keeps at most 4 shapes');
    const hits = shapeMemoStats().hits;
    for (const q of queries) parsePromQL(q);
    assert.equal(shapeMemoStats().hits, hits + 4, 'the 4 kept are found, the other 4 parsed from scratch');
    const remembered = queries.map((q) => outcome(() => rewriteQuery(q, branch, { cache: false })));
    clearShapes();
    const fresh = queries.map((q) => outcome(() => rewriteQuery(q, branch, { cache: false })));
    assert.deepEqual(remembered, fresh);
    for (const r of fresh) assert.ok('ok' in r, JSON.stringify(r));
    clearShapes();
  });

  test('the memo is bounded by bytes and entries', () => {
    clearShapes();
    for (let i = 0; i < 6000; i++) for (const value of ['b', 'c']) parsePromQL(`x{a="${value}"} + ${i}`);
    const stats = shapeMemoStats();
    assert.ok(stats.entries <= 4096, `${stats.entries} entries`);
    assert.ok(stats.bytes <= stats.maxBytes);
    clearShapes();
  });
});
