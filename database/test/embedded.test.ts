import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '@paywatch/database/embedded';
import { createPool, migrationFiles, MIGRATIONS_DIR } from '@paywatch/database';

// One in-memory instance for the tests that do not need their own (PGlite takes seconds to start).
let shared: Promise<EmbeddedDatabase> | undefined;
const embeddedDatabase = () => (shared ??= startEmbeddedDatabase());
after(async () => {
  if (shared) await (await shared).stop();
});

// Several pools, as the simulator and the four exporters would have, hammering one embedded
// database with parameterised queries (extended protocol) and transactions at once.
test('the embedded database serves several pg pools at once, transactions intact', async (t) => {
  const embedded = await embeddedDatabase();
  const setup = createPool(embedded.url, { applicationName: 'setup', max: 1 });
  t.after(() => setup.end());
  const applied = await setup.query<{ name: string }>('SELECT name FROM paywatch_migrations ORDER BY name');
  assert.deepEqual(
    applied.rows.map((r) => r.name),
    migrationFiles(),
    'migrations applied at start',
  );
  await setup.query(
    `CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL); CREATE TABLE transfers (id serial PRIMARY KEY, who text, amount int)`,
  );
  await setup.query(`INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 10) g`);

  const pools = ['simulator', 'payments', 'lms', 'rfid', 'pool'].map((name) => createPool(embedded.url, { applicationName: name, max: 4 }));
  t.after(() => Promise.all(pools.map((p) => p.end())));
  const errors: string[] = [];
  let transfers = 0;
  let reads = 0;
  await Promise.all(
    pools.flatMap((pool, p) =>
      Array.from({ length: 60 }, async (_, i) => {
        try {
          if (i % 2) {
            const client = await pool.connect();
            try {
              await client.query('BEGIN');
              const from = 1 + ((i + p) % 10);
              const to = 1 + ((i * 7 + p + 3) % 10);
              await client.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [7, from]);
              await new Promise((resolve) => setTimeout(resolve, i % 3));
              await client.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [7, to]);
              await client.query('INSERT INTO transfers (who, amount) VALUES ($1, $2)', [`pool${p}`, 7]);
              await client.query('COMMIT');
              transfers++;
            } finally {
              client.release();
            }
          } else {
            const result = await pool.query<{ echo: number; total: number }>(
              'SELECT $1::int AS echo, (SELECT sum(balance) FROM accounts)::int AS total',
              [i * 100 + p],
            );
            assert.equal(result.rows[0]!.echo, i * 100 + p, 'each connection gets the answer to its own query');
            assert.equal(result.rows[0]!.total, 10_000, 'no reader sees half a transfer');
            reads++;
          }
        } catch (error) {
          errors.push((error as Error).message);
        }
      }),
    ),
  );
  assert.deepEqual(errors, []);
  assert.equal(transfers, 150);
  assert.equal(reads, 150);
  const totals = await setup.query<{ total: number; n: number }>(
    'SELECT (SELECT sum(balance) FROM accounts)::int AS total, (SELECT count(*) FROM transfers)::int AS n',
  );
  assert.deepEqual(totals.rows[0], { total: 10_000, n: 150 });
});

test('a client that disconnects inside a transaction is rolled back and does not block others', async (t) => {
  const embedded = await embeddedDatabase();
  const other = new pg.Client({ connectionString: embedded.url });
  await other.connect();
  t.after(() => other.end());
  await other.query('CREATE TABLE quitter_rows (v int)');

  const quitter = new pg.Client({ connectionString: embedded.url });
  await quitter.connect();
  await quitter.query('BEGIN');
  await quitter.query('INSERT INTO quitter_rows VALUES ($1)', [1]);
  const waiting = other.query<{ n: number }>('SELECT count(*)::int AS n FROM quitter_rows');
  (quitter as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  quitter.on('error', () => {});
  const result = await waiting;
  assert.equal(result.rows[0]!.n, 0, 'the unfinished transaction was rolled back');
  assert.equal(embedded.stats().waiting, 0);
});

test('another process uses the embedded database through plain pg', async () => {
  const embedded = await embeddedDatabase();
  const script = `
    import pg from 'pg';
    const pool = new pg.Pool({ connectionString: process.argv[1], max: 3 });
    const rows = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => pool.query('SELECT $1::int * 2 AS v', [i]).then((r) => r.rows[0].v)));
    const views = await pool.query("SELECT count(*)::int AS n FROM information_schema.views WHERE table_schema = 'paywatch'");
    console.log(JSON.stringify({ rows, views: views.rows[0].n }));
    await pool.end();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, embedded.url], {
    cwd: join(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  // Every contract view the migrations create (ten before issue 11's mandate registrations).
  const views = migrationFiles().reduce(
    (n, file) => n + (readFileSync(join(MIGRATIONS_DIR, file), 'utf8').match(/^CREATE VIEW paywatch\./gm)?.length ?? 0),
    0,
  );
  assert.ok(views >= 11);
  assert.deepEqual(JSON.parse(output), { rows: [2, 4, 6, 8, 10, 12], views });
});

test('the embedded database persists in its directory, refuses a second opener, and knows IST', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paywatch-embedded-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await startEmbeddedDatabase({ dataDir: dir });
  try {
    await assert.rejects(startEmbeddedDatabase({ dataDir: dir }), /already open/);
    const pool = createPool(first.url, { applicationName: 'test', max: 1 });
    await pool.query(`INSERT INTO branches (code, name, region) VALUES ($1, $2, $3)`, ['BR0001', 'Test branch', 'North']);
    const ist = await pool.query<{ local: string; day: string }>(
      `SELECT (timestamptz '2026-03-01 20:00:00+00' AT TIME ZONE 'Asia/Kolkata')::text AS local,
              (timestamptz '2026-03-01 20:00:00+00' AT TIME ZONE 'Asia/Kolkata')::date::text AS day`,
    );
    assert.deepEqual(ist.rows[0], { local: '2026-03-02 01:30:00', day: '2026-03-02' });
    await pool.end();
  } finally {
    await first.stop();
  }
  const second = await startEmbeddedDatabase({ dataDir: dir });
  t.after(() => second.stop());
  const pool = createPool(second.url, { applicationName: 'test', max: 1 });
  t.after(() => pool.end());
  const rows = await pool.query('SELECT branch, name FROM paywatch.branches');
  assert.deepEqual(rows.rows, [{ branch: 'BR0001', name: 'Test branch' }], 'data survived the restart');
  const migrations = await pool.query('SELECT count(*)::int AS n FROM paywatch_migrations');
  assert.equal(migrations.rows[0].n, migrationFiles().length, 'nothing re-applied');
});
