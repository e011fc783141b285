// Free ports for tests and benchmarks, which start servers on ports chosen in advance (a stack
// gets its sixteen on its command line). A port that is free now can be taken before the server
// binds it: by another test process picking the same one (several start stacks at once), or by an
// outgoing connection, which takes its local port from the kernel's ephemeral range. Seen in CI on
// 2026-12-04: two stacks' first starts died together seconds after starting. So a port is drawn
// below the ephemeral range, where no outgoing connection lands, and reserved for the life of the
// process that drew it with a file in a directory every Paywatch process on the machine shares
// (created exclusively: one winner); it must also be free to bind at the time.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the reservations live: one empty-ish file per port, holding the reserving process's pid. */
export const PORT_RESERVATIONS = join(tmpdir(), 'paywatch-ports');
/** Ports handed out: above the well-known and registered defaults Paywatch uses (9090 …, 5432). */
const LOWEST = 20_000;
/** A reservation older than this whose process is gone, or any older than a day, is taken back. */
const STALE_MS = 24 * 3600 * 1000;

/** The kernel's ephemeral range (outgoing connections' local ports); Linux's default if unreadable. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // not Linux: its default is as good a guess as any
  }
  return [32768, 60999];
}

/** The range to draw from: below the ephemeral range, or above it when too little lies below. */
function rangeBesideEphemeral(): [number, number] {
  const [low, high] = ephemeralRange();
  if (low - LOWEST >= 4000) return [LOWEST, low - 1];
  if (65535 - high >= 4000) return [high + 1, 65535];
  return [LOWEST, 65535]; // an unusual kernel setting: the bind check below still holds
}

/** The range, read from /proc on the first draw only (a stack's start draws sixteen ports). */
let range: [number, number] | undefined;
const drawRange = (): [number, number] => (range ??= rangeBesideEphemeral());

const mine = new Set<number>();
process.once('exit', () => {
  for (const port of mine) {
    try {
      unlinkSync(join(PORT_RESERVATIONS, String(port)));
    } catch {
      // already gone
    }
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes back a reservation whose process has ended, or any older than a day. One just created may
 * not hold its pid yet: that counts as alive.
 */
function reclaimIfStale(file: string): void {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    const old = Date.now() - statSync(file).mtimeMs > STALE_MS;
    if (!old && (!(pid > 0) || alive(pid))) return;
    unlinkSync(file);
  } catch {
    // another process reclaimed or reserved it meanwhile
  }
}

function reserve(port: number): boolean {
  const file = join(PORT_RESERVATIONS, String(port));
  if (existsSync(file)) {
    reclaimIfStale(file);
    return false; // drawn again later if it was stale: no race with a second reclaimer here
  }
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    mine.add(port);
    return true;
  } catch {
    return false; // someone else's, just now
  }
}

function release(port: number): void {
  mine.delete(port);
  try {
    unlinkSync(join(PORT_RESERVATIONS, String(port)));
  } catch {
    // already gone
  }
}

/** Whether a server could listen on 127.0.0.1:port right now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that is free now and that no other Paywatch process on this machine will
 * be handed while this one lives; outside the ephemeral range, so no outgoing connection takes it.
 */
export async function freePort(): Promise<number> {
  mkdirSync(PORT_RESERVATIONS, { recursive: true });
  const [low, high] = drawRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (mine.has(port) || !reserve(port)) continue;
    if (await portIsFree(port)) return port;
    release(port); // something outside Paywatch listens there
  }
  throw new Error(
    `could not find a free port in ${low}-${high} (reservations in ${PORT_RESERVATIONS}: ${readdirSync(PORT_RESERVATIONS).length})`,
  );
}
