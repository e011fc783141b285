// Applies the SQL migrations in database/migrations in name order, each once, each in a
// transaction, recording what ran in paywatch_migrations.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

export function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((name) => /^\d+_[a-z0-9_]+\.sql$/.test(name))
    .sort();
}

/** Applies pending migrations; returns the names it applied. */
export async function migrate(client: pg.Pool | pg.Client, log: (line: string) => void = () => {}): Promise<string[]> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS paywatch_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const done = new Set((await client.query<{ name: string }>('SELECT name FROM paywatch_migrations')).rows.map((row) => row.name));
  const applied: string[] = [];
  for (const name of migrationFiles()) {
    if (done.has(name)) continue;
    const sql = readFileSync(join(MIGRATIONS_DIR, name), 'utf8');
    await client.query('BEGIN');
    try {
      await client.query(sql);
      await client.query('INSERT INTO paywatch_migrations (name) VALUES ($1)', [name]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw new Error(`migration ${name} failed: ${(error as Error).message}`);
    }
    log(`applied migration ${name}`);
    applied.push(name);
  }
  return applied;
}
