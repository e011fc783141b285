// Where the local stack keeps its data (the repository's root comes from @paywatch/runtime).
import { join, resolve } from 'node:path';
import { repoRoot } from '@paywatch/runtime';

export { repoRoot };

/** The one directory the local stack keeps its data in (survives restarts). */
export function dataDir(configured: string | undefined = process.env.PAYWATCH_DATA_DIR): string {
  return resolve(configured || join(repoRoot, '.data'));
}
