// Access sync (stack/src/cli/access-sync.ts) against a recorded Grafana HTTP API
// (stack/test/support/recorded-grafana.ts): first run builds users, teams, folders and
// permissions from policy/policy.yml; the second run changes nothing; --dry-run only prints.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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
    restore = withEnv({ GRAFANA_TOKEN: undefined, GRAFANA_USER: 'admin', GRAFANA_PASSWORD: 'demo-admin-password', PAYWATCH_DEMO_PASSWORD: 'demo-password' });
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
    assert.match(output, /set permissions of folder paywatch-folder-branch: View for .*paywatch-branch-manager.*remove role:Editor, role:Viewer/);
    assert.deepEqual(grafana.mutations(), [], 'a dry run sends no changing request');
  });

  test('recorded Grafana API: first run makes users, teams, folders and permissions match the policy', async () => {
    const { code, output } = await run(grafana);
    assert.equal(code, 0, output);
    assert.match(output, /done; Grafana matches the policy/);
    const { users, teams, folders } = grafana.state;
    const desired = desiredState(policy);
    for (const person of policy.people) assert.ok(users.some((u) => u.login === person.login), `user ${person.login}`);
    assert.ok(users.some((u) => u.login === 'lakshmi.bm'), 'members of policy teams are created too');
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
      const viewers = folder.perms.filter((p) => p.teamId).map((p) => teams.find((t) => t.id === p.teamId)!.name).sort();
      assert.deepEqual(viewers, want.viewerTeams, `${want.uid} viewers`);
      assert.ok(folder.perms.filter((p) => p.teamId).every((p) => p.permission === 1), 'teams only view');
    }
    // Each role sees its own folders and not the others'.
    const seenBy = (team: string) => folders.filter((f) => f.perms.some((p) => p.teamId === teams.find((t) => t.name === team)!.id)).map((f) => f.uid).sort();
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

test('access sync refuses to run without credentials', async () => {
  const restore = withEnv({ GRAFANA_TOKEN: undefined, GRAFANA_USER: undefined, GRAFANA_PASSWORD: undefined });
  try {
    await assert.rejects(main(['--grafana-url', 'http://127.0.0.1:9'], () => {}), /GRAFANA_TOKEN/);
  } finally {
    restore();
  }
});
