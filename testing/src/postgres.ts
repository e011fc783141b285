// A fresh, migrated database on the machine's real PostgreSQL server for each test, dropped after.
// When the server cannot be reached the test fails with a message saying how to start one.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '@paywatch/database';

export const ADMIN_URL = process.env.PAYWATCH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const HOW_TO_START =
  'Start PostgreSQL (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) ' +
  'or point PAYWATCH_TEST_DATABASE_URL at a server whose user may CREATE DATABASE.';

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  name: string;
  /** A pool on the new database, closed by drop(). */
  pool: pg.Pool;
  drop(): Promise<void>;
}

async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL} (${(error as Error).message}). ${HOW_TO_START}`);
  }
  return client;
}

/** Creates an empty database; `migrated` (default true) applies Paywatch's migrations to it. */
export async function createTestDatabase(label: string, { migrated = true } = {}): Promise<TestDatabase> {
  const name = `pw_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = await adminClient();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  // An idle client whose backend is terminated (an outage test, a DROP ... WITH (FORCE)) emits
  // 'error' on the pool; without a listener that would crash the whole test process.
  pool.on('error', () => {});
  if (migrated) await migrate(pool);
  let dropped = false;
  return {
    url: url.toString(),
    name,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end();
      const client = await adminClient();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
