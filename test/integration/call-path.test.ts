import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { WritePacket } from '@nestjs/microservices';
import { firstValueFrom, type Observer } from 'rxjs';
import { Picom, PicomTimeoutError } from 'picom';
import { PicomClient, PicomRecordBuilder } from 'picom/nest';
import { freePort, startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { CapturingLogger, outcome, sleep, within, type Outcome } from '../fixtures/picom-test.helpers.js';
import { deferred } from '../fixtures/raw-nats.fixture.js';

/**
 * A call made before the first connect gets one deadline, the connect
 * included: with a 400 ms timeout and a connect that takes 250 ms, the call
 * has 150 ms left, on `Picom.request` and `PicomClient.send` alike.
 */

const TIMEOUT = 400;
const CONNECT_DELAY = 250;
/** Timers and the event loop of a busy test process: well short of the 650 ms of a second full timeout. */
const LATEST = TIMEOUT + 150;

/**
 * A port in front of a nats-server that accepts every connection at once but
 * passes nothing on until `open()`: a first connect that takes exactly as long
 * as the test says. (The first dial is not retried, so a server that comes up
 * later on a refused port would fail the connect at once instead.)
 */
class SlowDoor {
  private opened = false;
  private readonly held = new Set<Socket>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: number,
  ) {
    server.on('connection', (socket) => {
      this.track(socket);
      if (this.opened) {
        this.pass(socket);
      } else {
        this.held.add(socket);
      }
    });
  }

  static async start(target: number): Promise<SlowDoor> {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return new SlowDoor(server, port, target);
  }

  get servers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Connections held so far, and every later one, go through to the server. */
  open(): void {
    this.opened = true;
    for (const socket of this.held) this.pass(socket);
    this.held.clear();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private pass(socket: Socket): void {
    const upstream = connect(this.target, '127.0.0.1');
    this.track(upstream);
    upstream.on('close', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.pipe(upstream);
    upstream.pipe(socket);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }
}

/** A client whose `createObserver` is its own: `send()` then goes through `publish()`. */
class ObservingClient extends PicomClient {
  protected override createObserver<T>(observer: Observer<T>): (packet: WritePacket) => void {
    return super.createObserver(observer);
  }
}

/** The two faces of a call, each on a fresh endpoint whose first connect goes through `door`. */
interface Caller {
  readonly name: string;
  call(subject: string, door: SlowDoor): { result: Promise<unknown>; close(): Promise<void> };
}

const callers: Caller[] = [
  {
    name: 'Picom.request',
    call(subject, door) {
      const picom = new Picom('callpath-caller', { servers: door.servers });
      return { result: picom.request(subject, { a: 1 }, { timeout: TIMEOUT }), close: () => picom.close() };
    },
  },
  {
    name: 'PicomClient.send',
    call(subject, door) {
      const client = new PicomClient({ servers: door.servers, logger: new CapturingLogger() });
      const record = new PicomRecordBuilder({ a: 1 }).setTimeout(TIMEOUT).build();
      return { result: firstValueFrom(client.send(subject, record)), close: () => client.close() };
    },
  },
  {
    name: 'PicomClient.send through publish()',
    call(subject, door) {
      const client = new ObservingClient({ servers: door.servers, timeout: TIMEOUT, logger: new CapturingLogger() });
      return { result: firstValueFrom(client.send(subject, { a: 1 })), close: () => client.close() };
    },
  },
];

describe('a call made before the first connect has one deadline', () => {
  let nats: NatsServerHandle;
  let service: Picom;
  let door: SlowDoor;
  const stuck = deferred();
  let received = 0;

  before(async () => {
    nats = await startNatsServer();
    service = new Picom('callpath', { servers: [nats.url], gracePeriod: 50 });
    await service.expose({
      never: async () => {
        await stuck.promise;
        return 'too late';
      },
      quick: async () => {
        received++;
        await sleep(20);
        return 'answered';
      },
    });
  });

  after(async () => {
    stuck.resolve();
    await service?.close();
    await nats?.stop();
  });

  beforeEach(async () => {
    door = await SlowDoor.start(nats.port);
  });

  afterEach(async () => {
    await door.close();
  });

  /** Makes the call, opens the door `CONNECT_DELAY` ms later, and waits for the outcome. */
  async function callThroughSlowConnect(caller: Caller, subject: string): Promise<Outcome> {
    const started = performance.now();
    const made = caller.call(subject, door);
    const opening = setTimeout(() => door.open(), CONNECT_DELAY);
    try {
      const result = await within(outcome(made.result), 5_000, caller.name);
      // Counted from the call, not from inside outcome(): the call was made before it.
      return { ...result, ms: performance.now() - started };
    } finally {
      clearTimeout(opening);
      await made.close();
    }
  }

  for (const caller of callers) {
    it(`${caller.name}: a reply that cannot come in time fails at the call's timeout, not after it again`, async () => {
      const result = await callThroughSlowConnect(caller, 'callpath.never');
      assert.ok(result.error instanceof PicomTimeoutError, String(result.error));
      assert.ok(result.ms >= TIMEOUT - 10 && result.ms < LATEST, `failed after ${result.ms.toFixed(0)} ms, expected ${TIMEOUT}..${LATEST}`);
    });

    it(`${caller.name}: a reply within what is left of the timeout arrives`, async () => {
      const result = await callThroughSlowConnect(caller, 'callpath.quick');
      assert.equal(result.error, undefined, String(result.error));
      assert.equal(result.value, 'answered');
      assert.ok(result.ms >= CONNECT_DELAY && result.ms < TIMEOUT, `answered after ${result.ms.toFixed(0)} ms`);
    });
  }

  it('PicomClient.send unsubscribed while connecting: the request is never sent', async () => {
    const client = new PicomClient({ servers: door.servers, timeout: TIMEOUT, logger: new CapturingLogger() });
    try {
      const before = received;
      const notified: string[] = [];
      const subscription = client.send('callpath.quick', { a: 1 }).subscribe({
        next: () => notified.push('N'),
        error: () => notified.push('E'),
        complete: () => notified.push('C'),
      });
      await sleep(50);
      subscription.unsubscribe();
      door.open();
      await client.connect();
      // Past the call's timeout: a request sent after all would have been answered by now.
      await sleep(TIMEOUT);
      assert.equal(received - before, 0, 'the service got the cancelled request');
      assert.deepEqual(notified, []);
    } finally {
      await client.close();
    }
  });
});
