// The system of record's public surface: connections, migrations and database URLs. The embedded
// PGlite server is its own entry point ('@paywatch/database/embedded') so that the exporters and
// the simulator, which only connect, do not load PGlite's WebAssembly.
export { checkConnection, createPool, numericTypes, type ConnectOptions } from './connect.ts';
export { migrate, migrationFiles, MIGRATIONS_DIR } from './migrate.ts';
export { parseDatabaseUrl, redact } from './url.ts';
