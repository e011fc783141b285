// Fuzz: queries generated from the grammar's constructs, valid and broken.
//  1. 10,000 per caller scope through the rewriter: it either refuses with a 4xx-class error or
//     returns text in which an independent walk of the grammar's tree finds every selector scoped.
//  2. A sample executed as each scoped caller through the proxy against real Prometheus A and the
//     caller's twin B: identical answers (no dependence on out-of-scope data), labels in scope,
//     never a 5xx.
//  3. Rewriting is faithful: with a scope that covers every branch, the rewritten query gives
//     Prometheus's own answer to the original on branch data (checks our printer's precedence).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { eachAtOnce } from '@paywatch/runtime';
import { PromQLError } from '../src/promql.ts';
import { rewriteQuery, ScopeError, scopeMatchers, type Scope } from '../src/scope.ts';
import { printMatcher } from '../src/promql.ts';
import { BRANCHES, CALLERS, form, labelSets, normalise, rawRequest, startFixture, type Fixture } from './fixture.ts';
import { QueryGenerator, rng, type GeneratorOptions } from './generator.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const REWRITES_PER_SCOPE = Number(process.env.FUZZ_REWRITES ?? 10_000);
const EXECUTED_PER_CALLER = Number(process.env.FUZZ_EXECUTED ?? 1_250);
const SEMANTIC = Number(process.env.FUZZ_SEMANTIC ?? 1000);

const METRICS = [
  'payments_total',
  'payment_amount_total',
  'field_collections_total',
  'field_collection_amount_total',
  'reconciliation_pending',
  'branch:payment_success_ratio:rate5m',
  'officer:field_collection_amount_inr:increase1d',
  'rfid_verification_duration_seconds_bucket',
  'db_up',
  'lms_posting_queue_depth',
  'twin_only_fleet_metric',
  'paywatch:payment_success_ratio:rate5m',
  'paywatch:payments:rate5m',
  'paywatch:lms_posting_queue_depth:max5m',
  'payment_processing_seconds_bucket',
];
const LABEL_VALUES = {
  branch: ['BR0001', 'BR0002', 'BR0003', 'BR0004', 'BR0005', 'BR0999'],
  officer: ['BR0001-FO01', 'BR0001-FO02', 'BR0002-FO01', 'BR0999-FO01'],
  channel: ['upi', 'cash'],
  status: ['success', 'failed'],
  otp: ['verified'],
};

function options(end: number, overrides: Partial<GeneratorOptions> = {}): GeneratorOptions {
  return {
    metrics: METRICS,
    nameRegexes: ['.+', '.*', 'pay.*', 'paywatch:.*', 'payments_total|db_up', 'branch:.*'],
    labelValues: LABEL_VALUES,
    writeLabels: ['branch', 'officer'],
    breakProbability: 0.2,
    end,
    ...overrides,
  };
}

/** Independent of the proxy's AST: walk the grammar's tree of the forwarded text. */
function independentlyScoped(text: string, scope: Scope): string | undefined {
  const required = scopeMatchers(scope).map(printMatcher);
  const tree = parser.parse(text);
  let problem: string | undefined;
  tree.iterate({
    enter(node) {
      if (problem) return false;
      if (node.type.isError) problem = `forwarded text has a syntax error at ${node.from}`;
      else if (node.name === 'VectorSelector') {
        const body = text.slice(node.from, node.to);
        if (!body.startsWith('{')) problem = `selector without braces: ${body}`;
        for (const r of required) if (!body.includes(r)) problem = `selector ${body} lacks ${r}`;
      } else if (scope.kind !== 'all' && (node.name === 'FunctionCall' || node.name === 'AggregateExpr')) {
        // The label a call writes: 2nd argument of label_replace/label_join, 1st of count_values.
        const head = node.node.firstChild;
        const fn = head ? text.slice(head.from, head.to) : '';
        const which = fn === 'label_replace' || fn === 'label_join' ? 1 : fn === 'count_values' ? 0 : -1;
        if (which >= 0) {
          const body = node.node.getChild('FunctionCallBody');
          const args: Array<{ name: string; from: number; to: number; firstChild: any }> = [];
          for (let c = body?.firstChild; c; c = c.nextSibling)
            if (c.name !== '(' && c.name !== ')' && c.name !== ',' && c.name !== 'LineComment') args.push(c);
          let arg = args[which];
          while (arg && arg.name === 'ParenExpr') arg = arg.firstChild ?? undefined;
          if (!arg || arg.name !== 'StringLiteral') problem = `${fn} with a computed label`;
          else {
            const label = JSON.parse(text.slice(arg.from, arg.to)) as string;
            if (label === 'branch' || label === 'officer') problem = `${fn} writes ${label}`;
          }
        }
      }
      return undefined;
    },
  });
  return problem;
}

const SCOPES: Record<string, Scope> = {
  branch: { kind: 'branch', branches: ['BR0001'] },
  branches: { kind: 'branch', branches: ['BR0002', 'BR0003'] },
  officer: { kind: 'officer', branch: 'BR0001', officer: 'BR0001-FO01' },
  aggregate: {
    kind: 'aggregate',
    metrics: ['paywatch:payment_success_ratio:rate5m', 'paywatch:payments:rate5m', 'paywatch:lms_posting_queue_depth:max5m'],
  },
  all: { kind: 'all' },
};

describe(`fuzz: rewriter, ${REWRITES_PER_SCOPE} generated queries per scope (seed ${SEED})`, () => {
  for (const [name, scope] of Object.entries(SCOPES)) {
    test(`${name} scope`, () => {
      const gen = new QueryGenerator(rng(SEED + name.length), options(1_800_000_000));
      let rewritten = 0;
      let syntax = 0;
      let policy = 0;
      const failures: string[] = [];
      for (let i = 0; i < REWRITES_PER_SCOPE; i++) {
        const q = gen.next();
        let out: string;
        try {
          out = rewriteQuery(q, scope, { cache: false });
        } catch (error) {
          if (error instanceof PromQLError && !/^internal/.test(error.message)) syntax++;
          else if (error instanceof ScopeError) policy++;
          else failures.push(`${JSON.stringify(q)} -> ${(error as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
          continue;
        }
        rewritten++;
        if (scope.kind === 'all') {
          if (out !== q) failures.push(`all scope changed ${q}`);
          continue;
        }
        const problem = independentlyScoped(out, scope);
        if (problem) failures.push(`${JSON.stringify(q)} -> ${out}: ${problem}`);
      }
      assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
      assert.ok(rewritten > REWRITES_PER_SCOPE * 0.5, `only ${rewritten} rewritten`);
      console.log(
        `fuzz ${name}: ${REWRITES_PER_SCOPE} queries, ${rewritten} rewritten and verified, ${syntax} refused as invalid, ${policy} refused by policy, 0 leaks`,
      );
    });
  }
});

describe('fuzz: executed against real Prometheus (truth A vs twin B)', { timeout: 170_000 }, () => {
  const callers = ['meera.bm', 'sunil.bm', 'ravi.fo', 'vikram.viewer'];
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(callers);
  });
  after(async () => {
    await fx?.stop();
  });

  for (const login of callers) {
    test(`${login}: ${EXECUTED_PER_CALLER} generated queries, zero leaks, zero 5xx`, async () => {
      const truth = CALLERS[login]!;
      const gen = new QueryGenerator(rng(SEED * 7 + login.length), options(fx.end));
      const twin = fx.twins.get(login)!;
      const statuses = new Map<number, number>();
      const failures: string[] = [];
      let withData = 0;
      const run = async (q: string, i: number) => {
        const req =
          i % 5 === 0
            ? {
                method: 'POST',
                path: '/api/v1/query_range',
                body: form([
                  ['query', q],
                  ['start', String(fx.end - 1200)],
                  ['end', String(fx.end)],
                  ['step', '120'],
                ]),
              }
            : {
                method: 'GET',
                path: `/api/v1/query?${form([
                  ['query', q],
                  ['time', String(fx.end)],
                ])}`,
              };
        const [a, b] = await Promise.all([rawRequest(fx.truth.proxy.url, req, login), rawRequest(twin.proxy.url, req, login)]);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status >= 500 || b.status >= 500) failures.push(`5xx for ${q}: ${a.status} ${a.body.slice(0, 200)}`);
        if (normalise(a) !== normalise(b))
          failures.push(`leak for ${q}:\n A ${normalise(a).slice(0, 250)}\n B ${normalise(b).slice(0, 250)}`);
        const sets = labelSets(a);
        if (a.status === 200 && sets.length > 0) withData++;
        for (const labels of sets) {
          const bad =
            truth.kind === 'branch'
              ? labels.branch !== undefined && !truth.branches.includes(labels.branch)
              : truth.kind === 'officer'
                ? (labels.branch !== undefined && labels.branch !== truth.branch) ||
                  (labels.officer !== undefined && labels.officer !== truth.officer)
                : truth.kind === 'aggregate'
                  ? !!labels.branch || !!labels.officer
                  : false;
          if (bad) failures.push(`out-of-scope labels for ${q}: ${JSON.stringify(labels)}`);
        }
      };
      const queries = Array.from({ length: EXECUTED_PER_CALLER }, () => gen.next());
      await eachAtOnce(queries, 8, run);
      assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failures`);
      assert.ok(withData > EXECUTED_PER_CALLER * 0.05, `only ${withData} answers with data`);
      console.log(
        `fuzz executed ${login}: ${EXECUTED_PER_CALLER} queries, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${withData} with data, 0 leaks, 0 5xx`,
      );
    });
  }

  test(`rewriting is faithful: ${SEMANTIC} generated queries give Prometheus's own answers when the scope covers every branch`, async () => {
    const gen = new QueryGenerator(
      rng(SEED + 99),
      options(fx.end, {
        metrics: [
          'payments_total',
          'payment_amount_total',
          'field_collections_total',
          'reconciliation_pending',
          'branch:payment_success_ratio:rate5m',
          'rfid_verification_duration_seconds_bucket',
        ],
        nameRegexes: ['payments_total|reconciliation_pending', 'field_.*', 'branch:.*'],
        labelValues: { branch: BRANCHES, channel: ['upi', 'cash'], status: ['success'] },
        writeLabels: ['branch'],
        histograms: ['rfid_verification_duration_seconds_bucket'],
        breakProbability: 0,
      }),
    );
    const everyBranch: Scope = { kind: 'branch', branches: BRANCHES };
    const ask = async (query: string) => {
      const r = await fetch(`${fx.truth.prometheus.url}/api/v1/query`, {
        method: 'POST',
        body: new URLSearchParams({ query, time: String(fx.end) }),
      });
      return { status: r.status, json: (await r.json()) as any };
    };
    let compared = 0;
    const failures: string[] = [];
    for (let i = 0; i < SEMANTIC; i++) {
      const q = gen.next();
      let rewritten: string;
      try {
        rewritten = rewriteQuery(q, everyBranch);
      } catch {
        continue;
      }
      const [original, scoped] = await Promise.all([ask(q), ask(rewritten)]);
      if (original.status !== 200) continue; // e.g. {branch=~".*"} alone is invalid in Prometheus but valid once scoped
      if (scoped.status !== 200) {
        failures.push(`${q}\n  -> ${rewritten}\n  Prometheus accepted the original but not the rewrite: ${scoped.json.error}`);
        continue;
      }
      compared++;
      // absent() copies the equality matchers of its argument into its output labels, except a
      // label matched twice; the scope's own branch matcher can make that happen, a documented
      // difference in labels only, so for absent() compare values.
      const labelsMatter = !/absent/.test(q);
      const norm = (j: any) => {
        const copy = structuredClone(j);
        if (!labelsMatter && Array.isArray(copy?.data?.result)) for (const r of copy.data.result) r.metric = {};
        // Prometheus 3's info and warning annotations end with the position in the query text
        // ("(1:42)"), which the rewrite moves: compare them without it.
        for (const key of ['infos', 'warnings']) {
          if (Array.isArray(copy?.[key])) copy[key] = copy[key].map((text: string) => text.replace(/ \(\d+:\d+\)$/, ''));
        }
        return normalise({ status: 200, body: '', json: copy });
      };
      if (norm(original.json) !== norm(scoped.json))
        failures.push(
          `${q}\n  -> ${rewritten}\n  original ${norm(original.json).slice(0, 200)}\n  rewrite  ${norm(scoped.json).slice(0, 200)}`,
        );
    }
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} differences`);
    assert.ok(compared > SEMANTIC * 0.3, `only ${compared} compared`);
    console.log(`faithfulness: ${compared} of ${SEMANTIC} generated queries compared with Prometheus's answer to the original: identical`);
  });
});
