// Every entry point parses through the one options parser: a malformed value exits 2 saying what
// to fix, each setting has one variable across programs, and the ports come from the one table.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { OPTION_TABLE as EXPORTER } from '@paywatch/exporters';
import { envOf, PORTS, repoRoot, type OptionTable } from '@paywatch/runtime';
import { OPTION_TABLE as REPORTS } from '@paywatch/reports';
import { OPTION_TABLE as PROXY } from '@paywatch/scope-proxy';
import { OPTION_TABLE as SIMULATOR } from '@paywatch/simulator';
import { OPTION_TABLE as ACCESS_SYNC } from '../src/cli/access-sync.ts';
import { OPTION_TABLE as STACK, parseStackConfig, type StackConfig } from '../src/config.ts';

const TABLES: OptionTable[] = [EXPORTER, SIMULATOR, PROXY, STACK, ACCESS_SYNC, REPORTS] as OptionTable[];

/** Names kept because people and files outside Paywatch already use them (README, docker-compose.yml, Grafana's own). */
const DOCUMENTED = new Set([
  'DATABASE_URL',
  'LMS_HEALTH_URL',
  'RFID_READER_TIMEOUT_SECONDS',
  'GRAFANA_URL',
  'PAYWATCH_IDENTITIES_FILE',
  'PAYWATCH_SCOPE_PROXY_URL',
]);
/** Settings of the business's size and pace, shared by npm start, the simulator and the backfill. */
const SHARED = new Set(['PAYWATCH_BRANCHES', 'PAYWATCH_OFFICERS', 'PAYWATCH_PAYMENTS_PER_BRANCH', 'PAYWATCH_SPEED', 'PAYWATCH_SEED']);
const PORT_VARIABLES = new Set<string>(Object.values(PORTS).map((spec) => spec.env));

/** A variable another program owns by its prefix (the report scheduler reads the scope proxy's PAYWATCH_PROXY_POLICY). */
const OWNED = new Set(
  TABLES.flatMap((table) =>
    Object.keys(table.options)
      .map((key) => envOf(table, key))
      .filter((name): name is string => !!name && !!table.envPrefix && name.startsWith(table.envPrefix)),
  ),
);

test('each setting has one variable: a name two programs read is the same setting, with the same type', () => {
  const seen = new Map<string, { table: string; type: string }>();
  for (const table of TABLES) {
    for (const [key, spec] of Object.entries(table.options)) {
      const variable = envOf(table, key);
      if (!variable) continue;
      const own =
        (table.envPrefix && variable.startsWith(table.envPrefix)) ||
        DOCUMENTED.has(variable) ||
        SHARED.has(variable) ||
        PORT_VARIABLES.has(variable) ||
        OWNED.has(variable);
      assert.ok(own, `${table.component}'s ${key}: ${variable} is neither ${table.envPrefix}* nor a shared, port or documented name`);
      const before = seen.get(variable);
      if (before)
        assert.equal(
          spec.type,
          before.type,
          `${variable} is a ${before.type} for ${before.table} but a ${spec.type} for ${table.component}`,
        );
      seen.set(variable, { table: table.component, type: spec.type });
    }
  }
  for (const retired of ['PAYWATCH_SCOPE_PROXY_PORT', 'SIMULATOR_BRANCHES', 'SIMULATOR_PORT', 'PAYWATCH_EMBEDDED_PORT'])
    assert.ok(!seen.has(retired), `${retired} is gone`);
});

test('the programs listen where the port table says by default', () => {
  assert.equal(PROXY.options.port!.default, PORTS.scopeProxy.port);
  assert.equal(PROXY.options.port!.env, PORTS.scopeProxy.env);
  assert.equal(SIMULATOR.options.port!.env, PORTS.api.env);
  assert.equal(SIMULATOR.options.databasePort!.default, PORTS.database.port);
  assert.equal(SIMULATOR.options.databasePort!.env, PORTS.database.env);
});

test("npm start's simulator start: its flag or the simulator's own variable, an ISO time or working-hours, handed on as written", () => {
  const parse = (argv: string[], env: Record<string, string> = {}) => parseStackConfig(argv, env) as StackConfig;
  assert.equal(parse([]).simulatorStart, undefined, 'by default the simulator starts where the history ends');
  assert.equal(parse(['--simulator-start', 'working-hours']).simulatorStart, 'working-hours');
  assert.equal(parse([], { PAYWATCH_SIMULATOR_START: '2026-03-16T11:00:00+05:30' }).simulatorStart, '2026-03-16T11:00:00+05:30');
  assert.equal(
    parse(['--simulator-start', 'working-hours'], { PAYWATCH_SIMULATOR_START: '2026-03-16T11:00:00+05:30' }).simulatorStart,
    'working-hours',
    'the flag wins',
  );
  assert.equal(envOf(STACK, 'simulatorStart'), envOf(SIMULATOR, 'start'), 'one variable for npm start and the simulator it starts');
});

// Each entry point, run as people run it, with one malformed or unknown setting.
const CASES: Array<{ program: string; args: string[]; env?: Record<string, string>; message: RegExp }> = [
  {
    program: 'exporters/src/main.ts',
    args: ['payments', '--database-url', 'postgres://x@127.0.0.1/db', '--poll-interval', '3000000'],
    message: /--poll-interval: expected at most 2147483 seconds/,
  },
  {
    program: 'exporters/src/main.ts',
    args: ['lms', '--lms-health-url', 'lms:8080'],
    env: { DATABASE_URL: 'postgres://x@127.0.0.1/db' },
    message: /--lms-health-url: expected an http:\/\/ or https:\/\/ URL/,
  },
  {
    program: 'simulator/src/main.ts',
    args: ['--branches', 'abc'],
    env: { DATABASE_URL: 'postgres://x@127.0.0.1/db' },
    message: /--branches: expected a whole number, got "abc"/,
  },
  {
    program: 'simulator/src/main.ts',
    args: [],
    env: { DATABASE_URL: 'postgres://x@127.0.0.1/db', PAYWATCH_SIMULATOR_SPEED: '60' },
    message: /unknown environment variable PAYWATCH_SIMULATOR_SPEED/,
  },
  {
    program: 'scope-proxy/src/main.ts',
    args: ['--policy', 'policy/policy.yml', '--upstream', '127.0.0.1:9090'],
    message: /--upstream: expected an http:\/\/ or https:\/\/ URL/,
  },
  { program: 'scope-proxy/src/main.ts', args: ['--port', '99999'], message: /--port: expected a port number/ },
  { program: 'stack/src/cli/start.ts', args: ['--branches', 'abc'], message: /^paywatch: --branches: expected a whole number, got "abc"/ },
  {
    program: 'stack/src/cli/start.ts',
    args: [],
    env: { PAYWATCH_SCOPE_PROXY_PORT: '9411' },
    message: /unknown environment variable PAYWATCH_SCOPE_PROXY_PORT/,
  },
  {
    program: 'stack/src/cli/start.ts',
    args: ['--database-url', 'localhost:5432'],
    message: /--database-url must start with postgres:\/\//,
  },
  {
    program: 'stack/src/cli/start.ts',
    args: ['--simulator-start', 'tomorrow'],
    message: /--simulator-start: expected an ISO 8601 time such as 2026-03-02T09:00:00\+05:30, or working-hours, got "tomorrow"/,
  },
  {
    program: 'stack/src/cli/start.ts',
    args: [],
    env: { PAYWATCH_SIMULATOR_START: 'after lunch' },
    message: /PAYWATCH_SIMULATOR_START: expected an ISO 8601 time .*, or working-hours, got "after lunch"/,
  },
  {
    program: 'stack/src/cli/start.ts',
    args: ['--database-url', 'postgres://x@127.0.0.1/db', '--simulator-start', 'working-hours'],
    message: /--simulator-start: there is no simulator to start with --database-url; drop it, or add --simulate/,
  },
  {
    program: 'simulator/src/main.ts',
    args: ['--start', 'noon'],
    env: { DATABASE_URL: 'postgres://x@127.0.0.1/db' },
    message: /--start: expected an ISO 8601 time such as 2026-03-02T09:00:00\+05:30, or working-hours, got "noon"/,
  },
  {
    program: 'stack/src/cli/backfill.ts',
    args: ['--branches', 'abc'],
    message: /^backfill: --branches: expected a whole number, got "abc"/,
  },
  { program: 'stack/src/cli/backfill.ts', args: ['--owner', 'nobody'], message: /--owner: expected UID:GID/ },
  { program: 'reports/src/main.ts', args: ['--smtp-url', 'mailpit:1025'], message: /--smtp-url: expected a smtp:\/\/ or smtps:\/\/ URL/ },
  {
    program: 'stack/src/cli/report.ts',
    args: ['--as', 'meera.bm', '--report', 'weekly', '--out', 'x.pdf'],
    message: /--report: expected one of executive-daily, branch-daily, finance-reconciliation, got "weekly"/,
  },
  {
    program: 'stack/src/cli/access-sync.ts',
    args: ['--grafana-url', 'grafana:3000'],
    message: /--grafana-url: expected an http:\/\/ or https:\/\/ URL/,
  },
];

for (const { program, args, env, message } of CASES) {
  test(`${program} ${args.join(' ')} ${env ? JSON.stringify(env) : ''}: exits 2 saying what to fix`, () => {
    // A clean environment: only PATH and what the case sets, so the machine's own settings do not leak in.
    const result = spawnSync(process.execPath, ['--import', 'tsx', program, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 2, `${result.stdout}${result.stderr}`);
    assert.match(`${result.stdout}${result.stderr}`, message);
  });
}
