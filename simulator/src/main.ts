#!/usr/bin/env -S node --import tsx
// The simulator as a program: `tsx simulator/src/main.ts --database-url postgres://... --speed 60`.
// Stops with a message on bad configuration; SIGINT/SIGTERM stop it cleanly.
import { startEmbeddedDatabase, type EmbeddedDatabase } from '@paywatch/database/embedded';
import { parseOrExit } from '@paywatch/runtime';
import { OPTION_TABLE, parseConfig } from './config.ts';
import { startSimulator } from './simulator.ts';

const log = (line: string) => console.log(`[simulator] ${line}`);

async function main(): Promise<void> {
  const config = parseOrExit('simulator', OPTION_TABLE, () => parseConfig(process.argv.slice(2)));
  let embedded: EmbeddedDatabase | undefined;
  if (config.embeddedDataDir) {
    embedded = await startEmbeddedDatabase({ dataDir: config.embeddedDataDir, port: config.embeddedPort, log });
    config.databaseUrl = embedded.url;
  }
  const simulator = await startSimulator({ ...config, log });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    await simulator.stop();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  console.error(`simulator: ${(error as Error).message}`);
  process.exit(1);
});
