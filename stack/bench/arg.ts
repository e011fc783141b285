// The stack benchmarks' one way of reading a flag: `--name value` on the command line, or the fallback.
export function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1]! : fallback;
}
