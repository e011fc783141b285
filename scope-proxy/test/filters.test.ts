// The response filters (src/filters/) on recorded Prometheus answers, one golden file per
// filter and caller: testdata/upstream/<endpoint>.json is what Prometheus answered,
// testdata/<endpoint>/<login>.json what that caller must get. A change in what a role sees shows
// up as a diff of these files. To accept an intended change: UPDATE_GOLDEN=1 npm test -- filters
// (then read the diff before committing it).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { alertsFromRules } from '../src/filters/alerts.ts';
import { dropScopedLabels, dropScopedSeries, mayCarryScopedLabels } from '../src/filters/aggregate.ts';
import { filterMetadata, type MetadataAnswer } from '../src/filters/metadata.ts';
import { filterRules, type RulesAnswer } from '../src/filters/rules.ts';
import { filterSeries, type SeriesAnswer } from '../src/filters/series.ts';
import { loadPolicyFile, resolveCaller } from '../src/policy.ts';
import type { Scope } from '../src/scope.ts';
import { REPO_POLICY } from './fixture.ts';

const TESTDATA = new URL('./testdata/', import.meta.url).pathname;
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const policy = loadPolicyFile(REPO_POLICY);
/** One caller per kind of scope, two branch scopes (one branch, several). */
const CALLERS = ['asha.exec', 'meera.bm', 'sunil.bm', 'ravi.fo', 'vikram.viewer'];

function scopeOf(login: string): Scope {
  const caller = resolveCaller(policy, login);
  assert.ok(caller, `${login} is in policy/policy.yml`);
  return caller.scope;
}

const upstream = <T>(name: string): T => JSON.parse(readFileSync(join(TESTDATA, 'upstream', `${name}.json`), 'utf8')) as T;

function golden(endpoint: string, login: string, actual: unknown) {
  const file = join(TESTDATA, endpoint, `${login}.json`);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (UPDATE) {
    mkdirSync(join(TESTDATA, endpoint), { recursive: true });
    writeFileSync(file, text);
  }
  assert.equal(text, readFileSync(file, 'utf8'), `${endpoint} for ${login} differs from ${file}`);
}

/** Names of visible metrics per caller, as the metadata handler derives them from Prometheus. */
const VISIBLE: Record<string, string[]> = {
  'meera.bm': ['payments_total'],
  'sunil.bm': ['payments_total'],
  'ravi.fo': ['field_collections_total'],
};

describe('response filters against golden answers (testdata/)', () => {
  for (const login of CALLERS) {
    const scope = scopeOf(login);
    // The handlers relay Prometheus's answer untouched to the `all` scope; the filters must agree.
    test(`rules for ${login}`, () => golden('rules', login, filterRules(upstream<RulesAnswer>('rules'), scope)));
    test(`alerts for ${login}`, () =>
      golden('alerts', login, scope.kind === 'all' ? upstream('alerts') : alertsFromRules(upstream<RulesAnswer>('rules'), scope)));
    test(`series for ${login}`, () => golden('series', login, filterSeries(upstream<SeriesAnswer>('series'), scope)));
    test(`metadata for ${login}`, () => {
      const visible =
        scope.kind === 'aggregate'
          ? scope.metrics
          : scope.kind === 'all'
            ? Object.keys(upstream<MetadataAnswer>('metadata').data ?? {})
            : VISIBLE[login]!;
      golden('metadata', login, filterMetadata(upstream<MetadataAnswer>('metadata'), new Set(visible)));
    });
  }

  test('a filter never changes the answer it was given', () => {
    const given = upstream<RulesAnswer>('rules');
    const before = JSON.stringify(given);
    filterRules(given, scopeOf('meera.bm'));
    alertsFromRules(given, scopeOf('meera.bm'));
    assert.equal(JSON.stringify(given), before);
  });

  test('aggregate answers: only bytes that could name branch or officer are read at all', () => {
    const may = (text: string) => mayCarryScopedLabels(Buffer.from(text));
    // Whatever JSON text decodes to a series with either label must be caught by the byte check.
    const carrying = [
      '{"metric":{"branch":"BR0001"}}',
      '{"metric":{"officer":"x"}}',
      '{"metric":{"\\u0062ranch":"BR0001"}}',
      '{"metric":{"offic\\u0065r":"x"}}',
      '{"metric":{"\\u006F\\u0066ficer":"x"}}',
    ];
    for (const text of carrying) {
      const metric = (JSON.parse(text) as { metric: Record<string, string> }).metric;
      assert.ok('branch' in metric || 'officer' in metric, text);
      assert.equal(may(text), true, text);
    }
    // Names that merely contain the words, and values, do not decode to the labels.
    assert.equal(may('{"metric":{"__name__":"paywatch:payment_actionable_failures_worst_branch:increase1h","branches":"2"}}'), false);
    assert.equal(may('{"status":"success","data":{"resultType":"matrix","result":[]}}'), false);
    // A value spelled exactly like a label name is read (cautious: the filter then decides).
    assert.equal(may('{"metric":{"kind":"branch"}}'), true);
  });

  test('aggregate answers: a series carrying branch or officer is dropped, their names unlisted', () => {
    const answer = {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { __name__: 'paywatch:payments:rate5m', status: 'success' }, value: [1, '2'] },
          { metric: { __name__: 'paywatch:payments:rate5m', branch: 'BR0002' }, value: [1, '9'] },
          { metric: { officer: 'BR0001-FO01' }, value: [1, '1'] },
        ],
      },
    };
    const { answer: kept, dropped } = dropScopedSeries(answer);
    assert.equal(dropped, 2);
    assert.deepEqual(
      (kept.data!.result as Array<{ metric: Record<string, string> }>).map((r) => r.metric),
      [{ __name__: 'paywatch:payments:rate5m', status: 'success' }],
    );
    assert.deepEqual(dropScopedLabels({ status: 'success', data: ['__name__', 'branch', 'officer', 'status'] }, undefined).data, [
      '__name__',
      'status',
    ]);
    assert.deepEqual(dropScopedLabels({ status: 'success', data: ['BR0001'] }, 'branch').data, []);
    assert.deepEqual(dropScopedLabels({ status: 'success', data: ['success'] }, 'status').data, ['success']);
  });
});
