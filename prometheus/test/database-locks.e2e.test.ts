// The database-server alerts on the real PostgreSQL: postgres_exporter (with Paywatch's extra
// queries) watches a fresh database, a real Prometheus scrapes it every second and evaluates a test
// copy of the generated DatabaseLockWaits and DatabaseLongTransaction rules. The exporter connects
// as the read-only monitoring role compose creates (docker/postgres/monitoring-role.sh, its SQL run
// here under a role name of the test's own): pg_monitor is enough to see other roles' lock waits
// and transactions. One session holds a
// lock in an open transaction, another waits for it: both alerts fire; the holder commits, the
// waiter goes on, both resolve.
//
// Time-scaled: the test copy multiplies each rule's `for` and its thresholds in seconds by SCALE
// (a 60 s lock wait for 1 min becomes 1.2 s for 1.2 s), built by the same code as the committed
// rules (alertRule) from the same definitions.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { stringify } from 'yaml';
import { JOBS } from '@paywatch/contract';
import { alertByName, alertRule, postgresExporterQueriesYaml, prometheusConfigYaml } from '@paywatch/kpi';
import { promQuery, startPostgresExporter, startPrometheus, waitFor, type RunningServer } from '@paywatch/runtime';
import { ADMIN_URL, createTestDatabase } from '@paywatch/testing';

const SCALE = 0.02;

/** The monitoring role's SQL, as compose's database runs it once (psql's :'monitor_password' included). */
function monitoringRoleSql(role: string, password: string): string {
  const script = readFileSync(join(import.meta.dirname, '..', '..', 'docker', 'postgres', 'monitoring-role.sh'), 'utf8');
  const sql = /<<'SQL'\n([\s\S]*?)\nSQL\n/.exec(script)?.[1];
  assert.ok(sql, "docker/postgres/monitoring-role.sh has its SQL in a <<'SQL' here-document");
  return sql.replaceAll('paywatch_monitor', role).replaceAll(":'monitor_password'", `'${password}'`);
}

/** Runs SQL statements one by one as the test server's administrator. */
async function asAdmin(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    for (const statement of sql
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean))
      await admin.query(statement);
  } finally {
    await admin.end();
  }
}
const ALERTS = ['DatabaseLockWaits', 'DatabaseLongTransaction'] as const;

const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

/** The generated rules of the two alerts, every `for` and every threshold (seconds) × SCALE. */
function scaledRules(): string {
  const rules = ALERTS.flatMap((name) => {
    const alert = alertByName(name);
    return alert.levels.map((level) => alertRule(alert, { ...level, threshold: level.threshold! * SCALE }, { forScale: SCALE }));
  });
  return stringify({ groups: [{ name: 'database-locks-test', rules }] });
}

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

async function alerts(prometheus: RunningServer): Promise<PromAlert[]> {
  const response = await fetch(`${prometheus.url}/api/v1/alerts`);
  return ((await response.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
}

const firing = (list: PromAlert[], name: string, severity: string) =>
  list.some((a) => a.labels.alertname === name && a.labels.severity === severity && a.state === 'firing');

test(
  'a lock held in an open transaction fires DatabaseLockWaits and DatabaseLongTransaction on the real server; they resolve when it commits',
  {
    timeout: 180_000,
  },
  async () => {
    // Roles are the whole server's: a name of this run's own, dropped last.
    const monitor = `pw_monitor_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await asAdmin(monitoringRoleSql(monitor, password));
    cleanup.push(() => asAdmin(`DROP ROLE IF EXISTS ${monitor}`));
    const db = await createTestDatabase('db_locks_e2e', { migrated: false });
    cleanup.push(() => db.drop());
    const monitorUrl = new URL(db.url);
    monitorUrl.username = monitor;
    monitorUrl.password = password;
    await db.pool.query('CREATE TABLE receipts (id int PRIMARY KEY, amount numeric)');
    await db.pool.query('INSERT INTO receipts VALUES (1, 100)');

    const dir = mkdtempSync(join(tmpdir(), 'paywatch-db-locks-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const logs: string[] = [];
    const exporter = await startPostgresExporter({
      databaseUrl: monitorUrl.href,
      dir: join(dir, 'exporter'),
      queries: postgresExporterQueriesYaml(),
      onOutput: (line) => logs.push(line),
    });
    cleanup.push(() => exporter.stop());

    const jobs = Object.values(JOBS).map((j) => j.name);
    const prometheus = await startPrometheus({
      dir: join(dir, 'prometheus'),
      config: prometheusConfigYaml({
        targets: { postgres: `127.0.0.1:${exporter.port}`, alertmanager: '127.0.0.1:1' },
        scrapeInterval: '1s',
        evaluationInterval: '1s',
        omitJobs: jobs.filter((name) => name !== JOBS.postgres.name),
        ruleFiles: ['rules/*.yml'],
      }),
      files: { 'rules/database-locks.yml': scaledRules() },
    });
    cleanup.push(() => prometheus.stop());

    // Scraped, connected, and quiet: no lock waits, no old transaction, no alert.
    await waitFor(
      async () =>
        (await promQuery(prometheus.url, `up{job="${JOBS.postgres.name}"} == 1`)).length === 1 &&
        (await promQuery(prometheus.url, 'pg_up == 1')).length === 1 &&
        (await promQuery(prometheus.url, 'pg_lock_waits_sessions == 0')).length === 1,
      { timeoutMs: 30_000, what: `postgres_exporter scraped and connected; its log:\n${logs.join('\n')}` },
    );
    assert.deepEqual(
      (await alerts(prometheus)).map((a) => a.labels.alertname),
      [],
      'nothing fires before the lock',
    );

    // One session takes the receipt's row lock and keeps its transaction open; another wants it.
    const holder = new pg.Client({ connectionString: db.url, application_name: 'paywatch-test-holder' });
    const waiter = new pg.Client({ connectionString: db.url, application_name: 'paywatch-test-waiter' });
    await holder.connect();
    await waiter.connect();
    cleanup.push(() => holder.end());
    cleanup.push(() => waiter.end());
    await holder.query('BEGIN');
    await holder.query('UPDATE receipts SET amount = 200 WHERE id = 1');
    const blocked = waiter.query('UPDATE receipts SET amount = 300 WHERE id = 1');

    await waitFor(
      async () => {
        const list = await alerts(prometheus);
        return firing(list, 'DatabaseLockWaits', 'warning') && firing(list, 'DatabaseLongTransaction', 'warning');
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'DatabaseLockWaits and DatabaseLongTransaction to fire' },
    );
    const waits = await promQuery(prometheus.url, 'pg_lock_waits_sessions');
    assert.equal(waits[0]?.value[1], '1', 'one session waits for the lock');
    const lockAlert = (await alerts(prometheus)).find((a) => a.labels.alertname === 'DatabaseLockWaits')!;
    assert.equal(lockAlert.labels.incident_class, 'Sev3');
    assert.equal(lockAlert.labels.category, 'database');

    // The holder commits: the waiter goes on, nothing is old or waiting any more.
    await holder.query('COMMIT');
    await blocked;
    await waitFor(
      async () => {
        const list = await alerts(prometheus);
        return !list.some((a) => (ALERTS as readonly string[]).includes(a.labels.alertname!));
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'both alerts to resolve after the commit' },
    );
    const { rows } = await db.pool.query<{ amount: string }>('SELECT amount FROM receipts WHERE id = 1');
    assert.equal(rows[0]!.amount, '300', "the waiter's update ran after the holder's");
  },
);
