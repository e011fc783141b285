// Whether the database answers Paywatch, and the server connections (by state) against
// max_connections that the connections KPI reads, from pg_stat_activity with an ordinary role.
// Lock waits and the oldest open transaction are postgres_exporter's (its extra queries,
// contract/src/servers.ts), next to the rest of the server's statistics.
//
// A normal role sees every backend in pg_stat_activity but not the state of other roles'
// backends (those count as `other`); grant it pg_read_all_stats for the full picture. An embedded
// server (PGlite) has no pg_stat_activity at all: the exporter then says so once in its log and in
// db_server_stats_available 0, and keeps exporting db_up.
import { DB_CONNECTIONS, DB_MAX_CONNECTIONS, DB_SERVER_STATS_AVAILABLE, DB_UP } from '@paywatch/contract';
import { gaugeFor } from './core/exposition.ts';
import { num, type Collector } from './core/collector.ts';

const STATES = ['active', 'idle', 'idle_in_transaction', 'other'] as const;

export function poolCollector(): Collector {
  const up = gaugeFor(DB_UP);
  const connections = gaugeFor(DB_CONNECTIONS);
  const max = gaugeFor(DB_MAX_CONNECTIONS);
  const available = gaugeFor(DB_SERVER_STATS_AVAILABLE);
  let statsAvailable = true;

  return {
    name: 'pool',
    requires: [],
    families: [up, connections, max, available],

    async inspect(db, log) {
      const found = await db.query<{ activity: string | null; max: string | null }>(
        `SELECT to_regclass('pg_catalog.pg_stat_activity')::text AS activity, current_setting('max_connections', true) AS max`,
      );
      statsAvailable = !!found.rows[0]?.activity && !!found.rows[0]?.max;
      if (!statsAvailable) {
        log(
          'pool exporter: this database server has no pg_stat_activity or max_connections (an embedded PGlite?): db_connections and db_max_connections are not exported, db_server_stats_available is 0',
        );
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
      };
    },

    sourceDown() {
      up.set([], 0);
    },
  };
}
