// The metric families the history writes, as the contract declares them (@paywatch/contract: name,
// type, help, labels, buckets; the exporters and the payments API build their own families from
// the same declarations). The history cannot invent a family or a label: a series whose labels are
// not the family's fails here, before anything is written.
//
// Target labels (job, instance, and the blackbox job's service/gateway/target) are not part of a
// family: Prometheus adds them at scrape time, so the history adds them as the scrape config does.
import { EXPORTER_FAMILIES, JOBS, PAYMENTS_API_FAMILIES, POSTGRES_SERIES, type MetricFamily, type MetricType } from '@paywatch/contract';

export interface FamilyDefinition {
  name: string;
  type: MetricType;
  help: string;
  labelNames: readonly string[];
  /** Histograms: the upper bounds, without +Inf. */
  buckets?: readonly number[];
  /** The scrape job that collects it (the exporter's, payments-api, blackbox). */
  job: string;
}

/** blackbox_exporter's probe result: the prober's own family, not Paywatch's. */
const PROBE_SUCCESS: FamilyDefinition = {
  job: JOBS.blackbox.name,
  name: 'probe_success',
  type: 'gauge',
  help: 'Displays whether or not the probe was a success',
  labelNames: [],
};

/**
 * postgres_exporter's families the history writes (the database server's facts: whether it
 * answers, its sessions, max_connections), with the help and labels postgres_exporter 0.11 gives
 * them; its `server` label (the server's host:port) is a target label here, as the scrape's are.
 */
const POSTGRES_EXPORTER: FamilyDefinition[] = [
  {
    job: JOBS.postgres.name,
    name: POSTGRES_SERIES.up,
    type: 'gauge',
    help: 'Whether the last scrape of metrics from PostgreSQL was able to connect to the server (1 for yes, 0 for no).',
    labelNames: [],
  },
  {
    job: JOBS.postgres.name,
    name: POSTGRES_SERIES.activity,
    type: 'gauge',
    help: 'number of connections in this state',
    labelNames: ['datname', 'state'],
  },
  {
    job: JOBS.postgres.name,
    name: POSTGRES_SERIES.maxConnections,
    type: 'gauge',
    help: 'Sets the maximum number of concurrent connections.',
    labelNames: [],
  },
];

const definition = (job: string, family: MetricFamily): FamilyDefinition => ({
  job,
  name: family.name,
  type: family.type,
  help: family.help,
  labelNames: family.labels,
  ...(family.buckets ? { buckets: family.buckets } : {}),
});

let cache: Map<string, FamilyDefinition> | undefined;

/** Every family the live stack exposes that the history can write, by name. */
export function familyDefinitions(): Map<string, FamilyDefinition> {
  cache ??= new Map(
    [
      ...(Object.entries(EXPORTER_FAMILIES) as Array<[keyof typeof EXPORTER_FAMILIES, readonly MetricFamily[]]>).flatMap(
        ([key, families]) => families.map((family) => definition(JOBS[key].name, family)),
      ),
      ...PAYMENTS_API_FAMILIES.map((family) => definition(JOBS.paymentsApi.name, family)),
      PROBE_SUCCESS,
      ...POSTGRES_EXPORTER,
    ].map((family) => [family.name, family]),
  );
  return cache;
}

/** The definition of one family; throws when the contract declares none of that name. */
export function familyDefinition(name: string): FamilyDefinition {
  const family = familyDefinitions().get(name);
  if (!family)
    throw new Error(
      `no exporter declares the metric family ${name} (@paywatch/contract): the history only writes families the live stack exposes`,
    );
  return family;
}

/**
 * Labels of one series of `family`: its own label values (checked against the family's label
 * names) plus the scrape's target labels.
 */
export function seriesLabels(
  family: FamilyDefinition,
  own: Record<string, string>,
  target: Record<string, string>,
): Record<string, string> {
  const names = Object.keys(own);
  const expected = family.labelNames.filter((name) => name !== 'le');
  if (names.length !== expected.length || !expected.every((name) => name in own)) {
    throw new Error(`${family.name} takes labels (${expected.join(', ')}), the history gave (${names.join(', ')})`);
  }
  return { ...target, ...own };
}
