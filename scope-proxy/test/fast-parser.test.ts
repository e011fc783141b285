// The fast reader (src/fast-parser.ts) against the grammar path (@prometheus-io/lezer-promql turned
// into our tree by promql.ts), which stays the oracle: for every query the fast reader reads, the
// grammar path must accept it and build the very same tree (deepStrictEqual: same nodes, same
// matchers, same text of numbers and durations); whatever it declines, the grammar path decides.
// Over the dashboards' panel queries (every distinct one, 114 of 144 panels' queries today) (as every role's person sends them, and as the rewriter
// prints them), the fuzz generator's queries (valid and broken), and those queries mutated at
// random (deleted, duplicated and inserted pieces of syntax, case changes).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { panelQueries, type QueryIndex } from '../../plugin/src/dashboards/queries.ts';
import { readFast } from '../src/fast-parser.ts';
import { parsePromQL, print, readerStats, useFastReader, type Expr } from '../src/promql.ts';
import { rewriteQuery, type Scope } from '../src/scope.ts';
import { differentialGenerator, rng, type QueryGenerator } from './generator.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const GENERATED = Number(process.env.FUZZ_REWRITES ?? 10_000);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

after(() => useFastReader(true));

type Outcome = { ok: Expr } | { error: string };

/** The grammar path alone (the fast reader switched off). */
function grammar(query: string): Outcome {
  useFastReader(false);
  try {
    return { ok: parsePromQL(query) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  } finally {
    useFastReader(true);
  }
}

interface Tally {
  fast: number;
  declined: number;
  failures: string[];
}

/** One query: declined, or read exactly as the grammar path reads it. */
function compare(query: string, tally: Tally): Expr | undefined {
  const fast = readFast(query);
  if (fast === undefined) {
    tally.declined++;
    return undefined;
  }
  tally.fast++;
  const oracle = grammar(query);
  if ('error' in oracle) tally.failures.push(`fast reader accepted ${JSON.stringify(query)}; the grammar path refuses it: ${oracle.error}`);
  else {
    try {
      assert.deepStrictEqual(fast, oracle.ok);
    } catch {
      tally.failures.push(`${JSON.stringify(query)}: fast ${print(fast)} vs grammar ${print(oracle.ok)}`);
    }
  }
  return fast;
}

const SCOPES: Record<string, Scope> = {
  branch: { kind: 'branch', branches: ['BR0001'] },
  branches: { kind: 'branch', branches: ['BR0002', 'BR0003'] },
  officer: { kind: 'officer', branch: 'BR0001', officer: 'BR0001-FO01' },
  aggregate: { kind: 'aggregate', metrics: ['paywatch:payment_success_ratio:rate5m', 'paywatch:payments:rate5m'] },
  all: { kind: 'all' },
};

/** Rewrites `query` with the fast reader on or off: the same text or the same refusal. */
function rewriteBoth(query: string, scope: Scope): [string, string] {
  const run = (fast: boolean) => {
    useFastReader(fast);
    try {
      return `ok ${rewriteQuery(query, scope, { cache: false })}`;
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    } finally {
      useFastReader(true);
    }
  };
  return [run(true), run(false)];
}

describe('fast reader: the dashboards’ panel queries', () => {
  const index = JSON.parse(readFileSync(join(repoRoot, 'plugin', 'src', 'dashboards', 'index.json'), 'utf8')) as QueryIndex;
  const people: Array<[string, Record<string, string | string[]>, Scope]> = [
    ['asha.exec', {}, SCOPES.all!],
    ['meera.bm', { branch: 'BR0001' }, SCOPES.branch!],
    ['sunil.bm', { branch: ['BR0002', 'BR0003'] }, SCOPES.branches!],
    ['ravi.fo', { branch: 'BR0001', officer: 'BR0001-FO01' }, SCOPES.officer!],
    ['vikram.viewer', {}, SCOPES.aggregate!],
  ];

  test('every panel query, and every rewrite of it, is read by the fast reader exactly as by the grammar', () => {
    const tally: Tally = { fast: 0, declined: 0, failures: [] };
    const declined: string[] = [];
    let templates = 0;
    const seen = new Set<string>();
    for (const [, vars, scope] of people) {
      for (const query of panelQueries(index, vars)) {
        if (!seen.has(query.template)) {
          seen.add(query.template);
          templates++;
        }
        if (compare(query.expr, tally) === undefined) declined.push(query.expr);
        const [fast, slow] = rewriteBoth(query.expr, scope);
        if (fast !== slow) tally.failures.push(`rewrite of ${JSON.stringify(query.expr)} differs: ${fast} vs ${slow}`);
        if (fast.startsWith('ok ')) {
          // The printed rewrite is what the verifier re-reads: the fast path must read it too.
          if (compare(fast.slice(3), tally) === undefined) declined.push(fast.slice(3));
        }
      }
    }
    assert.deepEqual(tally.failures, []);
    const written = new Set(index.dashboards.flatMap((d) => d.panels.flatMap((p) => p.queries.map((q) => q.expr))));
    assert.equal(templates, written.size, 'every panel query of the dashboards was read');
    assert.ok(templates > 100, `only ${templates} panel queries`);
    // The benchmark's never-seen rewrites are these queries: none may fall back to the grammar.
    assert.deepEqual(declined, [], 'panel queries or their rewrites left to the grammar path');
    console.log(`fast reader: ${templates} panel queries, ${tally.fast} readings (queries as sent and as rewritten), all identical`);
  });
});

const BRANCHES = ['BR0001', 'BR0002', 'BR0003'];

function generator(seed: number): QueryGenerator {
  return differentialGenerator(seed, BRANCHES);
}

// Pieces of syntax a mutation inserts: what the fast reader must decline or read as the grammar.
const PIECES = [
  '(',
  ')',
  '[5m]',
  '[5m:]',
  '[1h:1m]',
  ' offset 1h',
  ' offset -5m',
  ' @ 5',
  ' @ start()',
  '-',
  '+',
  '- 2',
  '-2',
  '2',
  '.5',
  '1e3',
  '0x1F',
  '0X1f',
  '1_000',
  '5m',
  '1h30m',
  'Inf',
  'NaN',
  '-Inf',
  ' bool ',
  ' on(branch) ',
  ' ignoring(a) ',
  ' group_left ',
  ' group_right(x) ',
  ' and ',
  ' or ',
  ' unless ',
  ' atan2 ',
  ' AND ',
  'SUM',
  'sum',
  ' by (a) ',
  ' without () ',
  'BY',
  'OFFSET',
  'offset',
  '{',
  '}',
  ',',
  ':',
  '"',
  "'",
  '`',
  '\\',
  '#c\n',
  '\n',
  '\t',
  '\u00a0',
  'é',
  '{"a.b"}',
  '"x"="y"',
  '</',
  '>/',
  '==',
  '!=',
  '=~',
  '!~',
  '=',
  '<',
  '>=',
  '^',
  '*',
  '/',
  '%',
  'info(',
  'rate(',
  'topk(1,',
  'fill(0)',
  ' smoothed',
  'step()',
  'x',
  'a:b',
  ':a',
  'on',
  'bool',
  'le',
  '__name__',
  'label_replace(',
];

function mutate(query: string, random: () => number): string {
  let q = query;
  const times = 1 + Math.floor(random() * 3);
  for (let t = 0; t < times; t++) {
    const at = Math.floor(random() * (q.length + 1));
    const kind = random();
    if (kind < 0.3 && q.length > 0) {
      const len = 1 + Math.floor(random() * 4);
      q = q.slice(0, at) + q.slice(at + len);
    } else if (kind < 0.75) {
      q = q.slice(0, at) + PIECES[Math.floor(random() * PIECES.length)] + q.slice(at);
    } else if (kind < 0.85) {
      const len = 1 + Math.floor(random() * 12);
      q = q.slice(0, at) + q.slice(at, at + len) + q.slice(at);
    } else {
      const c = q[at] ?? '';
      q = q.slice(0, at) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + q.slice(at + 1);
    }
  }
  return q;
}

describe(`fast reader: differential fuzz against the grammar (seed ${SEED})`, () => {
  test(`${GENERATED} generated queries (valid and broken), their printed forms and their rewrites`, () => {
    const gen = generator(SEED);
    const tally: Tally = { fast: 0, declined: 0, failures: [] };
    let accepted = 0;
    let printedFast = 0;
    for (let i = 0; i < GENERATED; i++) {
      const query = gen.next();
      compare(query, tally);
      const oracle = grammar(query);
      if ('ok' in oracle) {
        accepted++;
        // The canonical print (what the verifier re-reads) is read by the fast reader, identically.
        if (compare(print(oracle.ok), tally) !== undefined) printedFast++;
      }
      if (i % 10 === 0) {
        for (const scope of [SCOPES.branch!, SCOPES.officer!, SCOPES.aggregate!]) {
          const [fast, slow] = rewriteBoth(query, scope);
          if (fast !== slow) tally.failures.push(`rewrite of ${JSON.stringify(query)} differs: ${fast} vs ${slow}`);
        }
      }
    }
    assert.deepEqual(tally.failures.slice(0, 20), [], `${tally.failures.length} differences`);
    // Meaningful only if the fast reader reads most of what the grammar accepts.
    assert.ok(tally.fast > accepted * 0.8, `the fast reader read ${tally.fast} of ${accepted} accepted queries (with prints)`);
    assert.ok(printedFast > accepted * 0.9, `only ${printedFast} of ${accepted} printed forms read fast`);
    console.log(
      `fast reader: ${GENERATED} generated, ${accepted} accepted by the grammar; ${tally.fast} readings identical, ${tally.declined} declined; ${printedFast} printed forms read fast`,
    );
  });

  test(`${GENERATED} mutated queries: never accepted unless the grammar accepts the same tree`, () => {
    const random = rng(SEED + 1);
    const gen = generator(SEED + 2);
    const tally: Tally = { fast: 0, declined: 0, failures: [] };
    for (let i = 0; i < GENERATED; i++) compare(mutate(gen.next(), random), tally);
    assert.deepEqual(tally.failures.slice(0, 20), [], `${tally.failures.length} differences`);
    assert.ok(tally.fast > GENERATED * 0.1, `only ${tally.fast} mutated queries read fast`);
    console.log(`fast reader: ${GENERATED} mutated, ${tally.fast} read (identical to the grammar), ${tally.declined} declined`);
  });

  test('what it declines, by design, is left to the grammar path (and refused there when invalid)', () => {
    const cases: Array<[string, 'grammar accepts' | 'grammar refuses']> = [
      ['- -2', 'grammar accepts'],
      ['--2', 'grammar accepts'],
      ['- # c\n2', 'grammar refuses'],
      ['a + b[5m] * c', 'grammar refuses'],
      ['a + b offset 1h * c', 'grammar refuses'],
      ['x == a * b @ 5 + c', 'grammar refuses'],
      ['-a offset 1h ^ b', 'grammar refuses'],
      ['SUM(x)', 'grammar refuses'],
      ['x @ START()', 'grammar refuses'],
      ['Rate(x[5m])', 'grammar refuses'],
      ['x[5m] offset 1h [5m]', 'grammar refuses'],
      ['info(x)', 'grammar refuses'],
      ['x[5m+1m]', 'grammar refuses'],
      ['a + fill(0) b', 'grammar refuses'],
      ['1_000', 'grammar refuses'],
      ['x{a="b', 'grammar refuses'],
      ['x{"a.b"="c"}', 'grammar refuses'],
      ['topk(x)', 'grammar refuses'],
      ['a and bool b', 'grammar refuses'],
      [`${'('.repeat(300)}x${')'.repeat(300)}`, 'grammar accepts'],
    ];
    for (const [query, expected] of cases) {
      assert.equal(readFast(query), undefined, `fast reader should decline ${query}`);
      const before = readerStats().grammar;
      const outcome = (() => {
        try {
          parsePromQL(query);
          return 'grammar accepts';
        } catch {
          return 'grammar refuses';
        }
      })();
      assert.equal(outcome, expected, query);
      assert.equal(readerStats().grammar, before + 1, `${query} went to the grammar path`);
    }
  });
});
