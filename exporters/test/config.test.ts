// Bad configuration stops an exporter at start with a message saying what to fix.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { EXPORTER_NODE_OPTIONS, freePort, prebuiltEntry, repoRoot, startService, waitFor } from '@paywatch/runtime';
import { acceptsGzip } from '../src/core/exporter.ts';
import { ConfigError, parseCommandLine, startExporter } from '../src/index.ts';
import { cleanups, testDatabase } from './fixtures.ts';

const quiet = () => {};
const URL_OK = 'postgres://paywatch@127.0.0.1:5432/payments';

test('command line and environment', async (t) => {
  await t.test('a good command line', () => {
    const { name, options } = parseCommandLine(['payments', '--database-url', URL_OK, '--port=9411', '--poll-interval', '2.5'], {});
    assert.equal(name, 'payments');
    assert.deepEqual(options, { databaseUrl: URL_OK, port: 9411, pollIntervalSeconds: 2.5 });
  });
  await t.test('the environment, and flags win over it', () => {
    const { options } = parseCommandLine(['lms', '--port', '9500'], {
      DATABASE_URL: URL_OK,
      PAYWATCH_EXPORTER_PORT: '9402',
      PAYWATCH_EXPORTER_SAFETY_LAG_SECONDS: '0',
      LMS_HEALTH_URL: 'http://127.0.0.1:9400/lms/health',
      RFID_READER_TIMEOUT_SECONDS: '60', // another exporter's setting in a shared environment: ignored
    });
    assert.deepEqual(options, { databaseUrl: URL_OK, port: 9500, safetyLagSeconds: 0, lmsHealthUrl: 'http://127.0.0.1:9400/lms/health' });
  });

  const rejects: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['no exporter named', [], { DATABASE_URL: URL_OK }, /which exporter\? expected one of payments, lms, rfid, pool/],
    ['an unknown exporter', ['loans'], { DATABASE_URL: URL_OK }, /which exporter\?.*got "loans"/],
    ['an unknown option', ['payments', '--databse-url', URL_OK], {}, /unknown option "--databse-url"/],
    [
      'an unknown environment variable of ours',
      ['payments'],
      { DATABASE_URL: URL_OK, PAYWATCH_EXPORTER_POLL_INTERVAL: '5' },
      /unknown environment variable PAYWATCH_EXPORTER_POLL_INTERVAL: known ones are .*PAYWATCH_EXPORTER_POLL_INTERVAL_SECONDS/,
    ],
    ['no database', ['rfid'], {}, /no database: set DATABASE_URL or --database-url/],
    ['a database URL that is not a URL', ['pool', '--database-url', 'localhost:5432'], {}, /--database-url must start with postgres:\/\//],
    ['a database URL of another kind', ['pool'], { DATABASE_URL: 'mysql://x@y/z' }, /DATABASE_URL must start with postgres:\/\//],
    ['a database URL without a database', ['pool'], { DATABASE_URL: 'postgres://x@127.0.0.1:5432' }, /names no database/],
    ['a bad port', ['payments', '--database-url', URL_OK, '--port', '94O1'], {}, /--port: expected a port number 0-65535, got "94O1"/],
    [
      'a negative poll interval',
      ['payments', '--poll-interval', '-1'],
      { DATABASE_URL: URL_OK },
      /--poll-interval: expected a number of seconds/,
    ],
    [
      'a zero poll interval',
      ['payments', '--poll-interval', '0'],
      { DATABASE_URL: URL_OK },
      /--poll-interval: expected more than 0 seconds/,
    ],
    [
      "another exporter's option",
      ['payments', '--lms-health-url', 'http://x/health'],
      { DATABASE_URL: URL_OK },
      /--lms-health-url applies to the lms exporter only, not payments/,
    ],
    [
      'a bad LMS health URL',
      ['lms', '--lms-health-url', 'lms:8080'],
      { DATABASE_URL: URL_OK },
      /--lms-health-url: expected an http:\/\/ or https:\/\/ URL/,
    ],
    ['an option without a value', ['payments', '--port'], { DATABASE_URL: URL_OK }, /--port needs a value/],
  ];
  for (const [what, argv, env, message] of rejects) {
    await t.test(`rejects ${what}`, () => {
      assert.throws(
        () => parseCommandLine(argv, env),
        (error: Error) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }
});

test('in-process options are checked the same way', async () => {
  await assert.rejects(
    startExporter('payments', { databaseUrl: URL_OK, pollIntervall: 5 } as never),
    /unknown exporter option "pollIntervall"/,
  );
  await assert.rejects(startExporter('payments', { databaseUrl: 'http://x/y' }), /databaseUrl must start with postgres:\/\//);
  await assert.rejects(
    startExporter('rfid', { databaseUrl: URL_OK, lmsHealthUrl: 'http://x/health' }),
    /lmsHealthUrl applies to the lms exporter only/,
  );
});

test('a database without the contract views: names the view and how to get it', async (t) => {
  const defer = cleanups(t);
  const empty = await testDatabase('exporter_noviews', { migrated: false });
  defer(() => empty.drop());
  await assert.rejects(
    startExporter('payments', { databaseUrl: empty.url, port: 0, log: quiet }),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message ===
        'payments exporter: view paywatch.clock not found: run the migrations (database/migrations) or create the view described in docs/schema.md',
  );
  // With the business clock in place, the first domain view missing is named.
  await empty.pool.query(`CREATE SCHEMA paywatch; CREATE VIEW paywatch.clock AS SELECT now() AS now`);
  await assert.rejects(
    startExporter('payments', { databaseUrl: empty.url, port: 0, log: quiet }),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message ===
        'payments exporter: view paywatch.payments not found: run the migrations (database/migrations) or create the view described in docs/schema.md',
  );
  // A customer view missing a column the exporter reads.
  await empty.pool.query(
    `CREATE VIEW paywatch.lms_postings AS SELECT 1 AS id, 'BR0001'::text AS branch, 'pending'::text AS status, now() AS enqueued_at`,
  );
  await assert.rejects(
    startExporter('lms', { databaseUrl: empty.url, port: 0, log: quiet }),
    /view paywatch\.lms_postings has no column finished_at: give it the columns described in docs\/schema\.md/,
  );
});

test('a database that does not exist, and a port in use', async (t) => {
  const defer = cleanups(t);
  const db = await testDatabase('exporter_badconfig');
  defer(() => db.drop());
  const missing = new URL(db.url);
  missing.pathname = '/no_such_database_here';
  await assert.rejects(
    startExporter('rfid', { databaseUrl: missing.toString(), port: 0, log: quiet }),
    /rfid exporter: the database does not exist: check the database name in DATABASE_URL/,
  );

  const busy = createServer().listen(0, '127.0.0.1');
  await once(busy, 'listening');
  defer(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  await assert.rejects(
    startExporter('pool', { databaseUrl: db.url, port, log: quiet }),
    new RegExp(`pool exporter: port ${port} on 127.0.0.1 is in use: choose another with --port`),
  );
});

test('the command line exits with status 2 and the message', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'exporters/src/main.ts', 'payments', '--port', '9401', '--verbose'], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: URL_OK },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /unknown option "--verbose"/);
  assert.match(result.stderr, /usage: tsx exporters\/src\/main\.ts <payments\|lms\|rfid\|pool>/);
});

test('the command line serves, and stops cleanly on SIGTERM (run as the launchers run it: the prebuilt bundle)', async (t) => {
  const defer = cleanups(t);
  const db = await testDatabase('exporter_cli');
  defer(() => db.drop());
  const port = await freePort();
  const service = await startService({
    name: 'payments exporter',
    command: process.execPath,
    args: [await prebuiltEntry(join(repoRoot, 'exporters', 'src', 'main.ts')), 'payments', '--port', String(port), '--poll-interval', '1'],
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: db.url },
    readyUrl: `http://127.0.0.1:${port}/healthz`,
  });
  defer(() => service.stop());
  // It serves at once (source_up 0) and loads the totals behind that: wait for its first poll.
  await waitFor(async () => ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { polls: number }).polls > 0, {
    timeoutMs: 60_000,
    intervalMs: 100,
    what: 'the first poll',
  });
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(text, /# TYPE payments_total counter/);
  assert.match(text, /paywatch_exporter_source_up\{exporter="payments"\} 1/);
  // Asked for gzip as Prometheus asks, it answers gzip that unzips to the same families.
  const zipped = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) =>
    httpGet(`http://127.0.0.1:${port}/metrics`, { headers: { 'Accept-Encoding': 'gzip' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ encoding: response.headers['content-encoding'], body: Buffer.concat(chunks) }));
    }).on('error', reject),
  );
  assert.equal(zipped.encoding, 'gzip');
  const counted = (exposition: string) =>
    exposition.split('\n').filter((line) => line.startsWith('paywatch_exporter_row_lateness_seconds') || line.startsWith('payments_total'));
  assert.deepEqual(counted(gunzipSync(zipped.body).toString()), counted(text));
  assert.ok(counted(text).length > 0);
  assert.equal((await fetch(`http://127.0.0.1:${port}/nothing`)).status, 404);
  await service.stop();
  assert.equal(await service.exited, 0, service.output());
  assert.match(service.output(), /payments exporter: serving http:\/\/127\.0\.0\.1:\d+\/metrics/);
});

test('faults found by probing: each message names the real cause, and no password is printed', async (t) => {
  await t.test('an invalid DATABASE_URL is reported without its password', () => {
    assert.throws(
      () => parseCommandLine(['payments'], { DATABASE_URL: 'postgres://paywatch:s3cret-pw@db host:5432/payments' }),
      (error: Error) => error instanceof ConfigError && !error.message.includes('s3cret-pw') && /\*\*\*/.test(error.message),
    );
  });
  await t.test('a poll interval beyond what a timer holds (2,147,483 s) is refused, not run as a 1 ms loop', () => {
    assert.throws(
      () => parseCommandLine(['payments', '--poll-interval', '2147484'], { DATABASE_URL: URL_OK }),
      (error: Error) => error instanceof ConfigError && /--poll-interval/.test(error.message),
    );
  });

  const defer = cleanups(t);
  const db = await testDatabase('exporter_clock_faults');
  defer(() => db.drop());
  await t.test('a clock view with no rows: the message names the clock, and the database is not blamed', async () => {
    await db.pool.query(`CREATE OR REPLACE VIEW paywatch.clock AS SELECT now() AS now WHERE false`);
    const lines: string[] = [];
    const exporter = await startExporter('payments', {
      databaseUrl: db.url,
      port: 0,
      pollIntervalSeconds: 3600,
      log: (l) => lines.push(l),
    });
    defer(() => exporter.stop());
    assert.equal(exporter.sourceUp(), false);
    assert.ok(
      lines.some((line) => /poll failed: paywatch\.clock returned 0 rows: it must return exactly one row/.test(line)),
      lines.join('\n'),
    );
    assert.ok(!lines.some((line) => /database unavailable/.test(line)), lines.join('\n'));
    await db.pool.query(`CREATE OR REPLACE VIEW paywatch.clock AS SELECT now() AS now`);
    assert.equal(await exporter.poll(), true, 'back once the view is fixed');
  });
  await t.test('a clock column of the wrong type names the column and the type it needs', async () => {
    await db.pool.query(`DROP VIEW paywatch.clock; CREATE VIEW paywatch.clock AS SELECT localtimestamp AS now`);
    await assert.rejects(
      startExporter('payments', { databaseUrl: db.url, port: 0, log: quiet }),
      (error: Error) => error instanceof ConfigError && /column now of view paywatch\.clock is not a timestamptz/.test(error.message),
    );
  });
});

test('every way of starting an exporter sets its V8 flags (EXPORTER_NODE_OPTIONS)', () => {
  // The flag only acts from the process's command line or NODE_OPTIONS, so each launcher sets it:
  // the local stack and the benchmark through withNodeOptions(), compose and the npm script here.
  const compose = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
  for (const name of ['payments', 'lms', 'rfid', 'pool']) {
    const service = new RegExp(`\\n  exporter-${name}:\\n((?:    .*\\n|      .*\\n)+)`).exec(compose)?.[1] ?? '';
    assert.match(service, new RegExp(`\\n      NODE_OPTIONS: ${EXPORTER_NODE_OPTIONS}\\n`), `docker-compose.yml exporter-${name}`);
  }
  const scripts = JSON.parse(readFileSync(join(repoRoot, 'exporters', 'package.json'), 'utf8')).scripts as Record<string, string>;
  assert.match(scripts.start!, new RegExp(`^NODE_OPTIONS=${EXPORTER_NODE_OPTIONS} tsx `));
  for (const launcher of ['stack/src/launch.ts', 'bench/exporters.ts']) {
    assert.match(readFileSync(join(repoRoot, launcher), 'utf8'), /withNodeOptions\(EXPORTER_NODE_OPTIONS\)/, launcher);
    // ... and runs the prebuilt bundle, not tsx (served within 2 s of start).
    assert.match(readFileSync(join(repoRoot, launcher), 'utf8'), /prebuiltEntry\(/, launcher);
  }
});

test('Accept-Encoding: gzip as Prometheus sends it is taken; q=0 and other codings are not', () => {
  assert.equal(acceptsGzip('gzip'), true);
  assert.equal(acceptsGzip('gzip, deflate, br'), true);
  assert.equal(acceptsGzip('deflate, GZIP;q=0.5'), true);
  assert.equal(acceptsGzip('*'), true);
  assert.equal(acceptsGzip(undefined), false);
  assert.equal(acceptsGzip('identity'), false);
  assert.equal(acceptsGzip('gzip;q=0'), false);
  assert.equal(acceptsGzip('br, gzip; q=0.0'), false);
});
