// freePort across processes: several processes drawing ports at the same moment (as the test
// files that start stacks do) never get the same port, none lies in the kernel's ephemeral range
// (where outgoing connections take their local ports), and a process's reservations are given
// back when it exits.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PORT_RESERVATIONS, repoRoot } from '@paywatch/runtime';

const DRAWS = 60;

/** A process that draws DRAWS ports, prints them, and waits for a line on stdin before exiting. */
function drawer() {
  const script = `
    import { freePort } from '@paywatch/runtime';
    const ports = [];
    for (let i = 0; i < ${DRAWS}; i++) ports.push(await freePort());
    console.log(JSON.stringify(ports));
    process.stdin.once('data', () => process.exit(0));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(repoRoot, 'runtime'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ports = new Promise<number[]>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
    });
    child.once('exit', (code) => reject(new Error(`drawer exited (${code}) before printing its ports`)));
  });
  return { child, ports };
}

test('processes drawing ports at once never share one; none is in the ephemeral range; an exiting process gives its ports back', async () => {
  const drawers = [drawer(), drawer(), drawer(), drawer()];
  const drawn = await Promise.all(drawers.map((d) => d.ports));
  const all = drawn.flat();
  assert.equal(all.length, drawers.length * DRAWS);
  assert.equal(new Set(all).size, all.length, 'a port was handed to two processes');
  const [ephemeralLow, ephemeralHigh] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const inEphemeral = all.filter((port) => port >= ephemeralLow! && port <= ephemeralHigh!);
  assert.deepEqual(inEphemeral, [], `ephemeral range ${ephemeralLow}-${ephemeralHigh}`);
  for (const port of all) assert.ok(existsSync(join(PORT_RESERVATIONS, String(port))), `port ${port} is reserved while its process lives`);

  for (const { child } of drawers) {
    child.stdin.write('done\n');
    await once(child, 'exit');
  }
  const kept = all.filter((port) => existsSync(join(PORT_RESERVATIONS, String(port))));
  assert.deepEqual(kept, [], 'reservations left behind by processes that exited');
});
