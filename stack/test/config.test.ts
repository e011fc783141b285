// npm start's options: every port from its variable or flag (the flag wins), clashes refused,
// DATABASE_URL switching off the simulator and the simulated history.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStackConfig, PORTS, DEMO_PROXY_SECRET, type StackConfig } from '../src/config.ts';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseStackConfig(argv, env) as StackConfig;

test('defaults: the documented ports, the embedded database with the simulator and 30 days of history', () => {
  const config = parse([], { PAYWATCH_DATA_DIR: '/tmp/x' });
  assert.equal(config.ports.prometheus, 9090);
  assert.equal(config.ports.scopeProxy, 9410);
  assert.equal(config.ports.payments, 9401);
  assert.equal(config.dataDir, '/tmp/x');
  assert.equal(config.simulate, true);
  assert.equal(config.backfillDays, 30);
  assert.equal(config.proxySecret, DEMO_PROXY_SECRET);
  for (const spec of Object.values(PORTS)) assert.match(spec.env, /^PAYWATCH_[A-Z_]+_PORT$/);
});

test('every port is configurable by variable and by flag; the flag wins', () => {
  const config = parse(['--prometheus-port', '19090'], { PAYWATCH_PROMETHEUS_PORT: '29090', PAYWATCH_GRAFANA_PORT: '13000' });
  assert.equal(config.ports.prometheus, 19090);
  assert.equal(config.ports.grafana, 13000);
  assert.throws(() => parse([], { PAYWATCH_API_PORT: 'abc' }), /PAYWATCH_API_PORT/);
  assert.throws(() => parse([], { PAYWATCH_API_PORT: '9090' }), /port 9090 is given to both/);
  assert.throws(() => parse(['--no-such-flag']), /unknown option "--no-such-flag"/);
});

test('DATABASE_URL: no simulator and no simulated history unless asked', () => {
  const config = parse([], { DATABASE_URL: 'postgres://reader@db:5432/payments' });
  assert.equal(config.databaseUrl, 'postgres://reader@db:5432/payments');
  assert.equal(config.simulate, false);
  assert.equal(config.backfillDays, 0);
  assert.equal(parse(['--simulate'], { DATABASE_URL: 'postgres://x@db/p' }).simulate, true);
});

test('--help is answered', () => {
  assert.equal(parseStackConfig(['--help'], {}), 'help');
});

test('with nothing configured the data directory is .data/ in the clone, and process.env is left alone', async () => {
  const { repoRoot } = await import('../src/paths.ts');
  const { join } = await import('node:path');
  const saved = process.env.PAYWATCH_DATA_DIR;
  delete process.env.PAYWATCH_DATA_DIR;
  try {
    const config = parseStackConfig([], process.env) as StackConfig;
    assert.equal(config.dataDir, join(repoRoot, '.data'));
    assert.equal(process.env.PAYWATCH_DATA_DIR, undefined, 'parsing must not write PAYWATCH_DATA_DIR ("undefined/" bug)');
    assert.equal((parseStackConfig(['--data-dir', '/tmp/pw-flag'], process.env) as StackConfig).dataDir, '/tmp/pw-flag');
  } finally {
    if (saved !== undefined) process.env.PAYWATCH_DATA_DIR = saved;
  }
});
