// The collector of every counter family that declares the view it counts (contract/src/families.ts:
// `source`): one row of the view is one event, each label a column of the same name. Such a family
// needs no collector written by hand; the exporter that lists it counts it.
import type { MetricFamily } from '@paywatch/contract';
import { label, num, type Collector } from './collector.ts';
import { counterFor } from './exposition.ts';

/** Counts the rows of the family's view that became countable in each poll, by its labels. */
export function viewCounterCollector(def: MetricFamily): Collector {
  const source = def.source;
  if (!source) throw new Error(`${def.name} declares no source view: write its collector, or add \`source\` to its family`);
  const counter = counterFor(def);
  const columns = def.labels.join(', ');
  const where = source.where ? ` AND (${source.where})` : '';

  return {
    name: def.name,
    requires: [{ view: source.view, columns: [...def.labels, source.time] }],
    counts: [{ view: source.view, time: source.time }],
    families: [counter],

    async poll(db, window) {
      const rows = await db.query(
        `SELECT ${columns}, count(*) AS n
         FROM ${source.view}
         WHERE ${window.counted(source.view, source.time)} AND ${source.time} IS NOT NULL${where}
         GROUP BY ${columns}`,
      );
      return () => {
        for (const row of rows.rows)
          counter.add(
            def.labels.map((l) => label(row[l])),
            num(row.n),
          );
      };
    },
  };
}

/** The generic collectors of an exporter's families that declare their view. */
export function viewCounterCollectors(families: readonly MetricFamily[]): Collector[] {
  return families.filter((f) => f.source).map(viewCounterCollector);
}
