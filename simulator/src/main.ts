#!/usr/bin/env -S node --import tsx
// The simulator as a program: `tsx simulator/src/main.ts --database-url postgres://... --speed 60`.
// Stops with a message on bad configuration; SIGINT/SIGTERM stop it cleanly.
import { startEmbeddedDatabase, type EmbeddedDatabase } from '@paywatch/database/embedded';
import { parseConfig, usage } from './config.ts';
import { startSimulator } from './simulator.ts';

const log = (line: string) => console.log(`[simulator] ${line}`);

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (error) {
    console.error(`simulator: ${(error as Error).message}`);
    process.exit(2);
  }
  if (config.help) {
    console.log(usage());
    return;
  }
  let embedded: EmbeddedDatabase | undefined;
  if (config.embeddedDataDir) {
    embedded = await startEmbeddedDatabase({ dataDir: config.embeddedDataDir, port: config.embeddedPort ?? 5433, log });
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
