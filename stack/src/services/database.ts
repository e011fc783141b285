// The embedded database (PGlite on a local port) in a process of its own, so the simulator and the
// exporters reach it over the PostgreSQL protocol exactly as they would a real server.
//   tsx stack/src/services/database.ts --data-dir DIR --port 9432
import { startEmbeddedDatabase } from '@paywatch/database/embedded';
import { parseOptions, parseOrExit, PORTS, type OptionSpec, type OptionTable } from '@paywatch/runtime';

const OPTIONS = {
  dataDir: { flag: 'data-dir', env: null, type: 'string', help: 'where PGlite keeps the database (in memory without it)' },
  port: { type: 'port', env: PORTS.database.env, default: PORTS.database.port, help: 'listen port on 127.0.0.1' },
} as const satisfies Record<string, OptionSpec>;

const TABLE: OptionTable<typeof OPTIONS> = {
  component: 'database',
  envPrefix: null,
  usage: 'usage: tsx stack/src/services/database.ts --data-dir DIR [--port 9432]',
  options: OPTIONS,
};
const { values } = parseOrExit('database', TABLE, () => parseOptions(TABLE, process.argv.slice(2), process.env));
const database = await startEmbeddedDatabase({
  dataDir: values.dataDir,
  port: values.port,
  log: (line) => console.log(line),
});
console.log(`ready ${database.url}`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void database.stop().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
