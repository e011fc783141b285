// The PostgreSQL server `npm test` runs its database tests against. A machine with a server at
// 127.0.0.1:5432 that lets `postgres` in (or PAYWATCH_TEST_DATABASE_URL naming one) is used as it
// is. Otherwise this installs Debian's `postgresql` when it is missing (as root, with apt), starts
// a throwaway cluster of its own on 127.0.0.1:5432 (trust for local TCP only, fsync off: test data
// only), creates the `test` database the tests connect to, and stops and deletes it afterwards.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestPostgres {
  /** The admin URL the tests use (their PAYWATCH_TEST_DATABASE_URL). */
  url: string;
  /** Stops and deletes the cluster when this run started it; otherwise does nothing. */
  stop(): void;
}

async function answers(url: string): Promise<true | string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** The bin directory of the newest PostgreSQL Debian has installed, if any. */
function debianBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl')) && existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

function installDebianPostgres(log: (line: string) => void): void {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || spawnSync('sh', ['-c', 'command -v apt-get']).status !== 0) return;
  log('installing Debian package postgresql (apt-get) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], { stdio: 'inherit', env });
  if (result.status !== 0) log(`apt-get install postgresql failed (exit ${result.status})`);
}

/** Runs a PostgreSQL program as the `postgres` user when we are root (the server refuses root). */
function runAsOwner(command: string, args: string[]): { status: number | null; output: string } {
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' })
    : spawnSync(command, args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

async function freePort(from: number): Promise<number> {
  for (let port = from; port < from + 100; port++) if (!(await portOpen(port))) return port;
  throw new Error(`no free port in ${from}-${from + 99} for the test PostgreSQL`);
}

export const HOW_TO_START_POSTGRES =
  "Install Debian's postgresql (apt-get install postgresql) and run npm test as root, which starts a cluster by itself; " +
  'or start a server on 127.0.0.1:5432 that lets user postgres in over TCP, or set PAYWATCH_TEST_DATABASE_URL ' +
  'to a server whose user may CREATE DATABASE.';

/** Makes sure the tests have a PostgreSQL server; see the top of this file. */
export async function ensureTestPostgres(log: (line: string) => void): Promise<TestPostgres> {
  const configured = process.env.PAYWATCH_TEST_DATABASE_URL;
  if (configured) {
    const ok = await answers(configured);
    if (ok !== true) throw new Error(`PAYWATCH_TEST_DATABASE_URL does not answer (${ok}). ${HOW_TO_START_POSTGRES}`);
    log(`PostgreSQL: using PAYWATCH_TEST_DATABASE_URL`);
    return { url: configured, stop() {} };
  }
  if ((await answers(DEFAULT_URL)) === true) {
    log('PostgreSQL: using the server already running at 127.0.0.1:5432');
    return { url: DEFAULT_URL, stop() {} };
  }

  let bin = debianBinDir();
  if (!bin) {
    installDebianPostgres(log);
    bin = debianBinDir();
  }
  if (!bin) throw new Error(`no PostgreSQL server is installed. ${HOW_TO_START_POSTGRES}`);

  // 5432 as the tests expect; when something else holds it (a server that does not let us in),
  // the next free port, handed to the tests through PAYWATCH_TEST_DATABASE_URL.
  const port = (await portOpen(5432)) ? await freePort(55432) : 5432;
  const dir = mkdtempSync(join(tmpdir(), 'paywatch-test-postgres-'));
  if (process.getuid?.() === 0) {
    const owner = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (owner.status !== 0)
      throw new Error("running as root, but there is no `postgres` user to run the server as (install Debian's postgresql)");
    chownSync(dir, Number(owner.stdout.trim()), Number(group.stdout.trim()));
  }
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const started = Date.now();
  log(`PostgreSQL: none at 127.0.0.1:5432; starting a throwaway cluster (${bin}) on 127.0.0.1:${port} in ${dir}`);
  const init = runAsOwner(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.output}`);
  const options = [
    `-c listen_addresses=127.0.0.1`,
    `-c port=${port}`,
    `-c unix_socket_directories=${dir}`,
    '-c max_connections=300',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c wal_level=replica',
    '-c max_wal_senders=10',
  ].join(' ');
  const start = runAsOwner(join(bin, 'pg_ctl'), ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
  const stop = () => {
    runAsOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  };
  if (start.status !== 0) {
    const serverLog = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    stop();
    throw new Error(`PostgreSQL did not start:\n${start.output}\n${serverLog}`);
  }
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE test');
  await admin.end();
  const url = `postgres://postgres@127.0.0.1:${port}/test`;
  log(`PostgreSQL: ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s (stopped and deleted when the tests end)`);
  return { url, stop };
}
