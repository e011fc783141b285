// The database server's connections against its limit, lock waits and the oldest open
// transaction, read from pg_stat_activity and max_connections with an ordinary role.
//
// A normal role sees every backend in pg_stat_activity but not the state of other roles'
// backends (those count as `other`); grant it pg_read_all_stats for the full picture. An embedded
// server (PGlite) has no pg_stat_activity at all: the exporter then says so once in its log and in
// db_server_stats_available 0, and keeps exporting db_up.
import { GaugeFamily } from './core/exposition.ts';
import { num, type Collector } from './core/collector.ts';

const STATES = ['active', 'idle', 'idle_in_transaction', 'other'] as const;

export function poolCollector(): Collector {
  const up = new GaugeFamily('db_up', '1 when the database answers', []);
  const connections = new GaugeFamily('db_connections', 'Server connections from pg_stat_activity by state', ['state']);
  const max = new GaugeFamily('db_max_connections', "The server's max_connections", []);
  const waiting = new GaugeFamily('db_connections_waiting', 'Backends waiting on a lock', []);
  const longest = new GaugeFamily('db_longest_transaction_seconds', 'Age of the oldest open transaction', []);
  const available = new GaugeFamily('db_server_stats_available', '1 when the server offers pg_stat_activity and max_connections (0 on an embedded PGlite)', []);
  let statsAvailable = true;

  return {
    name: 'pool',
    requires: [],
    families: [up, connections, max, waiting, longest, available],

    async inspect(db, log) {
      const found = await db.query<{ activity: string | null; max: string | null }>(
        `SELECT to_regclass('pg_catalog.pg_stat_activity')::text AS activity, current_setting('max_connections', true) AS max`,
      );
      statsAvailable = !!found.rows[0]?.activity && !!found.rows[0]?.max;
      if (!statsAvailable) {
        log('pool exporter: this database server has no pg_stat_activity or max_connections (an embedded PGlite?): db_connections, db_max_connections, db_connections_waiting and db_longest_transaction_seconds are not exported, db_server_stats_available is 0');
      }
    },

    async poll(db) {
      await db.query('SELECT 1');
      if (!statsAvailable) {
        return () => {
          up.set([], 1);
          available.set([], 0);
        };
      }
      // Client backends only: they are what max_connections limits (background workers are not).
      const activity = await db.query(
        `SELECT count(*) FILTER (WHERE state = 'active') AS active,
                count(*) FILTER (WHERE state = 'idle') AS idle,
                count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS idle_in_transaction,
                count(*) FILTER (WHERE state IS NULL OR state NOT IN ('active', 'idle') AND state NOT LIKE 'idle in transaction%') AS other,
                count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting,
                coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)) FILTER (WHERE pid <> pg_backend_pid()), 0)::float8 AS longest,
                current_setting('max_connections')::int AS max
         FROM pg_stat_activity
         WHERE backend_type = 'client backend'`,
      );
      const row = activity.rows[0] ?? {};
      return () => {
        up.set([], 1);
        available.set([], 1);
        for (const state of STATES) connections.set([state], num(row[state]));
        max.set([], num(row.max));
        waiting.set([], num(row.waiting));
        longest.set([], Math.max(0, num(row.longest)));
      };
    },

    sourceDown() {
      up.set([], 0);
    },
  };
}
