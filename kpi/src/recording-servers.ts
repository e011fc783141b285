// Recording rules for the machines (node_exporter) and the database server (postgres_exporter):
// per host (or disk, or filesystem) first, the worst host for the KPI tiles after. The series
// names are the contract's (NODE_SERIES, POSTGRES_SERIES); only the node job is read, so a host
// scraped twice under other jobs is not counted twice.
import {
  DATABASE_HOST_LABEL,
  JOBS,
  KPIS,
  NODE_REAL_FILESYSTEMS,
  NODE_SERIES,
  POSTGRES_SERIES,
  SERVER_RULES,
  type KpiId,
} from '@paywatch/contract';
import type { RecordingGroup } from './recording.ts';

const node = `job="${JOBS.node.name}"`;
const kpiSeries = (id: KpiId) => KPIS.find((k) => k.id === id)!.series;

export function serverRecordingGroups(): RecordingGroup[] {
  const fs = `${node}, ${NODE_REAL_FILESYSTEMS}`;
  return [
    {
      name: 'paywatch.hosts',
      rules: [
        {
          record: SERVER_RULES.cpu,
          expr: `1 - avg without (cpu, mode) (rate(${NODE_SERIES.cpuSeconds}{${node}, mode="idle"}[5m]))`,
          note: "Everything but idle counts as used (iowait too: a CPU waiting on a disk is not free for work). `without` keeps the target's labels (role).",
        },
        { record: kpiSeries('host_cpu_used'), expr: `max(${SERVER_RULES.cpu})` },
        {
          record: kpiSeries('database_cpu_used'),
          expr: `max(${SERVER_RULES.cpu}{${DATABASE_HOST_LABEL.name}="${DATABASE_HOST_LABEL.value}"})`,
        },
        {
          record: SERVER_RULES.memory,
          expr: `1 - ${NODE_SERIES.memoryAvailable}{${node}} / ${NODE_SERIES.memoryTotal}{${node}}`,
          note: 'MemAvailable counts the page cache the kernel can drop: "used" is what new work cannot have.',
        },
        { record: kpiSeries('host_memory_used'), expr: `max(${SERVER_RULES.memory})` },
        {
          record: SERVER_RULES.filesystemFree,
          expr: `${NODE_SERIES.filesystemAvailable}{${fs}} / ${NODE_SERIES.filesystemSize}{${fs}}`,
          note: "Available to ordinary users (the database's owner is one), not counting root's reserve.",
        },
        { record: kpiSeries('storage_free'), expr: `min(${SERVER_RULES.filesystemFree})` },
        {
          record: SERVER_RULES.diskReadLatency,
          expr: `rate(${NODE_SERIES.diskReadSeconds}{${node}}[5m]) / rate(${NODE_SERIES.diskReads}{${node}}[5m])`,
          note: 'No series (0/0) while a disk does no reads: an idle disk is not slow.',
        },
        {
          record: SERVER_RULES.diskWriteLatency,
          expr: `rate(${NODE_SERIES.diskWriteSeconds}{${node}}[5m]) / rate(${NODE_SERIES.diskWrites}{${node}}[5m])`,
        },
        {
          record: SERVER_RULES.diskQueue,
          expr: `rate(${NODE_SERIES.diskIoWeightedSeconds}{${node}}[5m])`,
          note: 'Seconds of I/O weighted by requests in flight, per second: the average queue length.',
        },
      ],
    },
    {
      name: 'paywatch.database_server',
      rules: [
        { record: SERVER_RULES.deadlocks, expr: `sum by (datname) (increase(${POSTGRES_SERIES.deadlocks}[5m]))` },
        {
          record: SERVER_RULES.cacheHit,
          expr: `sum(rate(${POSTGRES_SERIES.blocksHit}[5m])) / (sum(rate(${POSTGRES_SERIES.blocksHit}[5m])) + sum(rate(${POSTGRES_SERIES.blocksRead}[5m])))`,
          note: 'Share of block reads served from shared buffers, all databases of the server.',
        },
      ],
    },
  ];
}
