import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type Authenticator } from '@nats-io/transport-node';
import type { PicomOptions } from '../../interfaces/picom-options.interface.js';
import { Picom } from '../../picom.js';
import type { CliFlag, CliValues } from '../cli.arguments.js';
import { CliError } from '../cli.errors.js';
import { CLI_CONNECTION_NAME, CLI_MESSAGES, CLI_SERVICE_NAME } from '../constants.js';

/**
 * The CLI's endpoint: a calling-only `Picom`, so that addresses, credentials
 * and TLS files go through the same validation (and the same credential
 * masking in errors) as every Picom endpoint. It never reconnects: a command
 * that loses NATS fails rather than waits.
 *
 * @param timeout the calls' timeout, in ms
 * @throws {CliError} (usage) for an unreadable --creds/--nkey file or flags that go in pairs
 * @throws {PicomOptionsError} for an invalid address (the message masks its credentials)
 */
export function createCliPicom(values: CliValues, timeout?: number): Picom {
  const options: PicomOptions = { name: CLI_CONNECTION_NAME, retries: 0 };
  // Absent, the resolver reads PICOM_SERVERS, then the default.
  if (values.servers !== undefined) options.servers = values.servers;
  if (timeout !== undefined) options.timeout = timeout;
  if ((values.user === undefined) !== (values.password === undefined)) {
    throw new CliError(CLI_MESSAGES.userWithoutPassword);
  }
  if (values.user !== undefined) options.user = values.user;
  if (values.password !== undefined) options.pass = values.password;
  if (values.token !== undefined) options.token = values.token;
  const authenticators: Authenticator[] = [];
  if (values.creds !== undefined) authenticators.push(credsAuthenticator(readFile('creds', values.creds)));
  if (values.nkey !== undefined) {
    const seed = Buffer.from(readFile('nkey', values.nkey)).toString('utf8').trim();
    authenticators.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  if (authenticators.length > 0) options.authenticator = authenticators;
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new CliError(CLI_MESSAGES.tlsKeyWithoutCert);
  }
  if (values['tls-ca'] !== undefined || values['tls-cert'] !== undefined) {
    // nats.js reads them at connect, and would report a missing file as a connection failure.
    for (const flag of ['tls-ca', 'tls-cert', 'tls-key'] as const) {
      const path = values[flag];
      if (path !== undefined) readFile(flag, path);
    }
    options.tls = {
      ...(values['tls-ca'] === undefined ? {} : { caFile: values['tls-ca'] }),
      ...(values['tls-cert'] === undefined ? {} : { certFile: values['tls-cert'], keyFile: values['tls-key'] }),
    };
  }
  return new Picom(CLI_SERVICE_NAME, options);
}

function readFile(flag: CliFlag, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(CLI_MESSAGES.unreadableFile(flag, path, code ?? String(err)));
  }
}
