/**
 * The TypeScript settings a picom user compiles with, each a tiny consumer
 * app: what its tsconfig says, which module system its folder is, whether the
 * compiled app is run, and which combinations cannot compile at all.
 */

export type SettingName = 'commonjs' | 'node16-cjs' | 'nodenext-cjs' | 'nodenext-esm' | 'bundler';

/** A `tsc` diagnostic: `file(line,col): error TS1234: text`. */
export interface Diagnostic {
  readonly file: string;
  readonly code: string;
  readonly text: string;
}

/** Errors a setting reports in other packages' typings, and why; never in the consumer's own files. */
export interface KnownLibraryErrors {
  readonly reason: string;
  matches(diagnostic: Diagnostic): boolean;
}

export interface ConsumerSetting {
  readonly name: SettingName;
  /** For test names and reports. */
  readonly label: string;
  /** The `type` of the consumer folder's package.json. */
  readonly type: 'commonjs' | 'module';
  /** Options beside the common ones (`COMMON_OPTIONS`). */
  readonly compilerOptions: Readonly<Record<string, unknown>>;
  /** The compiled app is run against a nats-server (else compile only). */
  readonly runs: boolean;
  readonly knownErrors?: KnownLibraryErrors;
}

/** A combination that truly cannot compile, and the errors TypeScript names it with. */
export interface ExpectedFailure {
  /** Reported on the consumer's own imports. */
  readonly code: string;
  /** Every code reported, the consumer's and those in picom's .d.ts. */
  readonly codes: readonly string[];
  readonly reason: string;
}

/**
 * What every consumer has: Nest's decorators, an ES2022 target (picom's error
 * classes take `ErrorOptions`; Nest's starters target newer still), and the
 * library typings checked too, so picom's .d.ts meet each Nest major's.
 */
export const COMMON_OPTIONS = {
  target: 'ES2022',
  strict: true,
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  types: ['node'],
  skipLibCheck: false,
  rootDir: '.',
  outDir: 'out',
} as const;

/**
 * node10 does not read exports maps, and `@nats-io/transport-node`'s typings
 * import `@nats-io/nats-core/internal`, which only its exports map names: the
 * nats.js types fail to resolve, and picom's .d.ts that name them (connection,
 * message, TLS and authenticator types) see `any`. Only .d.ts files fail, so
 * `skipLibCheck: true` (Nest's starters have it) compiles clean.
 */
const NATS_UNDER_NODE10: KnownLibraryErrors = {
  reason: "nats.js's typings need exports maps (@nats-io/nats-core/internal)",
  matches: ({ file, code, text }) =>
    file.includes('/node_modules/@nats-io/') ||
    (file.includes('/node_modules/picom/') && (code === 'TS2305' || code === 'TS2724') && text.includes('"@nats-io/transport-node"')),
};

export const CONSUMER_SETTINGS: readonly ConsumerSetting[] = [
  {
    name: 'commonjs',
    label: 'module: commonjs, moduleResolution: node10',
    type: 'commonjs',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10' },
    runs: true,
    knownErrors: NATS_UNDER_NODE10,
  },
  { name: 'node16-cjs', label: 'module: node16, CommonJS package', type: 'commonjs', compilerOptions: { module: 'node16' }, runs: false },
  { name: 'nodenext-cjs', label: 'module: nodenext, CommonJS package', type: 'commonjs', compilerOptions: { module: 'nodenext' }, runs: true },
  { name: 'nodenext-esm', label: 'module: nodenext, ESM package', type: 'module', compilerOptions: { module: 'nodenext' }, runs: true },
  {
    name: 'bundler',
    label: 'module: preserve, moduleResolution: bundler',
    type: 'module',
    compilerOptions: { module: 'preserve', moduleResolution: 'bundler', noEmit: true },
    runs: false,
  },
];

/**
 * The tsconfig of a consumer for a TypeScript version: 6 refuses the
 * deprecated node10 resolution unless told to accept it (and 5 refuses "6.0").
 */
export function tsconfigFor(setting: ConsumerSetting, typescriptVersion: string): object {
  const deprecated = setting.compilerOptions['moduleResolution'] === 'node10' && atLeast(typescriptVersion, '6.0');
  return {
    compilerOptions: { ...COMMON_OPTIONS, ...setting.compilerOptions, ...(deprecated ? { ignoreDeprecations: '6.0' } : {}) },
    files: ['main.ts', 'closed.ts'],
  };
}

/**
 * Nest 12 is ESM only, and a CommonJS file's imports compile to `require()`:
 * `module: node16` refuses ES modules there; `nodenext` allows them (for
 * Node's require(esm)) from TypeScript 5.8.
 */
export function expectedFailure(nestVersion: string, setting: ConsumerSetting, typescriptVersion: string): ExpectedFailure | undefined {
  if (!atLeast(nestVersion, '12.0') || setting.type !== 'commonjs') return undefined;
  if (setting.name === 'node16-cjs' || (setting.name === 'nodenext-cjs' && !atLeast(typescriptVersion, '5.8'))) {
    // TS1541: picom's CommonJS .d.ts import Nest's types, which are ESM's, without `resolution-mode`.
    return { code: 'TS1479', codes: ['TS1479', 'TS1541'], reason: 'Nest 12 is ESM only and this setting cannot require() it' };
  }
  return undefined;
}

/** `atLeast('5.10.2', '5.8')`: compares major, then minor. */
export function atLeast(version: string, floor: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [floorMajor = 0, floorMinor = 0] = floor.split('.').map(Number);
  return major !== floorMajor ? major > floorMajor : minor >= floorMinor;
}
