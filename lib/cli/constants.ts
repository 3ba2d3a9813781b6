/**
 * Defaults, exit codes and every text of the `picom` command, in one place so
 * that `--help`, docs/cli.md and the tests agree on them.
 */

/**
 * What the process exit code says, for scripts. Frozen rather than an enum.
 */
export const EXIT_CODES = Object.freeze({
  /** Done. */
  OK: 0,
  /** The remote handler answered with an error (or an unusable reply). */
  REMOTE: 1,
  /** Bad usage: unknown command or flag, missing or malformed argument. */
  USAGE: 2,
  /** Nobody answered: timeout, no responders, or NATS unreachable or refusing the credentials. */
  UNAVAILABLE: 3,
} as const);
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Connection name shown by nats-server's monitoring (`connz`). */
export const CLI_CONNECTION_NAME = 'picom-cli';
/**
 * The `Picom` endpoint needs a service name; the CLI only calls, so this name
 * is never served (no subscription is made on it).
 */
export const CLI_SERVICE_NAME = 'picom-cli';
/** `call`, `bench`: how long one call may take, in ms (natscli's default too). */
export const DEFAULT_CLI_CALL_TIMEOUT = 5_000;
/** `bench`: how long to run, in ms. */
export const DEFAULT_BENCH_DURATION = 5_000;
/** `bench`: call loops running at once. */
export const DEFAULT_BENCH_CONCURRENCY = 8;
/** `bench`: milliseconds between two progress lines on stderr. */
export const BENCH_PROGRESS_INTERVAL = 1_000;
/** Characters of the input shown around a JSON syntax error. */
export const JSON_SNIPPET_CHARACTERS = 60;

const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  the remote handler answered with an error
  2  bad usage: unknown command or flag, missing or malformed argument
  3  nobody answered: timeout, no responders, NATS unreachable or credentials refused`;

const CONNECTION_HELP = `Connection flags (every command):
  -s, --servers <urls>     NATS servers, comma-separated (else $PICOM_SERVERS, else 127.0.0.1:4222);
                           nats://user:pass@host:4222 and nats://token@host:4222 are accepted
      --user <name>        user, with --password
      --password <pass>    password, with --user
      --token <token>      token authentication
      --creds <file>       a .creds file (JWT and NKey seed)
      --nkey <file>        a file holding an NKey seed
      --tls-ca <file>      CA certificate to trust (PEM)
      --tls-cert <file>    client certificate (PEM), with --tls-key
      --tls-key <file>     client key (PEM)
  -h, --help               this help`;
const CREDENTIALS_NOTE = 'Credentials are never printed, not even in errors.';

/** One command's help: usage line, what it does, its own flags, examples. */
const commandHelp = (usage: string, text: string, flags: string, examples: string): string =>
  `Usage: ${usage}\n\n${text}\n\n${flags ? `Flags:\n${flags}\n\n` : ''}${CONNECTION_HELP}\n${CREDENTIALS_NOTE}\n\nExamples:\n${examples}\n\n${EXIT_CODES_HELP}\n`;

const JSON_FLAG = '      --json               print JSON instead of a table';
const WAIT_FLAG = '  -t, --timeout <time>     how long to collect answers (default 1s); 500, 500ms, 2s';
const ID_FLAG = '      --id <id>            only the instance with this id';
const CALL_FLAGS = `  -t, --timeout <time>     how long the call may take (default 5s); 500, 500ms, 2s
  -H, --header <k=v>       a NATS header; repeat for more (a repeated name sends several values)`;

/** Help texts: the command list, then one per command. */
export const CLI_HELP = {
  main: `Usage: picom <command> [arguments] [flags]

Lists, inspects and calls Picom services (and any NATS micro service) over NATS.

Commands:
  ls                                 services with versions, instance count and methods
  info <service>                     each instance's methods, subjects and queue groups
  stats <service>                    requests, errors, average latency and last error per instance and method
  ping [service]                     instances and their round-trip times
  call <service.method> [json|-]     calls a method, prints the reply's payload as JSON
  publish <service.method> [json|-]  sends a message without waiting for a reply
  bench <service.method> [json]      calls a method in loops, prints calls/s and latency percentiles

Run "picom <command> --help" for a command's flags.

${CONNECTION_HELP}
  -V, --version            the version of picom
${CREDENTIALS_NOTE}

${EXIT_CODES_HELP}
`,
  ls: commandHelp(
    'picom ls [flags]',
    'Lists the services that answer $SRV.INFO: name, versions (several when instances differ),\ninstance count, methods and description.',
    `${WAIT_FLAG}\n${JSON_FLAG}`,
    '  picom ls\n  picom ls --servers nats://10.0.0.5:4222 --json',
  ),
  info: commandHelp(
    'picom info <service> [flags]',
    "Shows what each instance of a service serves: its methods with their subjects and queue groups.",
    `${WAIT_FLAG}\n${ID_FLAG}\n${JSON_FLAG}`,
    '  picom info service1\n  picom info service1 --json',
  ),
  stats: commandHelp(
    'picom stats <service> [flags]',
    'Shows per instance and method: requests, errors, average processing time and the last error.\nA Picom service also reports the requests it refused as the method "_refused".',
    `${WAIT_FLAG}\n${ID_FLAG}\n${JSON_FLAG}`,
    '  picom stats service1\n  picom stats service1 --json | jq ".[].endpoints"',
  ),
  ping: commandHelp(
    'picom ping [service] [flags]',
    'Lists the instances that answer $SRV.PING (of one service, or of all) with their round-trip times.\nExits 3 when none answers.',
    `${WAIT_FLAG}\n${ID_FLAG}\n${JSON_FLAG}`,
    '  picom ping\n  picom ping service1 --timeout 300ms',
  ),
  call: commandHelp(
    'picom call <service.method> [json | -] [flags]',
    'Calls a method and prints the payload of its reply as JSON on stdout. The message is the JSON\nargument, or standard input with "-", or nothing (the handler gets null). A remote error goes\nto stderr with its fields and exits 1.',
    `${CALL_FLAGS}\n      --json               print a remote error as JSON on stderr`,
    `  picom call service1.add '{"a":2,"b":5}'\n  echo '{"a":2,"b":5}' | picom call service1.add - --header trace-id=abc`,
  ),
  publish: commandHelp(
    'picom publish <service.method> [json | -] [flags]',
    'Sends a message to a method without waiting for anybody (no reply subject); prints nothing.',
    '  -H, --header <k=v>       a NATS header; repeat for more',
    `  picom publish service1.log '{"level":"info"}'`,
  ),
  bench: commandHelp(
    'picom bench <service.method> [json] [flags]',
    'Calls a method in --concurrency loops for --duration, with a progress line on stderr every\nsecond, then prints calls/s, errors and latency p50/p99/max. The first call runs alone: when\nit fails, bench stops there with its exit code.',
    `  -d, --duration <time>    how long to run (default 5s); 500, 500ms, 10s, 1m
  -c, --concurrency <n>    call loops at once (default 8)
${CALL_FLAGS}
${JSON_FLAG}`,
    `  picom bench service1.add '{"a":2,"b":5}' --duration 10s --concurrency 32`,
  ),
} as const;

/** Texts of the errors and lines the CLI prints (prefixed with "picom: " on stderr). */
export const CLI_MESSAGES = {
  seeHelp: (command?: string) => (command === undefined ? 'run "picom --help"' : `run "picom ${command} --help"`),
  noCommand: 'no command given',
  unknownCommand: (name: string, commands: readonly string[]) =>
    `unknown command ${JSON.stringify(name)}; the commands are ${commands.join(', ')}`,
  optionNotForCommand: (flag: string, command: string) => `the flag --${flag} does not apply to "picom ${command}"`,
  missingArgument: (command: string, what: string) => `"picom ${command}" needs ${what}`,
  tooManyArguments: (command: string, most: number) =>
    `"picom ${command}" takes at most ${most} argument${most === 1 ? '' : 's'}; quote a JSON message that has spaces`,
  invalidDuration: (flag: string, value: string) =>
    `invalid --${flag} ${JSON.stringify(value)}: expected a positive number of milliseconds, or one with a unit: 500ms, 2s, 1m`,
  invalidCount: (flag: string, value: string) => `invalid --${flag} ${JSON.stringify(value)}: expected a positive integer`,
  // The header itself is not shown: its value may be a credential (Authorization).
  invalidHeader: (index: number) => `invalid --header (number ${index}): expected name=value with a non-empty name`,
  unreadableFile: (flag: string, path: string, reason: string) => `cannot read the --${flag} file ${JSON.stringify(path)}: ${reason}`,
  tlsKeyWithoutCert: 'the flags --tls-cert and --tls-key go together',
  userWithoutPassword: 'the flags --user and --password go together',
  invalidJson: (where: string, position: number, line: number, column: number, found: string, expected: string) =>
    `invalid JSON in ${where} at position ${position} (line ${line}, column ${column}): found ${found}, expected ${expected}`,
  invalidJsonUnlocated: (where: string, reason: string) => `invalid JSON in ${where}: ${reason}`,
  messageArgument: 'the message argument',
  messageStdin: 'the message read from standard input',
  remoteError: (subject: string, message: string) => `remote error from ${subject}: ${message}`,
  noAnswer: (what: string, wait: number) => `no ${what} answered within ${wait} ms`,
  noServices: (wait: number) => `no service answered within ${wait} ms`,
  ignoredAnswer: (subject: string, reason: string) => `ignored an answer to ${subject}: ${reason}`,
  unexpected: (reason: string) => `unexpected failure: ${reason}`,
  benchProgress: (seconds: number, calls: number, rate: number, errors: number) =>
    `picom bench: ${seconds.toFixed(0)}s, ${calls} calls, ${Math.round(rate)} calls/s, ${errors} errors`,
} as const;

/** What the JSON scanner expected where a message stops being JSON, for the CLI's syntax errors. */
export const JSON_EXPECTED = {
  digit: 'a digit',
  closingQuote: 'a closing double quote',
  noControlCharacter: 'no control character inside a string (write \\n, \\t…)',
  unicodeDigit: 'a hexadecimal digit of a \\u escape',
  escape: 'an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX',
  literal: (word: string) => JSON.stringify(word),
  value: 'a value (object, array, string, number, true, false or null)',
  propertyName: 'a property name in double quotes',
  colon: '":"',
  objectNext: '"," or "}"',
  arrayNext: '"," or "]"',
  end: 'the end of the input',
} as const;
