// The embedded default: PGlite (PostgreSQL compiled to WASM, one backend, in this process) served
// on a local TCP port with the PostgreSQL wire protocol, so every other process (simulator,
// exporters) talks to it with the same `pg` code they use against a real server.
//
// Why not PGLiteSocketServer as it ships: its multiplexer queues each protocol *message*
// separately, so with several connections one client's Parse/Bind/Execute/Sync interleaves with
// another's on PGlite's single backend ("portal \"\" does not exist", statements bound to the wrong
// query, parameters lost). pg sends every parameterised query that way. It only keeps a session
// exclusive once an explicit BEGIN has run. docs/embedded-database.md has the experiment.
//
// So this server multiplexes by *session turn* instead: a connection takes the backend when it
// sends a message and keeps it until PGlite answers ReadyForQuery with status idle ('I'), that is
// until its extended-protocol sequence reached Sync and its transaction (if any) ended. Other
// connections wait their turn (FIFO). Transactions are therefore serialised, which is correct
// (stricter than PostgreSQL's isolation) and fast enough for a demo: statements take microseconds
// to milliseconds and nobody holds a transaction open while waiting on something else.
//
// What remains different from a real server, and is documented: one backend, so session settings
// (SET ...) are shared by all connections, pg_stat_activity shows one backend, max_connections is
// PGlite's; COPY FROM STDIN and LISTEN/NOTIFY across connections are not supported.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrate } from './migrate.ts';

export interface EmbeddedDatabaseOptions {
  /** Directory PGlite persists to; created if missing. Omit for an in-memory database. */
  dataDir?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  /** Apply Paywatch's migrations after start (default true). */
  migrate?: boolean;
  /** Most client connections accepted at once (default 64). */
  maxConnections?: number;
  log?: (line: string) => void;
}

export interface EmbeddedDatabase {
  /** postgres:// URL other processes connect to. */
  url: string;
  port: number;
  host: string;
  db: PGlite;
  /** Connections currently open, and connections waiting for their turn on the backend. */
  stats(): { connections: number; waiting: number };
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** A FIFO mutex over PGlite's one backend; the owner is a connection for one session turn. */
class BackendTurns {
  private owner: number | null = null;
  private queue: Array<{ id: number; grant: () => void }> = [];

  get waiting(): number {
    return this.queue.length;
  }

  async acquire(id: number): Promise<void> {
    if (this.owner === id) return;
    if (this.owner === null) {
      this.owner = id;
      return;
    }
    await new Promise<void>((grant) => this.queue.push({ id, grant }));
  }

  release(id: number): void {
    if (this.owner !== id) return;
    const next = this.queue.shift();
    this.owner = next ? next.id : null;
    next?.grant();
  }

  forget(id: number): void {
    this.queue = this.queue.filter((entry) => entry.id !== id);
    this.release(id);
  }

  owns(id: number): boolean {
    return this.owner === id;
  }
}

function errorResponse(message: string): Buffer {
  const fields = Buffer.concat([Buffer.from('SERROR\0'), Buffer.from('C08006\0'), Buffer.from(`M${message}\0`), Buffer.from('\0')]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}

const openDirs = new Set<string>();

// PGlite's files have one owner; a second PGlite on the same directory would corrupt them.
function lockDataDir(dir: string): () => void {
  if (openDirs.has(dir))
    throw new Error(`the embedded database in ${dir} is already open in this process: connect to it instead of starting another`);
  const lockFile = join(dir, 'paywatch-embedded.pid');
  try {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    if (pid && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(
          `the embedded database in ${dir} is already open by process ${pid}: stop it, or connect to it instead of starting another`,
        );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  writeFileSync(lockFile, String(process.pid));
  openDirs.add(dir);
  return () => {
    openDirs.delete(dir);
    rmSync(lockFile, { force: true });
  };
}

/** Starts PGlite on a local port, applies migrations, and returns its URL. */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => {});
  const host = options.host ?? '127.0.0.1';
  let unlock = () => {};
  let db: PGlite;
  if (options.dataDir) {
    const dir = resolve(options.dataDir);
    mkdirSync(dir, { recursive: true });
    unlock = lockDataDir(dir);
    try {
      db = await PGlite.create(join(dir, 'pgdata'));
    } catch (error) {
      unlock();
      throw new Error(`cannot open the embedded database in ${dir}: ${(error as Error).message}`);
    }
  } else {
    db = await PGlite.create();
  }
  const turns = new BackendTurns();
  const sockets = new Set<Socket>();
  let nextId = 1;

  // Runs one protocol message on the backend and forwards PGlite's answer; returns the
  // transaction status of a trailing ReadyForQuery ('I', 'T', 'E'), or null when none came.
  async function execute(message: Uint8Array, socket: Socket): Promise<string | null> {
    let tail: Buffer = Buffer.alloc(0);
    await db.runExclusive(() =>
      db.execProtocolRawStream(message, {
        onRawData: (data: Uint8Array) => {
          if (data.length === 0) return;
          if (socket.writable) socket.write(data);
          tail = Buffer.concat([tail, Buffer.from(data)]).subarray(-6);
        },
      }),
    );
    // ReadyForQuery is 'Z', length 5, status: always the last message of an answer.
    if (tail.length === 6 && tail[0] === 0x5a && tail.readInt32BE(1) === 5) return String.fromCharCode(tail[5]!);
    return null;
  }

  function handle(socket: Socket) {
    const id = nextId++;
    sockets.add(socket);
    socket.setNoDelay(true);
    let buffer: Buffer = Buffer.alloc(0);
    let startup = true;
    let busy: Promise<void> = Promise.resolve();
    let closed = false;

    const close = () => {
      if (closed) return;
      closed = true;
      sockets.delete(socket);
      socket.destroy();
      // A client that vanished mid-transaction must not keep the backend: roll back its work.
      busy = busy.then(async () => {
        if (turns.owns(id)) {
          if (db.isInTransaction()) await db.exec('ROLLBACK').catch(() => {});
          turns.release(id);
        } else {
          turns.forget(id);
        }
      });
    };

    async function run(message: Buffer) {
      if (startup) {
        const code = message.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          socket.write('N');
          return;
        }
        if (code === CANCEL_REQUEST) {
          socket.end();
          return;
        }
        if (code !== PROTOCOL_3) {
          socket.end(errorResponse(`unsupported protocol ${code}`));
          return;
        }
        startup = false;
      } else if (message[0] === 0x58 /* Terminate */) {
        close();
        return;
      }
      await turns.acquire(id);
      if (closed) {
        turns.release(id);
        return;
      }
      let status: string | null;
      try {
        status = await execute(new Uint8Array(message), socket);
      } catch (error) {
        log(`embedded database: connection ${id} failed: ${(error as Error).message}`);
        socket.write(errorResponse(`embedded database error: ${(error as Error).message}`));
        close();
        return;
      }
      if (status === 'I') turns.release(id);
    }

    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        let length: number;
        if (startup) {
          if (buffer.length < 4) break;
          length = buffer.readInt32BE(0);
        } else {
          if (buffer.length < 5) break;
          length = 1 + buffer.readInt32BE(1);
        }
        if (buffer.length < length) break;
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        busy = busy.then(() => (closed ? undefined : run(message)));
      }
    });
    socket.on('error', () => close());
    socket.on('close', () => close());
  }

  const server: Server = createServer(handle);
  server.maxConnections = options.maxConnections ?? 64;
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolveListen());
    });
  } catch (error) {
    await db.close();
    unlock();
    throw new Error(`embedded database cannot listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`);
  }
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('embedded database: no TCP address');
  const port = address.port;
  const url = `postgres://postgres@${host}:${port}/postgres`;

  if (options.migrate ?? true) {
    const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'paywatch-migrate' });
    try {
      for (const name of await migrate(pool)) log(`embedded database: applied migration ${name}`);
    } finally {
      await pool.end();
    }
  }
  log(`embedded database (PGlite${options.dataDir ? ` in ${resolve(options.dataDir)}` : ', in memory'}) listening on ${url}`);

  let stopped = false;
  return {
    url,
    port,
    host,
    db,
    stats: () => ({ connections: sockets.size, waiting: turns.waiting }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of sockets) socket.destroy();
      });
      await db.close();
      unlock();
    },
  };
}
