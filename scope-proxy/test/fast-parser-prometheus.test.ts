// The fast reader (src/fast-parser.ts) against Prometheus's own parser, through a real Prometheus
// 3.x's /api/v1/parse_query (its syntax tree as JSON): for every query the fast reader reads that
// Prometheus accepts, the two trees must be the same — every selector with the same matchers,
// range, offset and @, and the same operators, precedence, vector matching, aggregations, calls
// and literals around them. Queries Prometheus refuses (type errors, wrong argument counts, `{}`)
// are counted: the proxy forwards them scoped and Prometheus refuses them there. Over the panel
// queries as each role sends them and as the rewriter prints them, generated queries and their
// printed forms, and mutated ones. fast-parser.test.ts holds the reader to the grammar path.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startPrometheus, type RunningServer } from '@paywatch/runtime';
import { panelQueries, type QueryIndex } from '../../plugin/src/dashboards/queries.ts';
import { readFast } from '../src/fast-parser.ts';
import { print, type Expr } from '../src/promql.ts';
import { rewriteQuery, type Scope } from '../src/scope.ts';
import { differentialGenerator, rng, type QueryGenerator } from './generator.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const GENERATED = Number(process.env.FUZZ_PROMETHEUS ?? 2_000);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let prometheus: RunningServer | undefined;
let dir: string | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paywatch-parse-oracle-'));
  prometheus = await startPrometheus({ dir, config: 'global: {}\n' });
});

after(async () => {
  await prometheus?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Json = any;

async function prometheusTree(query: string): Promise<{ tree: Json } | { error: string }> {
  const response = await fetch(`${prometheus!.url}/api/v1/parse_query`, { method: 'POST', body: new URLSearchParams({ query }) });
  const body = (await response.json()) as Json;
  return response.status === 200 ? { tree: body.data } : { error: String(body.error) };
}

const MS: Record<string, number> = { y: 31_536_000_000, w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

function durationMs(text: string | undefined): number {
  if (text === undefined) return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(n) * MS[unit!]!;
  return sign * total;
}

function numberValue(text: string): number | string {
  const lower = text.toLowerCase().replace(/^\+/, '');
  if (lower === 'nan' || lower === '-nan') return 'NaN';
  if (lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  return Number(text);
}

function at(text: string | undefined): { ts: number | null; se: string | null } {
  if (text === undefined) return { ts: null, se: null };
  if (text === 'start()' || text === 'end()') return { ts: null, se: text.slice(0, -2) };
  return { ts: Math.round(Number(text) * 1000), se: null };
}

const sortedMatchers = (ms: Array<{ name: string; type?: string; op?: string; value: string }>) =>
  ms.map((m) => `${m.name}${m.type ?? m.op}${JSON.stringify(m.value)}`).sort();

const SCALAR_FUNCTIONS = new Set(['scalar', 'time', 'pi']);

/** Whether Prometheus types `e` as a scalar (it then keeps no vector matching for the operator). */
function isScalar(e: Expr): boolean {
  switch (e.kind) {
    case 'number':
      return true;
    case 'paren':
    case 'unary':
      return isScalar(e.expr);
    case 'binary':
      return isScalar(e.lhs) && isScalar(e.rhs);
    case 'call':
      return SCALAR_FUNCTIONS.has(e.fn);
    default:
      return false;
  }
}

/** Our tree in the comparable form. */
function ours(e: Expr): Json {
  switch (e.kind) {
    case 'number':
      return { t: 'num', v: numberValue(e.text) };
    case 'string':
      return { t: 'str', v: e.value };
    case 'paren':
      return { t: 'paren', e: ours(e.expr) };
    case 'unary': {
      // Prometheus folds a sign over a number literal into the literal.
      if (e.expr.kind === 'number') {
        const v = numberValue(e.expr.text);
        return { t: 'num', v: typeof v === 'number' && e.op === '-' ? -v : v };
      }
      return { t: 'unary', op: e.op, e: ours(e.expr) };
    }
    case 'selector':
      return { t: 'sel', m: sortedMatchers(e.matchers), range: durationMs(e.range), offset: durationMs(e.offset), ...at(e.at) };
    case 'subquery':
      return { t: 'sub', e: ours(e.expr), range: durationMs(e.range), step: durationMs(e.step), offset: durationMs(e.offset), ...at(e.at) };
    case 'call':
      return { t: 'call', fn: e.fn, args: e.args.map(ours) };
    case 'aggregate':
      return {
        t: 'agg',
        op: e.op,
        param: e.param ? ours(e.param) : null,
        e: ours(e.expr),
        by: e.grouping?.labels ?? [],
        without: e.grouping?.without ?? false,
      };
    case 'binary': {
      const matching = isScalar(e.lhs) || isScalar(e.rhs) ? undefined : e.matching;
      return {
        t: 'bin',
        op: e.op,
        bool: e.bool,
        lhs: ours(e.lhs),
        rhs: ours(e.rhs),
        on: matching?.on ?? false,
        labels: matching?.labels ?? [],
        group: matching?.group ?? null,
        include: matching?.include ?? [],
      };
    }
  }
}

/** Prometheus's tree (parse_query's JSON) in the same form. */
function theirs(n: Json): Json {
  switch (n.type) {
    case 'numberLiteral': {
      const v = String(n.val);
      return { t: 'num', v: /nan/i.test(v) ? 'NaN' : /inf/i.test(v) ? (v.startsWith('-') ? -Infinity : Infinity) : Number(v) };
    }
    case 'stringLiteral':
      return { t: 'str', v: n.val };
    case 'parenExpr':
      return { t: 'paren', e: theirs(n.expr) };
    case 'unaryExpr':
      return { t: 'unary', op: n.op, e: theirs(n.expr) };
    case 'vectorSelector':
    case 'matrixSelector':
      return { t: 'sel', m: sortedMatchers(n.matchers), range: n.range ?? 0, offset: n.offset, ts: n.timestamp, se: n.startOrEnd };
    case 'subquery':
      return { t: 'sub', e: theirs(n.expr), range: n.range, step: n.step, offset: n.offset, ts: n.timestamp, se: n.startOrEnd };
    case 'call':
      return { t: 'call', fn: n.func.name, args: n.args.map(theirs) };
    case 'aggregation':
      return { t: 'agg', op: n.op, param: n.param ? theirs(n.param) : null, e: theirs(n.expr), by: n.grouping, without: n.without };
    case 'binaryExpr': {
      const m = n.matching;
      const card = m?.card;
      return {
        t: 'bin',
        op: n.op,
        bool: n.bool,
        lhs: theirs(n.lhs),
        rhs: theirs(n.rhs),
        on: m?.on ?? false,
        labels: m?.labels ?? [],
        group: card === 'many-to-one' ? 'left' : card === 'one-to-many' ? 'right' : null,
        include: m?.include ?? [],
      };
    }
    default:
      return { t: `unknown ${n.type}` };
  }
}

interface Tally {
  same: number;
  refused: Map<string, number>;
  declined: number;
  failures: string[];
}

const newTally = (): Tally => ({ same: 0, refused: new Map(), declined: 0, failures: [] });

async function compare(query: string, tally: Tally): Promise<void> {
  const fast = readFast(query);
  if (fast === undefined) {
    tally.declined++;
    return;
  }
  const answer = await prometheusTree(query);
  if ('error' in answer) {
    // The kind of refusal, without positions and names: "unexpected ...", "expected type ...".
    const kind = answer.error
      .replace(/^invalid parameter "query": \d+:\d+: parse error: /, '')
      .replace(/"[^"]*"/g, '"…"')
      .slice(0, 60);
    tally.refused.set(kind, (tally.refused.get(kind) ?? 0) + 1);
    return;
  }
  try {
    assert.deepStrictEqual(ours(fast), theirs(answer.tree));
    tally.same++;
  } catch {
    tally.failures.push(`${JSON.stringify(query)} read as ${print(fast)}; Prometheus reads ${JSON.stringify(theirs(answer.tree))}`);
  }
}

function summary(tally: Tally): string {
  const refused = [...tally.refused.entries()].sort((a, b) => b[1] - a[1]);
  const total = refused.reduce((n, [, c]) => n + c, 0);
  return `${tally.same} read as Prometheus reads them, ${total} refused by Prometheus${
    total
      ? ` (most: ${refused
          .slice(0, 3)
          .map(([k, c]) => `${c}x ${k}`)
          .join('; ')})`
      : ''
  }, ${tally.declined} declined`;
}

const SCOPES: Array<[Record<string, string | string[]>, Scope]> = [
  [{}, { kind: 'all' }],
  [{ branch: 'BR0001' }, { kind: 'branch', branches: ['BR0001'] }],
  [{ branch: ['BR0002', 'BR0003'] }, { kind: 'branch', branches: ['BR0002', 'BR0003'] }],
  [
    { branch: 'BR0001', officer: 'BR0001-FO01' },
    { kind: 'officer', branch: 'BR0001', officer: 'BR0001-FO01' },
  ],
  [{}, { kind: 'aggregate', metrics: ['paywatch:payment_success_ratio:rate5m', 'paywatch:payments:rate5m'] }],
];

function generator(seed: number): QueryGenerator {
  return differentialGenerator(seed, ['BR0001', 'BR0002']);
}

describe('fast reader against Prometheus 3 (/api/v1/parse_query)', () => {
  test('every panel query, as each role sends it and as the rewriter prints it, reads as Prometheus reads it', async () => {
    const index = JSON.parse(readFileSync(join(repoRoot, 'plugin', 'src', 'dashboards', 'index.json'), 'utf8')) as QueryIndex;
    const tally = newTally();
    for (const [vars, scope] of SCOPES) {
      for (const query of panelQueries(index, vars)) {
        await compare(query.expr, tally);
        await compare(rewriteQuery(query.expr, scope, { cache: false }), tally);
      }
    }
    assert.deepEqual(tally.failures, []);
    assert.equal(tally.declined, 0, 'a panel query or its rewrite was left to the grammar path');
    assert.equal(tally.refused.size, 0, `Prometheus refused panel queries: ${summary(tally)}`);
    console.log(`fast reader vs Prometheus, panel queries: ${summary(tally)}`);
  });

  test(`${GENERATED} generated queries and their printed forms, ${GENERATED} mutated ones (seed ${SEED})`, async () => {
    const gen = generator(SEED);
    const random = rng(SEED + 1);
    const tally = newTally();
    const pieces = [
      '(',
      ')',
      '[5m]',
      '[5m:]',
      ' offset 1h',
      ' @ 5',
      '-',
      ' bool ',
      ' on(branch) ',
      ' group_left ',
      ' and ',
      'x',
      '{',
      '}',
      ',',
      '"',
      ' by (a) ',
      '^',
      '*',
    ];
    for (let i = 0; i < GENERATED; i++) {
      const query = gen.next();
      await compare(query, tally);
      const fast = readFast(query);
      if (fast !== undefined) await compare(print(fast), tally);
      // One mutation: a piece of syntax inserted, or a few characters deleted.
      const cut = Math.floor(random() * (query.length + 1));
      const mutated =
        random() < 0.6
          ? query.slice(0, cut) + pieces[Math.floor(random() * pieces.length)] + query.slice(cut)
          : query.slice(0, cut) + query.slice(cut + 1 + Math.floor(random() * 3));
      await compare(mutated, tally);
    }
    assert.deepEqual(tally.failures.slice(0, 20), [], `${tally.failures.length} differences`);
    assert.ok(tally.same > GENERATED, `only ${tally.same} readings compared with Prometheus's`);
    console.log(`fast reader vs Prometheus, generated: ${summary(tally)}`);
  });
});
