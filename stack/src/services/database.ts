// The embedded database (PGlite on a local port) in a process of its own, so the simulator and the
// exporters reach it over the PostgreSQL protocol exactly as they would a real server.
//   tsx stack/src/services/database.ts --data-dir DIR --port 9432
import { parseArgs } from 'node:util';
import { startEmbeddedDatabase } from '@paywatch/database/embedded';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, port: { type: 'string', default: '9432' } } });
const database = await startEmbeddedDatabase({
  dataDir: values['data-dir'],
  port: Number(values.port),
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
