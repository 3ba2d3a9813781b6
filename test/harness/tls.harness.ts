import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nkeys } from '@nats-io/transport-node';

/**
 * Credentials for security tests: TLS certificates made with the `openssl` CLI
 * and NKey users made with `@nats-io/nkeys` (re-exported by
 * `@nats-io/transport-node` as `nkeys`).
 */

const run = promisify(execFile);

export interface TlsCertificates {
  dir: string;
  /** CA certificate (PEM): the `ca_file` of the server and the client's `caFile`. */
  caFile: string;
  caKeyFile: string;
  /** Server certificate for `127.0.0.1` and `localhost` (SAN), signed by the CA. */
  serverCertFile: string;
  serverKeyFile: string;
  /** Client certificate (CN `picom-test-client`, clientAuth), signed by the CA. */
  clientCertFile: string;
  clientKeyFile: string;
}

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = picom-test
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Writes a CA, a server certificate (SAN `IP:127.0.0.1`, `DNS:localhost`) and
 * a client certificate into `dir` with the `openssl` CLI (ECDSA P-256, valid
 * for 2 days) and returns their paths.
 */
export async function generateTlsCertificates(dir: string): Promise<TlsCertificates> {
  mkdirSync(dir, { recursive: true });
  const path = (name: string): string => join(dir, name);
  const config = path('openssl.cnf');
  writeFileSync(config, OPENSSL_CONFIG);
  const certs: TlsCertificates = {
    dir,
    caFile: path('ca.pem'),
    caKeyFile: path('ca-key.pem'),
    serverCertFile: path('server.pem'),
    serverKeyFile: path('server-key.pem'),
    clientCertFile: path('client.pem'),
    clientKeyFile: path('client-key.pem'),
  };
  await openssl('req', '-x509', ...EC_KEY, '-config', config, '-extensions', 'ca_ext',
    '-subj', '/CN=picom-test-ca', '-days', '2', '-keyout', certs.caKeyFile, '-out', certs.caFile);

  const issue = async (cn: string, ext: string, certFile: string, keyFile: string): Promise<void> => {
    const csr = `${certFile}.csr`;
    await openssl('req', '-new', ...EC_KEY, '-config', config, '-subj', `/CN=${cn}`, '-keyout', keyFile, '-out', csr);
    await openssl('x509', '-req', '-in', csr, '-CA', certs.caFile, '-CAkey', certs.caKeyFile,
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2',
      '-extfile', config, '-extensions', ext, '-out', certFile);
  };
  await issue('localhost', 'server_ext', certs.serverCertFile, certs.serverKeyFile);
  await issue('picom-test-client', 'client_ext', certs.clientCertFile, certs.clientKeyFile);
  return certs;
}

async function openssl(...args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || (err as Error).message}`, { cause: err });
  }
}

/**
 * The nats-server `tls {}` block for `certs`; `verify: true` also requires a
 * client certificate signed by the CA.
 */
export function tlsServerConfig(certs: TlsCertificates, { verify = false, timeout = 2 } = {}): string {
  return [
    'tls {',
    `  cert_file: ${JSON.stringify(certs.serverCertFile)}`,
    `  key_file: ${JSON.stringify(certs.serverKeyFile)}`,
    `  ca_file: ${JSON.stringify(certs.caFile)}`,
    `  verify: ${verify}`,
    `  timeout: ${timeout}`,
    '}',
  ].join('\n');
}

export interface NkeyUser {
  /** `U…` public key: goes into the server's `authorization { users: [{ nkey }] }`. */
  publicKey: string;
  /** `SU…` seed: the client's secret, for `nkeyAuthenticator(seed)`. */
  seed: Uint8Array;
}

/**
 * A fresh NKey user.
 *
 * @example
 * const user = createNkeyUser();
 * const server = await startNatsServer({ config: nkeyAuthorizationConfig([user.publicKey]) });
 * await connect({ servers: server.url, authenticator: nkeyAuthenticator(user.seed) });
 */
export function createNkeyUser(): NkeyUser {
  const pair = nkeys.createUser();
  return { publicKey: pair.getPublicKey(), seed: pair.getSeed() };
}

/** An `authorization {}` block admitting exactly these NKey users. */
export function nkeyAuthorizationConfig(publicKeys: string[]): string {
  return `authorization {\n  users: [\n${publicKeys.map((nkey) => `    { nkey: ${JSON.stringify(nkey)} }`).join('\n')}\n  ]\n}`;
}
