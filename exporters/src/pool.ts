// The pool exporter: each Paywatch application's connection pool as the database server sees it,
// that is the server connections each application holds (pg_stat_activity by application_name),
// by state, beside the size the application opens its pool with (APPLICATION_POOLS in the
// contract). In use = active + idle in transaction (checked out of the pool); a pool whose
// connections are all in use makes the next caller wait (saturation = in use / size).
//
// The database server's own facts are postgres_exporter's, not this exporter's: whether it answers
// (pg_up), connections against max_connections (pg_stat_activity_count, pg_settings_max_connections),
// lock waits and the oldest transaction (its extra queries, contract/src/servers.ts). Clients
// waiting inside an application for a free connection are only visible in that application's
// process (the payments API's app_db_pool_clients{state="waiting"}, each exporter's
// paywatch_exporter_pool_clients).
//
// A normal role sees every backend's application_name but not the state of other roles' backends
// (those count as `other`); grant it pg_read_all_stats for the full picture. The embedded PGlite
// serves every connection from one standalone backend, so pg_stat_activity shows no client
// backend at all: the exporter then reports paywatch_app_pool_stats_available 0 and no
// per-application numbers, rather than numbers that mean nothing.
import { APP_POOL_CONNECTIONS, APP_POOL_SIZE, APP_POOL_STATS_AVAILABLE, APPLICATION_POOLS } from '@paywatch/contract';
import { gaugeFor } from './core/exposition.ts';
import { num, type Collector } from './core/collector.ts';

const STATES = ['active', 'idle_in_transaction', 'idle', 'other'] as const;

export function poolCollector(): Collector {
  const connections = gaugeFor(APP_POOL_CONNECTIONS);
  const size = gaugeFor(APP_POOL_SIZE);
  const available = gaugeFor(APP_POOL_STATS_AVAILABLE);
  const applications = APPLICATION_POOLS.map((pool) => pool.application);

  return {
    name: 'pool',
    requires: [],
    families: [connections, size, available],

    async inspect(db, log) {
      const { rows } = await db.query<{ clients: number | string }>(
        `SELECT count(*) AS clients FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname = current_database()`,
      );
      if (!num(rows[0]?.clients))
        log(
          'pool exporter: pg_stat_activity shows no client backend (an embedded PGlite?): no per-application pool numbers, paywatch_app_pool_stats_available is 0',
        );
    },

    async poll(db) {
      // Client backends of this database only: the system of record's pools (background workers
      // hold no application's connection; other databases on a shared server are not Paywatch's).
      // This exporter's own connection is always among them, so no row at all means the server
      // shows no client backends (PGlite).
      const { rows } = await db.query<{ application: string | null; state: string; connections: number | string }>(
        `SELECT application_name AS application,
                CASE WHEN state IN ('active', 'idle') THEN state
                     WHEN state LIKE 'idle in transaction%' THEN 'idle_in_transaction'
                     ELSE 'other' END AS state,
                count(*) AS connections
         FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND datname = current_database()
         GROUP BY 1, 2`,
      );
      const seen = rows.length > 0;
      const held = new Map<string, number>();
      for (const row of rows) {
        if (row.application && applications.includes(row.application))
          held.set(`${row.application}\u0000${row.state}`, num(row.connections));
      }
      return () => {
        available.set([], seen ? 1 : 0);
        if (!seen) {
          connections.replace([], { keepAtZero: false });
          size.replace([], { keepAtZero: false });
          return;
        }
        for (const pool of APPLICATION_POOLS) {
          size.set([pool.application], pool.size);
          for (const state of STATES) connections.set([pool.application, state], held.get(`${pool.application}\u0000${state}`) ?? 0);
        }
      };
    },

    // The database went away: what each pool holds is unknown (its connections are being dropped),
    // so the connection series go rather than repeat the last poll's numbers; sizes stay.
    sourceDown() {
      connections.replace([], { keepAtZero: false });
    },
  };
}
