// Where things are in the repository and where the local stack keeps its data.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The one directory the local stack keeps its data in (survives restarts). */
export function dataDir(configured: string | undefined = process.env.PAYWATCH_DATA_DIR): string {
  return resolve(configured || join(repoRoot, '.data'));
}
