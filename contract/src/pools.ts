// Paywatch's applications that hold a connection pool on the system of record: the
// application_name each connects with (database/src/connect.ts, exporters/src/core/exporter.ts)
// and the size it opens its pool with by default. The applications take their default size from
// here; the pool exporter reports these sizes beside each pool's server connections
// (exporters/src/pool.ts), so "pool" in Paywatch means an application's pool and nothing else.
import { EXPORTER_JOBS } from './jobs.ts';

export interface ApplicationPool {
  /** `application_name` in pg_stat_activity, and the `application` label of the pool exporter. */
  application: string;
  /** Connections the pool opens at most (its default; a flag may change it, see `what`). */
  size: number;
  what: string;
}

const exporterPool = (name: string): ApplicationPool => ({
  application: `paywatch-exporter-${name}`,
  size: 2,
  what: `the ${name} exporter (--pool-max)`,
});

export const APP_POOLS = {
  simulator: { application: 'paywatch-simulator', size: 2, what: "the payments engine's batch work (the simulator in a demo)" },
  paymentsApi: { application: 'paywatch-payments-api', size: 10, what: "the payments API (the simulator's --api-pool-max)" },
  exporter: exporterPool,
} as const;

/** Every pool, in the order the docs list them. */
export const APPLICATION_POOLS: readonly ApplicationPool[] = [
  APP_POOLS.simulator,
  APP_POOLS.paymentsApi,
  ...EXPORTER_JOBS.map((job) => exporterPool(job.name)),
];
