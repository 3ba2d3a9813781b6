import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Picom } from 'picom';
import { freePort, startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { assertExit, assertNoSecret, ROOT, runPicom } from '../fixtures/cli.fixture.js';

/** Help, version, bad usage, connection failures and credentials of the `picom` command. */

const COMMANDS = ['ls', 'info', 'stats', 'ping', 'call', 'publish', 'bench'];

describe('picom usage', () => {
  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await runPicom([flag]);
      assertExit(run, 0, flag);
      assert.equal(run.stdout, `${version}\n`);
    }
  });

  it('--help lists every command, the connection flags and the exit codes; every command has its own', async () => {
    const main = await runPicom(['--help']);
    assertExit(main, 0, '--help');
    for (const command of COMMANDS) assert.match(main.stdout, new RegExp(`^ {2}${command}\\b`, 'm'), command);
    assert.match(main.stdout, /--servers/);
    assert.match(main.stdout, /^ {2}3 {2}nobody answered/m);
    for (const command of COMMANDS) {
      const run = await runPicom([command, '--help']);
      assertExit(run, 0, `${command} --help`);
      assert.match(run.stdout, new RegExp(`^Usage: picom ${command}\\b`), command);
      assert.match(run.stdout, /Exit codes:/, command);
      assert.match(run.stdout, /--servers/, command);
      const short = await runPicom(['-h', command]);
      assert.equal(short.stdout, run.stdout, `-h before ${command}`);
    }
  });

  it('no command, an unknown command, flag or value, a flag of another command, a missing or extra argument: exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [[], /no command given/],
      [['lss'], /unknown command "lss"; the commands are ls, info/],
      [['ls', '--bogus'], /unknown option '--bogus'/],
      [['call', 'a.b', '--timeout'], /option '--timeout( <value>)?' argument (missing|is ambiguous)/],
      [['ls', '--duration', '1s'], /the flag --duration does not apply to "picom ls"/],
      [['info'], /"picom info" needs a service name/],
      [['call'], /"picom call" needs a subject/],
      [['ls', 'extra'], /"picom ls" takes at most 0 arguments/],
      [['call', 'a.b', '{}', 'x'], /takes at most 2 arguments/],
      [['bench', 'a.b', '--concurrency', '0'], /invalid --concurrency "0"/],
      [['bench', 'a.b', '--duration=-1s'], /invalid --duration "-1s"/],
      [['bench', 'a.b', '--duration', '10x'], /invalid --duration "10x"/],
      [['call', 'a.b', '--user', 'u'], /--user and --password go together/],
      [['call', 'a.b', '--creds', '/nonexistent/user.creds'], /cannot read the --creds file "\/nonexistent\/user.creds": ENOENT/],
    ];
    for (const [args, expected] of cases) {
      const run = await runPicom([...args, '--servers', '127.0.0.1:1']);
      assertExit(run, 2, args.join(' '));
      assert.match(run.stderr, expected, args.join(' '));
      assert.equal(run.stdout, '', args.join(' '));
    }
  });

  it('NATS unreachable: one line naming the address without its credentials, exit 3', async () => {
    const port = await freePort();
    const secret = 's3cretPW';
    const envs: Record<string, string>[] = [{}, { PICOM_SERVERS: `nats://bob:${secret}@127.0.0.1:${port}` }];
    for (const env of envs) {
      const args = 'PICOM_SERVERS' in env ? [] : ['--servers', `nats://bob:${secret}@127.0.0.1:${port}`];
      for (const command of [['ls'], ['call', 'a.b', '{}'], ['publish', 'a.b'], ['bench', 'a.b', '--duration', '100ms']]) {
        const run = await runPicom([...command, ...args], { env });
        const what = `${command[0]} ${args.length > 0 ? '--servers' : 'PICOM_SERVERS'}`;
        assertExit(run, 3, what);
        assert.match(run.stderr, new RegExp(`^picom: Cannot connect to NATS at nats://127\\.0\\.0\\.1:${port}: `), what);
        assert.equal(run.stderr.trim().split('\n').length, 1, `${what}: one line`);
        assertNoSecret(run, [secret, 'bob'], what);
      }
    }
    const invalid = await runPicom(['ls', '--servers', `http://bob:${secret}@127.0.0.1:${port}`]);
    assertExit(invalid, 2, 'an http:// address');
    assertNoSecret(invalid, [secret], 'an http:// address');
  });

  it('runs as npx runs it: through node_modules/.bin of an app that installed the package', async () => {
    const app = mkdtempSync(join(tmpdir(), 'picom-app-'));
    try {
      mkdirSync(join(app, 'node_modules', '.bin'), { recursive: true });
      writeFileSync(join(app, 'package.json'), '{"name":"app","private":true,"dependencies":{"picom":"*"}}\n');
      symlinkSync(ROOT, join(app, 'node_modules', 'picom'), 'dir');
      // What npm makes of package.json "bin": a link to the built file (which must carry its shebang and mode).
      symlinkSync('../picom/dist/esm/cli/main.js', join(app, 'node_modules', '.bin', 'picom'));
      const direct = await runPicom(['--version'], { cwd: app, command: [join(app, 'node_modules', '.bin', 'picom')] });
      assertExit(direct, 0, '.bin/picom --version');
      const npx = await runPicom(['--version'], { cwd: app, command: ['npx', '--offline', '--no', '--', 'picom'], timeout: 30_000 });
      assertExit(npx, 0, 'npx picom --version');
      assert.equal(npx.stdout, direct.stdout);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});

describe('picom with credentials', () => {
  const USER = 'alice';
  const PASS = 'p@ss:w/rd SECRET-1';
  const TOKEN = 'tok-SECRET-2';
  let userServer: NatsServerHandle;
  let tokenServer: NatsServerHandle;
  let service: Picom;

  before(async () => {
    userServer = await startNatsServer({ config: `authorization { user: ${USER}, password: ${JSON.stringify(PASS)} }` });
    tokenServer = await startNatsServer({ config: `authorization { token: ${JSON.stringify(TOKEN)} }` });
    service = new Picom('secure', { servers: tokenServer.url, token: TOKEN });
    await service.expose({ whoami: () => 'secure' });
  });
  after(async () => {
    await service?.close();
    await userServer?.stop();
    await tokenServer?.stop();
  });

  it('--user/--password and a URL with them work; a wrong password is exit 3; the password is never printed', async () => {
    const flags = await runPicom(['ls', '--timeout', '200', '--servers', userServer.url, '--user', USER, '--password', PASS]);
    assertExit(flags, 0, '--user/--password');
    const inUrl = `nats://${USER}:${encodeURIComponent(PASS)}@${userServer.hostport}`;
    const url = await runPicom(['ping', '--timeout', '200', '--servers', inUrl]);
    assertExit(url, 3, 'ping with URL credentials: connected, nobody answers');
    assert.match(url.stderr, /no service answered/);
    const wrong = await runPicom(['ls', '--servers', userServer.url, '--user', USER, '--password', 'wrong-SECRET-3']);
    assertExit(wrong, 3, 'wrong password');
    assert.match(wrong.stderr, /authorization failed/i);
    for (const [run, what] of [[flags, 'flags'], [url, 'url'], [wrong, 'wrong']] as const) {
      assertNoSecret(run, [PASS, encodeURIComponent(PASS), 'wrong-SECRET-3'], what);
    }
  });

  it('--token and a token in PICOM_SERVERS work; a wrong token is exit 3; the token is never printed', async () => {
    const flag = await runPicom(['call', 'secure.whoami', '--servers', tokenServer.url, '--token', TOKEN]);
    assertExit(flag, 0, '--token');
    assert.equal(JSON.parse(flag.stdout), 'secure');
    const env = await runPicom(['call', 'secure.whoami'], { env: { PICOM_SERVERS: `nats://${TOKEN}@${tokenServer.hostport}` } });
    assertExit(env, 0, 'token in PICOM_SERVERS');
    const wrong = await runPicom(['call', 'secure.whoami', '--servers', tokenServer.url, '--token', 'bad-SECRET-4']);
    assertExit(wrong, 3, 'wrong token');
    assert.match(wrong.stderr, /authorization failed/i);
    for (const [run, what] of [[flag, 'flag'], [env, 'env'], [wrong, 'wrong']] as const) {
      assertNoSecret(run, [TOKEN, 'bad-SECRET-4'], what);
    }
  });
});
