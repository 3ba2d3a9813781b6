import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, Inject } from '@nestjs/common';
import { ClientsModule, Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom, map, type Observable } from 'rxjs';
import { Picom } from 'picom';
import { PicomClient, PicomContext, PicomRecordBuilder } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestService, type NestService } from '../fixtures/nest-app.fixture.js';
import { NEST_LACKS } from '../fixtures/nest-features.fixture.js';
import { sleep } from '../fixtures/raw-nats.fixture.js';

const INVENTORY = 'INVENTORY';
const stockEvents: { data: unknown; trace: string | null }[] = [];

/** Service B: answers `inventory.*`. */
@Controller()
class InventoryController {
  @MessagePattern('reserve')
  async reserve(@Payload() data: { sku: string; qty: number }, @Ctx() ctx: PicomContext) {
    await sleep(5);
    if (data.qty > 10) {
      throw new RpcException({ message: `Not enough ${data.sku}`, code: 'E_STOCK', available: 10 });
    }
    return { sku: data.sku, reserved: data.qty, trace: ctx.getHeader('x-trace-id') ?? null, method: ctx.getMethod() };
  }

  @MessagePattern('crash')
  crash() {
    throw new Error('inventory internals');
  }

  @EventPattern<string>('restocked')
  restocked(@Payload() data: unknown, @Ctx() ctx: PicomContext) {
    stockEvents.push({ data, trace: ctx.getHeader('x-trace-id') ?? null });
  }
}

/** Service A: answers `orders.*` by calling B through an injected PicomClient. */
@Controller()
class OrdersController {
  constructor(@Inject(INVENTORY) private readonly inventory: PicomClient) {}

  @MessagePattern('place')
  place(@Payload() data: { sku: string; qty: number }): Observable<unknown> {
    return this.inventory.send('inventory.reserve', data).pipe(map((r) => ({ order: 'ok', reservation: r })));
  }

  @MessagePattern('placeTraced')
  async placeTraced(@Payload() data: { sku: string; qty: number; trace: string }) {
    const record = new PicomRecordBuilder({ sku: data.sku, qty: data.qty }).setHeaders({ 'x-trace-id': data.trace }).build();
    return firstValueFrom(this.inventory.send('inventory.reserve', record));
  }

  @MessagePattern('placeOrExplain')
  async placeOrExplain(@Payload() data: { sku: string; qty: number }) {
    try {
      return await firstValueFrom(this.inventory.send('inventory.reserve', data));
    } catch (err) {
      const e = err as Error & { code?: string; available?: number };
      return { isError: e instanceof Error, message: e.message, code: e.code, available: e.available };
    }
  }

  @MessagePattern('placeOrRethrow')
  async placeOrRethrow(@Payload() data: { sku: string; qty: number }) {
    try {
      return await firstValueFrom(this.inventory.send('inventory.reserve', data));
    } catch (err) {
      const e = err as Error & { code?: string };
      throw new RpcException({ message: `Order failed: ${e.message}`, code: e.code });
    }
  }

  @MessagePattern('crashDownstream')
  crashDownstream() {
    return this.inventory.send('inventory.crash', {});
  }

  @MessagePattern('notify')
  async notify(@Payload() data: unknown) {
    await lastValueFrom(this.inventory.emit('inventory.restocked', data), { defaultValue: undefined });
    return 'sent';
  }
}

describe('Nest to Nest: a Nest microservice calls another through an injected PicomClient', () => {
  let nats: NatsServerHandle;
  let inventory: NestService;
  let orders: NestService;
  let caller: Picom;
  let ordersClient: PicomClient;

  before(async () => {
    nats = await startNatsServer();
    inventory = await createNestService({ controllers: [InventoryController] }, { service: 'inventory', servers: [nats.url] });
    orders = await createNestService(
      {
        imports: [
          ClientsModule.register([{ name: INVENTORY, customClass: PicomClient, options: { servers: [nats.url], timeout: 3_000 } }]),
        ],
        controllers: [OrdersController],
      },
      { service: 'orders', servers: nats.hostport },
    );
    ordersClient = orders.app.get<PicomClient>(INVENTORY);
    caller = new Picom('shop', { servers: [nats.url], timeout: 3_000 });
  });

  after(async () => {
    await closeAll(caller, orders, inventory);
    await nats?.stop();
  });

  it('the injected client is a PicomClient', () => {
    assert.ok(ordersClient instanceof PicomClient);
  });

  it('a request flows caller → orders (Nest) → inventory (Nest) and back', async () => {
    assert.deepEqual(await caller.request('orders.place', { sku: 'apple', qty: 3 }), {
      order: 'ok',
      reservation: { sku: 'apple', reserved: 3, trace: null, method: 'reserve' },
    });
  });

  it('per-call headers from PicomRecordBuilder reach the downstream PicomContext', async () => {
    const result = await caller.request('orders.placeTraced', { sku: 'pear', qty: 1, trace: 'trace-77' });
    assert.deepEqual(result, { sku: 'pear', reserved: 1, trace: 'trace-77', method: 'reserve' });
  });

  it('a downstream RpcException arrives in the calling handler as an Error with its fields', async () => {
    assert.deepEqual(await caller.request('orders.placeOrExplain', { sku: 'plum', qty: 50 }), {
      isError: true,
      message: 'Not enough plum',
      code: 'E_STOCK',
      available: 10,
    });
  });

  it('a handler can turn a downstream failure into its own RpcException', async () => {
    await assert.rejects(caller.request('orders.placeOrRethrow', { sku: 'kiwi', qty: 50 }), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'Order failed: Not enough kiwi');
      assert.equal((err as Error & { code?: string }).code, 'E_STOCK');
      return true;
    });
  });

  it('an unknown downstream exception stays "Internal server error" all the way', async () => {
    await assert.rejects(caller.request('orders.crashDownstream', {}), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'Internal server error');
      assert.doesNotMatch(JSON.stringify({ ...err, m: err.message }), /inventory internals/);
      return true;
    });
  });

  it('an event emitted by one Nest service reaches the other', async () => {
    const before = stockEvents.length;
    assert.equal(await caller.request('orders.notify', { sku: 'fig', qty: 100 }), 'sent');
    await waitUntil(() => stockEvents.length > before, { message: 'the event did not arrive' });
    assert.deepEqual(stockEvents.at(-1), { data: { sku: 'fig', qty: 100 }, trace: null });
  });

  it('dispatch-hook metadata set on the injected client arrives as headers downstream', { skip: NEST_LACKS.dispatchHook }, async (t) => {
    ordersClient.setOnDispatchHook((packet) => {
      packet.metadata = { 'x-trace-id': 'from-hook' };
    });
    t.after(() => ordersClient.setOnDispatchHook(() => undefined));
    assert.deepEqual(await caller.request('orders.place', { sku: 'lime', qty: 2 }), {
      order: 'ok',
      reservation: { sku: 'lime', reserved: 2, trace: 'from-hook', method: 'reserve' },
    });
  });

  it('a PicomClient outside Nest calls the Nest services directly', async (t) => {
    const client = new PicomClient({ servers: nats.url, timeout: 3_000 });
    t.after(() => client.close());
    assert.deepEqual(await firstValueFrom(client.send('orders.place', { sku: 'date', qty: 1 })), {
      order: 'ok',
      reservation: { sku: 'date', reserved: 1, trace: null, method: 'reserve' },
    });
  });
});
