// The one options parser: flags over variables over defaults, every type checked, unknown flags
// and unknown variables of the program's prefix refused with what to fix, process.env untouched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_SECONDS, optionsUsage, OptionsError, parseOptions, type OptionSpec, type OptionTable } from '../src/options.ts';

const OPTIONS = {
  port: { type: 'port', default: 9401, help: 'listen port' },
  pollInterval: { flag: 'poll-interval', type: 'seconds', min: 0, aboveMin: true, help: 'seconds between polls' },
  branches: { type: 'integer', env: 'PAYWATCH_BRANCHES', min: 1, max: 9999, help: 'branches' },
  speed: { type: 'number', min: 0, aboveMin: true, help: 'speed' },
  upstream: { type: 'url', help: 'upstream' },
  identity: { type: 'string', choices: ['header', 'oauth'], default: 'header', help: 'identity' },
  incidents: { type: 'boolean', default: true, help: 'incidents' },
  scenario: { type: 'list', help: 'scenarios' },
  secret: { type: 'string', flag: null, help: 'secret' },
  owner: {
    type: 'string',
    env: null,
    help: 'UID:GID',
    check: (value: string, source: string) => {
      if (!/^\d+:\d+$/.test(value)) throw new Error(`${source}: expected UID:GID`);
    },
  },
} as const satisfies Record<string, OptionSpec>;

const TABLE: OptionTable<typeof OPTIONS> = {
  component: 'widget',
  envPrefix: 'PAYWATCH_WIDGET_',
  foreign: (variable) => variable === 'PAYWATCH_WIDGET_OTHER',
  usage: 'usage: widget [options]',
  options: OPTIONS,
};

const parse = (argv: string[], env: Record<string, string> = {}) => parseOptions(TABLE, argv, env);
const refuses = (argv: string[], env: Record<string, string>, message: RegExp) =>
  assert.throws(
    () => parse(argv, env),
    (error: Error) => error instanceof OptionsError && error.exitCode === 2 && message.test(error.message),
    `${argv.join(' ')} ${JSON.stringify(env)}`,
  );

test('defaults, variables named PAYWATCH_<COMPONENT>_<OPTION>, and the flag wins', () => {
  assert.deepEqual(parse([]).values, { port: 9401, identity: 'header', incidents: true });
  const { values, sources } = parse(['--port', '9500', '--speed=2.5'], {
    PAYWATCH_WIDGET_PORT: '9402',
    PAYWATCH_WIDGET_POLL_INTERVAL: '7',
    PAYWATCH_BRANCHES: '40',
  });
  assert.equal(values.port, 9500);
  assert.equal(values.pollInterval, 7);
  assert.equal(values.branches, 40);
  assert.equal(values.speed, 2.5);
  assert.deepEqual(sources, {
    port: '--port',
    pollInterval: 'PAYWATCH_WIDGET_POLL_INTERVAL',
    branches: 'PAYWATCH_BRANCHES',
    speed: '--speed',
  });
  // An environment-only option is named from its key; an empty variable is unset.
  assert.equal(parse([], { PAYWATCH_WIDGET_SECRET: 's3cret', PAYWATCH_WIDGET_UPSTREAM: '' }).values.secret, 's3cret');
  assert.equal(parse([], { PAYWATCH_WIDGET_UPSTREAM: '' }).values.upstream, undefined);
});

test('booleans, lists and help', () => {
  assert.equal(parse(['--no-incidents']).values.incidents, false);
  assert.equal(parse(['--incidents=off']).values.incidents, false);
  assert.equal(parse([], { PAYWATCH_WIDGET_INCIDENTS: '0' }).values.incidents, false);
  assert.deepEqual(parse(['--scenario', 'a:5', '--scenario', 'b']).values.scenario, ['a:5', 'b']);
  assert.deepEqual(parse([], { PAYWATCH_WIDGET_SCENARIO: 'a, b' }).values.scenario, ['a', 'b']);
  assert.equal(parse(['--help']).help, true);
  const usage = optionsUsage(TABLE);
  assert.match(usage, /--poll-interval SECONDS\s+PAYWATCH_WIDGET_POLL_INTERVAL\s+seconds between polls/);
  assert.match(usage, /\(environment only\)\s+PAYWATCH_WIDGET_SECRET/);
  assert.match(usage, /--port PORT\s+PAYWATCH_WIDGET_PORT\s+listen port \(default 9401\)/);
});

test('a malformed value is refused, naming the flag or variable and what to give', () => {
  refuses(['--branches', 'abc'], {}, /^--branches: expected a whole number, got "abc"$/);
  refuses([], { PAYWATCH_BRANCHES: '0' }, /^PAYWATCH_BRANCHES: expected at least 1, got "0"$/);
  refuses(['--branches', '10000'], {}, /--branches: expected at most 9999/);
  refuses(['--port', '65536'], {}, /--port: expected a port number 0-65535, got "65536"/);
  refuses(['--port', '94O1'], {}, /--port: expected a port number/);
  refuses(
    ['--poll-interval', String(MAX_SECONDS + 1)],
    {},
    /--poll-interval: expected at most 2147483 seconds \(about 24 days\), got "2147484"/,
  );
  refuses(['--poll-interval', '0'], {}, /--poll-interval: expected more than 0 seconds/);
  refuses(['--poll-interval', '5m'], {}, /--poll-interval: expected a number of seconds, got "5m"/);
  refuses(['--speed', 'fast'], {}, /--speed: expected a number, got "fast"/);
  refuses(['--upstream', '127.0.0.1:9090'], {}, /--upstream: expected an http:\/\/ or https:\/\/ URL, got "127.0.0.1:9090"/);
  refuses(['--upstream', 'not a url'], {}, /--upstream: expected an http:\/\/ or https:\/\/ URL/);
  refuses(['--identity', 'cookie'], {}, /--identity: expected one of header, oauth, got "cookie"/);
  refuses([], { PAYWATCH_WIDGET_INCIDENTS: 'maybe' }, /PAYWATCH_WIDGET_INCIDENTS: expected 1 or 0/);
  refuses(['--owner', 'nobody'], {}, /--owner: expected UID:GID/);
  refuses(['--port'], {}, /--port needs a value/);
  refuses(['--port', '--speed', '2'], {}, /--port needs a value/);
  refuses(['--no-incidents=yes'], {}, /--no-incidents takes no value/);
});

test('unknown flags, arguments and variables of our own prefix are refused; others are not ours', () => {
  refuses(['--pol-interval', '5'], {}, /^unknown option "--pol-interval" \(did you mean --poll-interval\?\)\n\nusage: widget/);
  refuses(['--secret', 'x'], {}, /unknown option "--secret"/); // environment only: not on a command line
  refuses(['extra'], {}, /unexpected argument "extra": options start with --/);
  refuses(
    [],
    { PAYWATCH_WIDGET_PROT: '1' },
    /^unknown environment variable PAYWATCH_WIDGET_PROT: known ones are PAYWATCH_WIDGET_PORT, .* \(did you mean PAYWATCH_WIDGET_PORT\?\)$/,
  );
  assert.doesNotThrow(() => parse([], { PAYWATCH_WIDGET_OTHER: '1', PAYWATCH_GADGET_PORT: 'x', HOME: '/root' }));
});

test('parsing reads the environment and never writes it', () => {
  const before = JSON.stringify(process.env);
  parseOptions(TABLE, ['--port', '9999'], process.env);
  assert.equal(JSON.stringify(process.env), before);
  // A frozen environment parses: nothing is assigned to it.
  assert.doesNotThrow(() => parseOptions(TABLE, [], Object.freeze({ PAYWATCH_WIDGET_PORT: '1' })));
});
