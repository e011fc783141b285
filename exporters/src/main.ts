// Command line: tsx exporters/src/main.ts <payments|lms|rfid|pool> --database-url postgres://... [--port 9401]
import { ConfigError, parseCommandLine, startExporter } from './index.ts';

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
