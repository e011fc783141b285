// Access sync (stack/src/cli/access-sync.ts) against a recorded Grafana HTTP API
// (stack/test/support/recorded-grafana.ts): first run builds users, teams, folders and
// permissions from policy/policy.yml; the second run changes nothing; --dry-run only prints.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readIdentities } from '@paywatch/scope-proxy';
import { main } from '../src/cli/access-sync.ts';
import { branchTeam, desiredState, folderUid, roleTeam } from '../src/access/desired.ts';
import { loadPolicy } from '../src/access/policy.ts';
import { startRecordedGrafana, type RecordedGrafana } from './support/recorded-grafana.ts';

const policy = loadPolicy();

async function run(grafana: RecordedGrafana, ...args: string[]) {
  const lines: string[] = [];
  const code = await main(['--grafana-url', grafana.url, ...args], (line) => lines.push(line));
  return { code, output: lines.join('\n') };
}

function withEnv(env: Record<string, string | undefined>) {
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

describe('access sync against the recorded Grafana API', () => {
  let grafana: RecordedGrafana;
  let restore: () => void;
  before(async () => {
    grafana = await startRecordedGrafana({ user: 'admin', password: 'demo-admin-password' });
    // Provisioning already made two of the folders, with Grafana's default permissions.
    grafana.provisionFolder('paywatch-folder-executive', 'executive');
    grafana.provisionFolder('paywatch-folder-branch', 'branch');
    restore = withEnv({
      GRAFANA_TOKEN: undefined,
      GRAFANA_USER: 'admin',
      GRAFANA_PASSWORD: 'demo-admin-password',
      PAYWATCH_DEMO_PASSWORD: 'demo-password',
    });
  });
  after(async () => {
    restore();
    await grafana.close();
  });

  test('recorded Grafana API: --dry-run prints the plan and changes nothing', async () => {
    const { code, output } = await run(grafana, '--dry-run');
    assert.equal(code, 0);
    assert.match(output, /plan \(\d+ changes, dry run/);
    assert.match(output, /create user meera\.bm/);
    assert.match(output, /create team paywatch-branch-manager/);
    assert.match(output, /create folder operations \(uid paywatch-folder-operations\)/);
    assert.match(
      output,
      /set permissions of folder paywatch-folder-branch: View for .*paywatch-branch-manager.*remove role:Editor, role:Viewer/,
    );
    assert.deepEqual(grafana.mutations(), [], 'a dry run sends no changing request');
  });

  test('recorded Grafana API: first run makes users, teams, folders and permissions match the policy', async () => {
    const { code, output } = await run(grafana);
    assert.equal(code, 0, output);
    assert.match(output, /done; Grafana matches the policy/);
    const { users, teams, folders } = grafana.state;
    const desired = desiredState(policy);
    for (const person of policy.people)
      assert.ok(
        users.some((u) => u.login === person.login),
        `user ${person.login}`,
      );
    assert.ok(
      users.some((u) => u.login === 'lakshmi.bm'),
      'members of policy teams are created too',
    );
    const role = (login: string) => users.find((u) => u.login === login)?.role;
    assert.equal(role('meera.bm'), 'Viewer');
    assert.equal(role('devi.ops'), 'Editor', 'devops may explore, which Grafana OSS allows Editors');
    assert.equal(role('admin'), 'Admin');
    const members = (name: string) => {
      const team = teams.find((t) => t.name === name);
      assert.ok(team, `team ${name}`);
      return team.members.map((id) => users.find((u) => u.id === id)!.login).sort();
    };
    assert.deepEqual(members(roleTeam('branch_manager')), ['meera.bm', 'sunil.bm']);
    assert.deepEqual(members(branchTeam('BR0001')), ['kavya.cashier', 'meera.bm', 'ravi.fo']);
    assert.deepEqual(members('branch-managers-south'), ['lakshmi.bm']);
    for (const want of desired.folders) {
      const folder = folders.find((f) => f.uid === want.uid);
      assert.ok(folder, `folder ${want.uid}`);
      assert.ok(!folder.perms.some((p) => p.role === 'Viewer' || p.role === 'Editor'), `${want.uid}: no access by org role`);
      const viewers = folder.perms
        .filter((p) => p.teamId)
        .map((p) => teams.find((t) => t.id === p.teamId)!.name)
        .sort();
      assert.deepEqual(viewers, want.viewerTeams, `${want.uid} viewers`);
      assert.ok(
        folder.perms.filter((p) => p.teamId).every((p) => p.permission === 1),
        'teams only view',
      );
    }
    // Each role sees its own folders and not the others'.
    const seenBy = (team: string) =>
      folders
        .filter((f) => f.perms.some((p) => p.teamId === teams.find((t) => t.name === team)!.id))
        .map((f) => f.uid)
        .sort();
    assert.deepEqual(seenBy(roleTeam('branch_manager')), [folderUid('branch')]);
    assert.deepEqual(seenBy(roleTeam('field_officer')), [folderUid('field')]);
    assert.deepEqual(seenBy(roleTeam('viewer')), [folderUid('status')]);
    assert.deepEqual(seenBy(roleTeam('executive')), [folderUid('business'), folderUid('executive'), folderUid('status')].sort());
    assert.deepEqual(seenBy('branch-managers-south'), [folderUid('branch')]);
  });

  test('recorded Grafana API: a second run changes nothing (idempotent)', async () => {
    const before = grafana.mutations().length;
    const { code, output } = await run(grafana);
    assert.equal(code, 0);
    assert.match(output, /already matches the policy; nothing to do/);
    assert.equal(grafana.mutations().length, before);
  });

  test('recorded Grafana API: drift is corrected (a member added by hand, a folder opened to Viewers)', async () => {
    const team = grafana.state.teams.find((t) => t.name === roleTeam('executive'))!;
    const intruder = grafana.state.users.find((u) => u.login === 'meera.bm')!;
    team.members.push(intruder.id);
    const folder = grafana.state.folders.find((f) => f.uid === folderUid('executive'))!;
    folder.perms.push({ userId: 0, teamId: 0, role: 'Viewer', permission: 1 });
    const dry = await run(grafana, '--dry-run');
    assert.match(dry.output, /remove meera\.bm from team paywatch-executive/);
    assert.match(dry.output, /set permissions of folder paywatch-folder-executive: .*remove role:Viewer/);
    const { code } = await run(grafana);
    assert.equal(code, 0);
    assert.ok(!team.members.includes(intruder.id));
    assert.ok(!folder.perms.some((p) => p.role === 'Viewer'));
    assert.match((await run(grafana)).output, /nothing to do/);
  });

  test('recorded Grafana API: wrong credentials are reported, not ignored', async () => {
    const restoreBad = withEnv({ GRAFANA_PASSWORD: 'wrong' });
    try {
      await assert.rejects(run(grafana), /HTTP 401/);
    } finally {
      restoreBad();
    }
  });
});

// The identities file binds each policy login to the Grafana user access sync created for it; the
// scope proxy (grafana-id mode) gives a login its scope only for that user. These are the attacks
// on it that reach access sync: renaming oneself to a policy login, before or after it is bound.
describe('access sync binds policy logins to the Grafana users it created (recorded Grafana API)', () => {
  let grafana: RecordedGrafana;
  let restore: () => void;
  let dir: string;
  let identities: string;
  let policyFile: string;
  before(async () => {
    grafana = await startRecordedGrafana({ user: 'admin', password: 'demo-admin-password' });
    restore = withEnv({
      GRAFANA_TOKEN: undefined,
      GRAFANA_USER: 'admin',
      GRAFANA_PASSWORD: 'demo-admin-password',
      PAYWATCH_DEMO_PASSWORD: 'demo-password',
    });
    dir = mkdtempSync(join(tmpdir(), 'paywatch-access-sync-'));
    identities = join(dir, 'identities.json');
    policyFile = join(dir, 'policy.yml');
    writeFileSync(policyFile, readFileSync(new URL('../../policy/policy.yml', import.meta.url), 'utf8'));
  });
  after(async () => {
    restore();
    await grafana.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const sync = (...args: string[]) => run(grafana, '--policy', policyFile, '--identities', identities, ...args);
  const teamsOf = (userId: number) => grafana.state.teams.filter((t) => t.members.includes(userId)).map((t) => t.name);

  test('recorded Grafana API: every user it creates is bound by uid; the admin running it vouches for itself', async () => {
    const { code, output } = await sync();
    assert.equal(code, 0, output);
    const bound = readIdentities(identities);
    const people = desiredState(loadPolicy(policyFile)).users.map((u) => u.login);
    assert.deepEqual([...bound.keys()].sort(), [...people].sort(), 'every policy login is bound');
    for (const login of people) {
      const user = grafana.state.users.find((u) => u.login === login)!;
      assert.deepEqual({ uid: bound.get(login)!.uid, id: bound.get(login)!.id }, { uid: user.uid, id: user.id }, login);
    }
    assert.equal(bound.get('meera.bm')!.how, 'created');
    assert.equal(bound.get('admin')!.how, 'adopted', 'admin existed before: bound because it is who runs access sync');
    assert.match((await sync()).output, /nothing to do[\s\S]*bound to their Grafana user in .*\(unchanged\)/);
  });

  test('recorded Grafana API: a user who renames themselves to a bound login gets no team, and the binding stays', async () => {
    const meera = grafana.state.users.find((u) => u.login === 'meera.bm')!;
    meera.login = 'meera.k'; // meera renamed herself (PUT /api/user) …
    const mallory = grafana.addUser('mallory');
    grafana.state.users.find((u) => u.id === mallory.id)!.login = 'meera.bm'; // … and mallory took the login
    const { code, output } = await sync();
    assert.equal(code, 1, 'the operator is told');
    assert.match(output, /meera\.bm: held by Grafana user id \d+, not by the user access sync bound/);
    assert.deepEqual(teamsOf(mallory.id), [], 'the impostor is in no team, so sees no folder');
    assert.equal(readIdentities(identities).get('meera.bm')!.uid, meera.uid, 'the binding still names the real meera');
    // Fixed in Grafana: the impostor renamed away, meera renamed back.
    grafana.state.users.find((u) => u.id === mallory.id)!.login = 'mallory';
    meera.login = 'meera.bm';
    assert.equal((await sync()).code, 0);
    assert.ok(teamsOf(meera.id).includes('paywatch-branch-manager'));
  });

  test('recorded Grafana API: a login added to the policy and taken by renaming before access sync runs is not bound', async () => {
    // A new team, added under `teams:` wherever that section sits in the file.
    const withTeam = readFileSync(policyFile, 'utf8').replace(
      /^teams:\n/m,
      'teams:\n  - { name: north, role: branch_manager, branches: [BR0042], members: [priya.bm] }\n',
    );
    assert.match(withTeam, /name: north/, 'the policy has a teams: section to add to');
    writeFileSync(policyFile, withTeam);
    const mallory = grafana.state.users.find((u) => u.login === 'mallory')!;
    mallory.login = 'priya.bm';
    const { code, output } = await sync();
    assert.equal(code, 1);
    assert.match(output, /priya\.bm: exists in Grafana \(user id \d+\) but access sync did not create it[\s\S]*--adopt priya\.bm/);
    assert.equal(readIdentities(identities).has('priya.bm'), false, 'not bound: the scope proxy refuses it');
    assert.deepEqual(teamsOf(mallory.id), []);
    // An operator who checked it is really priya vouches for the user.
    const adopted = await sync('--adopt', 'priya.bm');
    assert.equal(adopted.code, 0, adopted.output);
    assert.deepEqual(
      { uid: readIdentities(identities).get('priya.bm')!.uid, how: readIdentities(identities).get('priya.bm')!.how },
      { uid: mallory.uid, how: 'adopted' },
    );
    assert.ok(teamsOf(mallory.id).includes('north'));
  });

  test('recorded Grafana API: --adopt of a login the policy does not have is refused', async () => {
    await assert.rejects(sync('--adopt', 'nobody.here'), /--adopt names logins that are not in the policy: nobody\.here/);
  });
});

test('access sync refuses to run without credentials', async () => {
  const restore = withEnv({ GRAFANA_TOKEN: undefined, GRAFANA_USER: undefined, GRAFANA_PASSWORD: undefined });
  try {
    await assert.rejects(
      main(['--grafana-url', 'http://127.0.0.1:9'], () => {}),
      /GRAFANA_TOKEN/,
    );
  } finally {
    restore();
  }
});
