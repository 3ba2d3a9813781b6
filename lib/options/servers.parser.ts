import { DEFAULT_SERVERS } from '../constants.js';
import { PicomOptionsError } from '../errors/index.js';
import { OPTION_MESSAGES, SERVERS_ENV } from './constants.js';
import { describeOption } from './option.validators.js';

/** A server address split into where to connect and the credentials written in it. */
export interface ParsedServer {
  server: string;
  user?: string;
  pass?: string;
  token?: string;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * Splits `nats://user:pass@host:4222` or `nats://token@host:4222` into the
 * address and its credentials; the NATS client does not read them from URLs.
 * Only `nats://`, `tls://` and scheme-less `host[:port]` are accepted.
 *
 * @param where where the address was written (`"servers"[1]`), for the error
 * @throws {PicomOptionsError} naming the address with its credentials masked
 */
export function parseServer(input: string, where?: string): ParsedServer {
  // Errors name the address, never its credentials.
  const entry = OPTION_MESSAGES.serverEntry(maskCredentials(input), where);
  const scheme = SCHEME.exec(input)?.[1]?.toLowerCase();
  if (scheme === 'ws' || scheme === 'wss') {
    // transport-node's connect() refuses these too, but only once a first call connects.
    throw new PicomOptionsError(OPTION_MESSAGES.serverWebSocket(entry));
  }
  if (scheme !== undefined && scheme !== 'nats' && scheme !== 'tls') {
    // nats.js would strip any scheme and dial plain TCP, so http:// would "work" by accident.
    throw new PicomOptionsError(OPTION_MESSAGES.serverScheme(entry, `${scheme}:`));
  }
  let url: URL;
  try {
    url = new URL(scheme === undefined ? `nats://${input}` : input);
  } catch {
    throw new PicomOptionsError(OPTION_MESSAGES.serverUnparsable(entry));
  }
  if (!url.host) {
    throw new PicomOptionsError(OPTION_MESSAGES.serverWithoutHost(entry));
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    throw new PicomOptionsError(OPTION_MESSAGES.serverPath(entry));
  }
  const server = `${url.protocol}//${url.host}`;
  const user = url.username ? decodeCredential(url.username, entry) : undefined;
  const pass = url.password ? decodeCredential(url.password, entry) : undefined;
  if (user !== undefined && pass === undefined) {
    return { server, token: user };
  }
  return user === undefined ? { server } : { server, user, pass };
}

/**
 * `servers` when given, else `PICOM_SERVERS` when set, else the default: read
 * at each resolve so that tests and launchers may set it after import.
 */
export function resolveServers(servers: unknown): ParsedServer[] {
  if (servers !== undefined) {
    return serverList(servers, 'option "servers"', '"servers"');
  }
  const fromEnv = process.env[SERVERS_ENV];
  // An empty variable is how shells and compose files spell "unset".
  if (fromEnv !== undefined && fromEnv !== '') {
    return serverList(fromEnv, SERVERS_ENV, SERVERS_ENV, OPTION_MESSAGES.fromEnvironment);
  }
  return DEFAULT_SERVERS.map((server) => parseServer(server));
}

// A refused entry is named by `name` and, in a list, its index: with several
// servers, the address alone may not say which one was meant.
function serverList(servers: unknown, source: string, name: string, suffix = ''): ParsedServer[] {
  const list = typeof servers === 'string' ? servers.split(',').map((s) => s.trim()) : servers;
  if (!Array.isArray(list) || list.length === 0) {
    throw new PicomOptionsError(OPTION_MESSAGES.invalidServerList(source, describeOption(servers)));
  }
  return list.map((entry: unknown, index) => {
    const where = (list.length === 1 && !Array.isArray(servers) ? name : `${name}[${index}]`) + suffix;
    if (typeof entry !== 'string' || entry.length === 0) {
      throw new PicomOptionsError(OPTION_MESSAGES.invalidServerEntry(where, describeOption(entry)));
    }
    return parseServer(entry, where);
  });
}

function decodeCredential(value: string, entry: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new PicomOptionsError(OPTION_MESSAGES.serverPercentEncoding(entry));
  }
}

// Masks everything between the scheme and the last "@": an unparsable address
// may hold a password with an unencoded "@", "/" or "#", none of which may leak.
function maskCredentials(input: string): string {
  const at = input.lastIndexOf('@');
  if (at === -1) {
    return input;
  }
  const scheme = SCHEME.exec(input);
  const start = scheme && scheme[0].length <= at ? scheme[0].length : 0;
  return `${input.slice(0, start)}***${input.slice(at)}`;
}
