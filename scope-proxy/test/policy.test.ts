// The policy file: the repository's own file is valid and means what it says; mistakes are
// reported with their line; reloads keep the last good policy when an edit is bad.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PolicyError, PolicyStore, parsePolicy, resolveCaller } from '../src/policy.ts';
import { REPO_POLICY } from './fixture.ts';

const GOOD = readFileSync(REPO_POLICY, 'utf8');

function problems(text: string): string[] {
  try {
    parsePolicy(text, 'p.yml');
  } catch (error) {
    assert.ok(error instanceof PolicyError, String(error));
    return error.problems;
  }
  assert.fail('expected the policy to be refused');
}

describe('policy/policy.yml', () => {
  const policy = parsePolicy(GOOD, REPO_POLICY);
  test('every person resolves to the scope the requirements give their role', () => {
    const scope = (login: string) => resolveCaller(policy, login)?.scope;
    assert.deepEqual(scope('asha.exec'), { kind: 'all' });
    assert.deepEqual(scope('farhan.fin'), { kind: 'all' });
    assert.deepEqual(scope('devi.ops'), { kind: 'all' });
    assert.deepEqual(scope('admin'), { kind: 'all' });
    assert.deepEqual(scope('meera.bm'), { kind: 'branch', branches: ['BR0001'] });
    assert.deepEqual(scope('sunil.bm'), { kind: 'branch', branches: ['BR0002', 'BR0003'] });
    assert.deepEqual(scope('kavya.cashier'), { kind: 'branch', branches: ['BR0001'] });
    assert.deepEqual(scope('ravi.fo'), { kind: 'officer', branch: 'BR0001', officer: 'BR0001-FO01' });
    assert.deepEqual(scope('lakshmi.bm'), { kind: 'branch', branches: ['BR0004', 'BR0005'] });
    assert.equal(scope('vikram.viewer')?.kind, 'aggregate');
    assert.equal(resolveCaller(policy, 'lakshmi.bm')?.binding.source, 'team:branch-managers-south');
  });
  test('unknown people get nothing', () => {
    assert.equal(resolveCaller(policy, 'mallory'), undefined);
    assert.equal(resolveCaller(policy, ''), undefined);
    assert.equal(resolveCaller(policy, 'ASHA.EXEC'), undefined);
  });
  test('the aggregate allow-list has no per-branch series', () => {
    for (const name of policy.aggregateMetrics) assert.match(name, /^paywatch:/);
  });
});

describe('policy validation names the line', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['YAML syntax', 'roles:\n  a: { scope: all\n', /p\.yml:\d+:\d+: /],
    ['unknown top-level key', 'roles:\n  a: { scope: all }\nusers: []\n', /p\.yml:3:1: policy\.users: unknown key/],
    ['bad scope', 'roles:\n  a: { scope: everything }\n', /p\.yml:2:15: roles\.a\.scope: expected one of all, branch, officer, aggregate/],
    [
      'unknown role',
      'roles:\n  a: { scope: all }\npeople:\n  - { login: x, role: b }\n',
      /p\.yml:4:23: people\[0\]\.role: unknown role "b"/,
    ],
    [
      'branch scope without branches',
      'roles:\n  bm: { scope: branch }\npeople:\n  - { login: x, role: bm }\n',
      /p\.yml:4:5: people\[0\]: role bm has scope branch: give branches/,
    ],
    [
      'officer of another branch',
      'roles:\n  fo: { scope: officer }\npeople:\n  - { login: x, role: fo, branch: BR0001, officer: BR0002-FO01 }\n',
      /p\.yml:4:\d+: people\[0\]\.officer: officer BR0002-FO01 is not an officer of branch BR0001/,
    ],
    [
      'duplicate login',
      'roles:\n  a: { scope: all }\npeople:\n  - { login: x, role: a }\n  - { login: x, role: a }\n',
      /p\.yml:5:5: people\[1\]: x is already bound at line 4/,
    ],
    [
      'team member also a person',
      'roles:\n  a: { scope: all }\n  bm: { scope: branch }\npeople:\n  - { login: x, role: a }\nteams:\n  - { name: t, role: bm, branches: [BR0001], members: [x] }\n',
      /p\.yml:7:\d+: teams\[0\]\.members\[0\]: x is already bound at line 5/,
    ],
    ['aggregate role without allow-list', 'roles:\n  v: { scope: aggregate }\n', /aggregate_metrics: roles v have scope aggregate/],
    [
      'bad metric name in allow-list',
      'roles:\n  a: { scope: all }\naggregate_metrics: [ "not a metric" ]\n',
      /p\.yml:3:22: aggregate_metrics\[0\]: expected metric names/,
    ],
    [
      'allow-listed series not declared in the contract',
      'roles:\n  a: { scope: all }\naggregate_metrics: [ paywatch:payments:rate5m, paywatch:made_up:rate5m ]\n',
      /p\.yml:3:48: aggregate_metrics\[1\]: paywatch:made_up:rate5m is not a recording rule declared in contract/,
    ],
    [
      'allow-listed series carrying branch',
      'roles:\n  a: { scope: all }\naggregate_metrics: [ branch:payments:rate5m ]\n',
      /aggregate_metrics\[0\]: branch:payments:rate5m carries branch: the aggregate scope may only read series without branch or officer/,
    ],
    [
      'branch code with regex characters',
      'roles:\n  bm: { scope: branch }\npeople:\n  - { login: x, role: bm, branches: ["BR.*"] }\n',
      /p\.yml:4:\d+: people\[0\]\.branches\[0\]: expected branch codes/,
    ],
    [
      'scope all with branches',
      'roles:\n  a: { scope: all }\npeople:\n  - { login: x, role: a, branches: [BR0001] }\n',
      /role a has scope all: branches\/branch\/officer would be ignored/,
    ],
    [
      'officer scope in a team',
      'roles:\n  fo: { scope: officer }\nteams:\n  - { name: t, role: fo, members: [x] }\n',
      /bind field officers one by one/,
    ],
    ['duplicate key', 'roles:\n  a: { scope: all }\n  a: { scope: all }\n', /p\.yml:3:\d+: .*[Mm]ap keys must be unique/],
    ['unknown role field', 'roles:\n  a: { scope: all, colour: red }\n', /p\.yml:2:20: roles\.a\.colour: unknown key/],
  ];
  for (const [what, text, expected] of cases) {
    test(what, () => {
      const found = problems(text);
      assert.ok(
        found.some((p) => expected.test(p)),
        `expected ${expected} in:\n${found.join('\n')}`,
      );
    });
  }
});

describe('reload', () => {
  test('a good edit is picked up, a bad edit keeps the last good policy and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const path = join(dir, 'policy.yml');
    writeFileSync(path, GOOD);
    const events: string[] = [];
    const store = new PolicyStore(path, {
      onReload: (result, detail) => events.push(`${result}${detail.error ? `: ${detail.error}` : ''}`),
    });
    try {
      store.watch(50);
      const wait = async (predicate: () => boolean) => {
        for (let i = 0; i < 100 && !predicate(); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(predicate(), `waited; events: ${events.join(' | ')}`);
      };
      assert.equal(resolveCaller(store.current, 'new.person'), undefined);
      // An editor's atomic save: write elsewhere, rename into place.
      writeFileSync(join(dir, 'tmp'), GOOD.replace('\nteams:', '\n  - { login: new.person2, role: finance }\nteams:'));
      renameSync(join(dir, 'tmp'), path);
      await wait(() => resolveCaller(store.current, 'new.person2') !== undefined);
      assert.equal(store.lastReloadOk, true);
      const before = store.current;
      writeFileSync(path, GOOD.replace('role: branch_manager, branches: [BR0001]', 'role: branch_manager'));
      await wait(() => store.lastReloadOk === false);
      assert.equal(store.current, before, 'kept the last good policy');
      assert.match(store.lastError ?? '', /policy\.yml:\d+:\d+: people\[5\]: role branch_manager has scope branch/);
      assert.deepEqual(resolveCaller(store.current, 'meera.bm')?.scope, { kind: 'branch', branches: ['BR0001'] });
      writeFileSync(path, GOOD);
      await wait(() => store.lastReloadOk === true);
      assert.equal(resolveCaller(store.current, 'new.person2'), undefined);
      assert.ok(events.some((e) => e.startsWith('failure')) && events.filter((e) => e === 'success').length >= 2, events.join(' | '));
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
