// Command line: tsx exporters/src/main.ts <payments|lms|rfid|pool> --database-url postgres://... [--port 9401]
import { setFlagsFromString } from 'node:v8';
import { ConfigError, parseCommandLine, startExporter } from './index.ts';

// V8 lets the heap grow to about twice its live size before the next full collection (more for a
// small heap): loading the totals leaves ~35 MiB live for a moment, so the payments exporter's heap
// then grew to ~70 MiB before its first full collection, about a minute after start (RSS 170-196
// MiB at 5M payments against ~140 MiB after). Growing by 30 % instead keeps it at 103-108 MiB, for
// a full collection of a ~20 MiB heap (a few ms) every few seconds. Node refuses this flag in
// NODE_OPTIONS; V8 reads it at every collection, so setting it here, before any work, is in time.
// (The semi-space flag is the other way round: runtime's EXPORTER_NODE_OPTIONS.)
setFlagsFromString('--heap-growing-percent=30');

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const { name, options } = parsed;
  let exporter;
  try {
    // Serve /metrics at once (source_up 0) and load the totals behind it: a scrape never waits.
    exporter = await startExporter(name, { ...options, waitForTotals: false });
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : `${name} exporter failed to start: ${(error as Error).stack ?? error}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  console.error(`${new Date().toISOString()} ${name} exporter: serving ${exporter.url}/metrics`);
  const shutdown = async (signal: string) => {
    console.error(`${new Date().toISOString()} ${name} exporter: ${signal}, stopping`);
    await exporter.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main();
