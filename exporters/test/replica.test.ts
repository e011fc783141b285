// A lagging replica, on real PostgreSQL: a second cluster as a hot-standby streaming replica
// (recovery_min_apply_delay 1 s) of a primary, both started here with Debian's PostgreSQL 15
// binaries on free ports (as the postgres user when the tests run as root). The exporter reads
// through a TCP proxy the test switches from the primary to the replica, as a failover or a
// load balancer would. Replay is paused on the replica (pg_wal_replay_pause) to make it lag by as
// much as the test wants, deterministically: no timed assertion.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { migrate } from '@paywatch/database';
import { freePort, waitFor } from '@paywatch/runtime';
import { startExporter } from '../src/index.ts';
import { cleanups, scrape, seedReferenceData, type Sample } from './fixtures.ts';

const BIN = process.env.PAYWATCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const root = process.getuid?.() === 0;

/** Runs a PostgreSQL program as the postgres user when we are root (the server refuses root). */
function run(program: string, args: string[]): void {
  const [command, argv] = root ? ['runuser', ['-u', 'postgres', '--', join(BIN, program), ...args]] : [join(BIN, program), args];
  const result = spawnSync(command, argv, { encoding: 'utf8' });
  assert.equal(result.status, 0, `${program} ${args.join(' ')}:\n${result.stdout}${result.stderr}`);
}

/** A TCP proxy whose target can be switched; switching drops the connections it carries. */
async function switchableProxy(target: number) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    switchTo(port: number) {
      target = port;
      for (const socket of sockets) socket.destroy();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const total = (samples: Sample[], name: string) => samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);
const one = (samples: Sample[], name: string) => samples.find((s) => s.name === name)?.value;

test(
  'a lagging replica: failover to it waits (source_behind), nothing counted twice or lost when it catches up',
  {
    skip: existsSync(join(BIN, 'pg_basebackup')) ? false : `no PostgreSQL binaries in ${BIN} (set PAYWATCH_PG_BIN)`,
  },
  async (t) => {
    const defer = cleanups(t);
    const dir = mkdtempSync(join(tmpdir(), 'paywatch-replica-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    if (root)
      chownSync(
        dir,
        Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout),
        Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout),
      );
    const [primaryPort, replicaPort] = [await freePort(), await freePort()];
    const options = (port: number, extra: string) => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ${extra}`;

    run('initdb', ['-D', join(dir, 'primary'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    run('pg_ctl', [
      '-D',
      join(dir, 'primary'),
      '-o',
      options(primaryPort, '-c wal_level=replica -c max_wal_senders=4'),
      '-l',
      join(dir, 'primary.log'),
      '-w',
      'start',
    ]);
    defer(() => run('pg_ctl', ['-D', join(dir, 'primary'), '-m', 'immediate', 'stop']));
    run('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      join(dir, 'replica'),
      '-R',
      '-X',
      'stream',
      '--no-sync',
    ]);
    run('pg_ctl', [
      '-D',
      join(dir, 'replica'),
      '-o',
      options(replicaPort, '-c hot_standby=on -c recovery_min_apply_delay=1s'),
      '-l',
      join(dir, 'replica.log'),
      '-w',
      'start',
    ]);
    defer(() => run('pg_ctl', ['-D', join(dir, 'replica'), '-m', 'immediate', 'stop']));

    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${primaryPort}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE payments');
    await admin.end();
    const primary = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${primaryPort}/payments`, max: 2 });
    primary.on('error', () => {});
    defer(() => primary.end());
    const replica = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${replicaPort}/payments`, max: 2 });
    replica.on('error', () => {});
    await migrate(primary);
    await seedReferenceData(primary);
    const caughtUp = async () => {
      const lsn = (await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
      await waitFor(
        async () => {
          try {
            return (await replica.query<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn])).rows[0]!.ok;
          } catch {
            return false; // the database not replayed yet
          }
        },
        { timeoutMs: 120_000, intervalMs: 100, what: 'the replica to replay up to the primary' },
      );
    };
    await caughtUp();
    defer(() => replica.end());

    const proxy = await switchableProxy(primaryPort);
    defer(() => proxy.close());
    const exporter = await startExporter('payments', {
      databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/payments`,
      port: 0,
      pollIntervalSeconds: 3600,
      log: () => {},
    });
    defer(() => exporter.stop());
    const pay = (n: number, minutesLate: number) =>
      primary.query(
        `INSERT INTO payments (branch, channel, status, amount_inr, loan_ref, created_at, completed_at)
       SELECT 'BR0001', 'upi', 'success', 100, 'LN-R', now() - make_interval(mins => $2 + 1), now() - make_interval(mins => $2)
       FROM generate_series(1, $1)`,
        [n, minutesLate],
      );
    const pollUntilUp = async () => {
      // After the proxy dropped the pool's connections, a poll may pick one of them and fail: the
      // next one connects again.
      for (let i = 0; i < 5 && !(await exporter.poll()); i++);
      assert.equal(exporter.sourceUp(), true);
    };

    await pay(3, 10);
    await pollUntilUp();
    assert.equal(total(await scrape(exporter.url), 'payments_total'), 3);

    // The replica stops replaying; the primary takes two more payments, which the exporter counts.
    await replica.query('SELECT pg_wal_replay_pause()');
    await waitFor(async () => (await replica.query<{ s: string }>('SELECT pg_get_wal_replay_pause_state() AS s')).rows[0]!.s === 'paused', {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'replay paused',
    });
    await pay(2, 0);
    await pollUntilUp();
    assert.equal(total(await scrape(exporter.url), 'payments_total'), 5);

    // Failover to the replica, which has not replayed those two: counting waits, nothing goes down.
    proxy.switchTo(replicaPort);
    await pollUntilUp();
    let samples = await scrape(exporter.url);
    assert.equal(one(samples, 'paywatch_exporter_source_behind'), 1);
    assert.equal(total(samples, 'payments_total'), 5, 'no counter went down, none counted twice');
    // One more payment, committed 10 minutes after its completed_at, while the replica lags.
    await pay(1, 10);
    await pollUntilUp();
    assert.equal(total(await scrape(exporter.url), 'payments_total'), 5);

    // The replica catches up: the late payment is counted once, the two it had missed are not recounted.
    await replica.query('SELECT pg_wal_replay_resume()');
    await caughtUp();
    await pollUntilUp();
    await pollUntilUp();
    samples = await scrape(exporter.url);
    assert.equal(one(samples, 'paywatch_exporter_source_behind'), 0);
    assert.equal(total(samples, 'payments_total'), 6);
    assert.equal(total(samples, 'payment_amount_total'), 600);
    const truth = (await primary.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments WHERE status <> 'pending'`)).rows[0]!.n;
    assert.equal(truth, 6);
  },
);
