// The four exporters and how to start one in-process (tests, the local stack) or from main.ts.
import { collectionsCollector } from './collections.ts';
import type { Collector } from './core/collector.ts';
import type { ExporterName, ExporterOptions, ResolvedOptions } from './core/config.ts';
import { runExporter, type RunningExporter } from './core/exporter.ts';
import { viewCounterCollectors } from './core/view-counter.ts';
import { EXPORTER_FAMILIES } from '@paywatch/contract';
import { paymentsCollector } from './payments.ts';
import { poolCollector } from './pool.ts';
import { postingsCollector } from './postings.ts';
import { readersCollector } from './readers.ts';
import { reversalsCollector } from './reversals.ts';
import { reconciliationsCollector } from './reconciliations.ts';

export {
  ConfigError,
  DEFAULT_PORTS,
  EXPORTER_NAMES,
  OPTION_TABLE,
  parseCommandLine,
  type ExporterName,
  type ExporterOptions,
} from './core/config.ts';
export type { RunningExporter } from './core/exporter.ts';

/** Which collectors make up each exporter: one process per system. */
export const EXPORTERS: Record<ExporterName, (options: ResolvedOptions) => Collector[]> = {
  payments: () => [
    paymentsCollector(),
    reversalsCollector(),
    collectionsCollector(),
    reconciliationsCollector(),
    // Families that declare the view they count (e.g. mandate registrations): no collector by hand.
    ...viewCounterCollectors(EXPORTER_FAMILIES.payments),
  ],
  lms: (options) => [postingsCollector(options)],
  rfid: (options) => [readersCollector(options)],
  pool: () => [poolCollector()],
};

/**
 * Starts one exporter in this process: it polls the database, then listens. Resolves once it
 * serves; rejects with a ConfigError saying what to fix when the configuration is wrong (bad URL,
 * unknown option, missing view, refused credentials). An unreachable database is not an error: the
 * exporter serves with paywatch_exporter_source_up 0 and catches up when the database comes.
 */
export function startExporter(name: ExporterName, options: ExporterOptions): Promise<RunningExporter> {
  const make = EXPORTERS[name];
  if (!make) throw new Error(`unknown exporter ${JSON.stringify(name)}`);
  return runExporter(name, options, make);
}
