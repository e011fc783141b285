// The benchmarks' one way of reading their command line (bench/, stack/bench/): `--name value`,
// or `--name` alone for a switch. The programs people run parse theirs strictly (options.ts); a
// benchmark's flags are given by the person measuring, and each benchmark prints what it ran with.

/** The value after `--name` on the command line, or `fallback` when the flag is not given. */
export function arg(name: string): string | undefined;
export function arg(name: string, fallback: string): string;
export function arg(name: string, fallback?: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1]! : fallback;
}

/** Whether the switch `--name` is on the command line. */
export function hasFlag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
