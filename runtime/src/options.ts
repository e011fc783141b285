// The one options parser of every Paywatch program (exporters, simulator, scope proxy, npm start,
// backfill, access sync). Each program declares a table: per option its flag, its environment
// variable (PAYWATCH_<COMPONENT>_<OPTION> unless a documented name is kept), its type, default
// and help. Parsing is strict because a typo must not leave a program running on a default: an
// unknown flag, an unknown variable with the program's prefix, or a malformed value is an
// OptionsError naming the flag or variable and what to give instead; programs exit 2 on it.
// The environment is only read, never written.

export type OptionType = 'string' | 'integer' | 'number' | 'seconds' | 'port' | 'boolean' | 'url' | 'list';

export interface OptionSpec {
  type: OptionType;
  help: string;
  /** The flag without its dashes; null: environment only (secrets do not belong on a command line). */
  flag?: string | null;
  /** The environment variable; by default the table's prefix and the flag (poll-interval: PAYWATCH_EXPORTER_POLL_INTERVAL); null: flag only. */
  env?: string | null;
  /** Shown in the help; the value used when neither the flag nor the variable is given. */
  default?: string | number | boolean | string[];
  /** integer, number, seconds: the smallest and largest value accepted. */
  min?: number;
  max?: number;
  /** number, seconds: the value must be above min (not equal to it). */
  aboveMin?: boolean;
  /** string: the values accepted. */
  choices?: readonly string[];
  /** url: the schemes accepted (default http and https). */
  schemes?: readonly string[];
  /** A further check of the raw text (e.g. a database URL); throws an Error with what is wrong. */
  check?: (value: string, source: string) => void;
}

export interface OptionTable<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  /** The program, for messages: 'exporter', 'simulator', 'scope-proxy', ... */
  component: string;
  /** Variables with this prefix are this program's: an unknown one is refused. Null: none. */
  envPrefix: string | null;
  /** Variables with the prefix that belong to another program (shared environments): not refused. */
  foreign?: (variable: string) => boolean;
  /** The usage line(s) printed above the options. */
  usage: string;
  options: O;
  /** Names of positional arguments (the exporter's name); none by default. */
  positionals?: string[];
}

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['type'] extends 'integer' | 'number' | 'seconds' | 'port'
    ? number
    : S['type'] extends 'list'
      ? string[]
      : string;

export type OptionValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { default: unknown } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
};

export interface ParsedOptions<O extends Record<string, OptionSpec>> {
  values: OptionValues<O>;
  /** Where each given value came from: '--flag' or the variable's name (absent: default). */
  sources: Partial<Record<keyof O, string>>;
  positionals: string[];
  help: boolean;
}

/** A configuration mistake: the message says what to fix; programs exit 2 on it. */
export class OptionsError extends Error {
  override name = 'OptionsError';
  readonly exitCode = 2;
}

/** setTimeout's longest delay (2^31 - 1 ms): a longer interval would fire at once, in a loop. */
export const MAX_SECONDS = 2_147_483;

const flagOf = (key: string, spec: OptionSpec) => (spec.flag === undefined ? key : spec.flag);

export function envOf(table: OptionTable, key: string): string | null {
  const spec = table.options[key]!;
  if (spec.env !== undefined) return spec.env;
  // Environment-only options (no flag) are named from their key: secret -> PAYWATCH_PROXY_SECRET.
  const name = flagOf(key, spec) ?? key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  if (!table.envPrefix) return null;
  return `${table.envPrefix}${name.replace(/-/g, '_').toUpperCase()}`;
}

/** The help text: usage, then one line per option with its variable and default. */
export function optionsUsage(table: OptionTable): string {
  const lines = [table.usage, '', 'options (each also from the environment variable shown; the flag wins):'];
  for (const [key, spec] of Object.entries(table.options)) {
    const flag = flagOf(key, spec);
    const env = envOf(table, key);
    const shownFlag = flag ? `--${flag}${spec.type === 'boolean' ? '' : ` ${placeholder(spec)}`}` : '(environment only)';
    const shownDefault =
      spec.default === undefined || spec.default === ''
        ? ''
        : ` (default ${Array.isArray(spec.default) ? spec.default.join(',') || 'none' : String(spec.default)})`;
    lines.push(`  ${shownFlag.padEnd(30)} ${(env ?? '').padEnd(40)} ${spec.help}${shownDefault}`);
  }
  lines.push(`  ${'--help'.padEnd(30)} ${''.padEnd(40)} print this help`);
  return lines.join('\n');
}

function placeholder(spec: OptionSpec): string {
  if (spec.choices) return spec.choices.join('|');
  return { string: 'TEXT', integer: 'N', number: 'X', seconds: 'SECONDS', port: 'PORT', boolean: '', url: 'URL', list: 'A,B' }[spec.type];
}

const BOOLEAN_TEXT: Record<string, boolean> = {
  '1': true,
  true: true,
  on: true,
  yes: true,
  '0': false,
  false: false,
  off: false,
  no: false,
};

/** Checks one raw value and converts it to its type; throws an OptionsError naming the source. */
export function parseValue(spec: OptionSpec, raw: string, source: string): string | number | boolean | string[] {
  const fail = (what: string) => new OptionsError(`${source}: expected ${what}, got ${JSON.stringify(raw)}`);
  const range = (value: number, unit = '') => {
    if (spec.min !== undefined && (spec.aboveMin ? value <= spec.min : value < spec.min)) {
      throw fail(spec.aboveMin ? `more than ${spec.min}${unit}` : `at least ${spec.min}${unit}`);
    }
    if (spec.max !== undefined && value > spec.max) throw fail(`at most ${spec.max}${unit}`);
    return value;
  };
  let value: string | number | boolean | string[];
  switch (spec.type) {
    case 'string':
      if (!raw.trim()) throw fail('a value');
      if (spec.choices && !spec.choices.includes(raw)) throw fail(`one of ${spec.choices.join(', ')}`);
      value = raw;
      break;
    case 'integer':
      if (!/^-?\d+$/.test(raw)) throw fail('a whole number');
      value = range(Number(raw));
      break;
    case 'number':
      if (!/^-?\d+(\.\d+)?$/.test(raw)) throw fail('a number');
      value = range(Number(raw));
      break;
    case 'seconds': {
      if (!/^\d+(\.\d+)?$/.test(raw)) throw fail('a number of seconds');
      const seconds = Number(raw);
      if (seconds > MAX_SECONDS && (spec.max === undefined || spec.max > MAX_SECONDS))
        throw fail(`at most ${MAX_SECONDS} seconds (about 24 days)`);
      value = range(seconds, ' seconds');
      break;
    }
    case 'port':
      if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw fail(`a port number ${spec.min ?? 0}-65535`);
      value = range(Number(raw));
      break;
    case 'boolean': {
      const parsed = BOOLEAN_TEXT[raw.toLowerCase()];
      if (parsed === undefined) throw fail('1 or 0 (true/false, on/off, yes/no)');
      value = parsed;
      break;
    }
    case 'url': {
      const schemes = spec.schemes ?? ['http', 'https'];
      const expected = `${/^h/.test(schemes[0]!) ? 'an' : 'a'} ${schemes.map((s) => `${s}://`).join(' or ')} URL`;
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw fail(expected);
      }
      if (!schemes.includes(url.protocol.slice(0, -1))) throw fail(expected);
      value = raw;
      break;
    }
    case 'list':
      value = raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
      break;
  }
  if (spec.check) {
    try {
      spec.check(raw, source);
    } catch (error) {
      throw new OptionsError((error as Error).message);
    }
  }
  return value;
}

/** The closest known flag to a mistyped one, when one is close. */
function suggestion(given: string, known: string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = distance(given, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best ? ` (did you mean --${best}?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/**
 * Reads the table's options from argv (`--flag value`, `--flag=value`, `--flag` and `--no-flag`
 * for booleans; a list option may be repeated) and from env. The flag wins over the variable,
 * the variable over the default.
 */
export function parseOptions<O extends Record<string, OptionSpec>>(
  table: OptionTable<O>,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedOptions<O> {
  const values: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const byFlag = new Map<string, string>();
  const byEnv = new Map<string, string>();
  for (const [key, spec] of Object.entries(table.options)) {
    const flag = flagOf(key, spec);
    if (flag) byFlag.set(flag, key);
    const variable = envOf(table, key);
    if (variable) byEnv.set(variable, key);
  }

  for (const [variable, raw] of Object.entries(env)) {
    if (raw === undefined) continue;
    const key = byEnv.get(variable);
    if (key === undefined) {
      if (table.envPrefix && variable.startsWith(table.envPrefix) && !table.foreign?.(variable)) {
        const known = [...byEnv.keys()].filter((name) => name.startsWith(table.envPrefix!));
        throw new OptionsError(
          `unknown environment variable ${variable}: known ones are ${known.join(', ')}${suggestion(variable, known).replace(' --', ' ')}`,
        );
      }
      continue;
    }
    // An empty variable is unset (compose files and shells write VAR= for "no value").
    if (raw === '') continue;
    values[key] = parseValue(table.options[key]!, raw, variable);
    sources[key] = variable;
  }

  const positionals: string[] = [];
  const fromFlags = new Set<string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (positionals.length < (table.positionals?.length ?? 0)) {
        positionals.push(arg);
        continue;
      }
      throw new OptionsError(`unexpected argument ${JSON.stringify(arg)}: options start with --\n\n${optionsUsage(table)}`);
    }
    const eq = arg.indexOf('=');
    let flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let key = byFlag.get(flag);
    if (key === undefined && flag.startsWith('no-') && table.options[byFlag.get(flag.slice(3)) ?? '']?.type === 'boolean') {
      if (inline !== undefined) throw new OptionsError(`--${flag} takes no value`);
      key = byFlag.get(flag.slice(3))!;
      flag = flag.slice(3);
      inline = 'false';
    }
    if (key === undefined)
      throw new OptionsError(
        `unknown option ${JSON.stringify(`--${flag}`)}${suggestion(flag, [...byFlag.keys()])}\n\n${optionsUsage(table)}`,
      );
    const spec = table.options[key]!;
    let raw = inline;
    if (raw === undefined) {
      if (spec.type === 'boolean') raw = 'true';
      else {
        raw = argv[++i];
        if (raw === undefined || (raw.startsWith('--') && raw.length > 2)) throw new OptionsError(`--${flag} needs a value`);
      }
    }
    const value = parseValue(spec, raw, `--${flag}`);
    // A repeated list flag adds to the list; any other repeated flag: the last one wins.
    values[key] = spec.type === 'list' && fromFlags.has(key) ? [...(values[key] as string[]), ...(value as string[])] : value;
    fromFlags.add(key);
    sources[key] = `--${flag}`;
  }

  for (const [key, spec] of Object.entries(table.options)) {
    if (values[key] === undefined && spec.default !== undefined) values[key] = spec.default;
  }
  return { values: values as OptionValues<O>, sources: sources as Partial<Record<keyof O, string>>, positionals, help };
}

/**
 * For a program's main: runs parse, and on an OptionsError prints `<component>: <message>` to
 * stderr and exits 2; on --help prints the usage and exits 0.
 */
export function parseOrExit<T>(component: string, table: OptionTable, parse: () => T & { help?: boolean }): T {
  let parsed: T & { help?: boolean };
  try {
    parsed = parse();
  } catch (error) {
    if (error instanceof OptionsError) {
      process.stderr.write(`${component}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (parsed.help) {
    process.stdout.write(`${optionsUsage(table)}\n`);
    process.exit(0);
  }
  return parsed;
}
