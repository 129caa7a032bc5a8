import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, ManualClock, silentLogger, type TsunaguEvents } from '../core/index.js';
import { Connectivity } from './connectivity.js';
import { LocalPresence } from './presence.js';
import type { RegistryStore } from './registry-store.js';

const WINDOW = 10 * 60_000;

function connectivity() {
  const clock = new ManualClock();
  const bus = new EventBus();
  const store = { writeBatch: () => Promise.resolve() } as unknown as RegistryStore;
  const c = new Connectivity(
    store,
    new LocalPresence('n1'),
    bus,
    clock,
    silentLogger,
    { flapping: { connects: 3, windowMs: WINDOW }, flushMs: 250, maxBatch: 500 },
    () => undefined,
  );
  c.start();
  const flapping: TsunaguEvents['device.flapping'][] = [];
  bus.on('device.flapping', (e) => flapping.push(e));
  const connect = (deviceId: string): void =>
    bus.emit('device.connected', {
      deviceId,
      at: clock.now(),
      remoteAddress: '10.0.0.1',
      protocolVersion: 4,
      keepalive: 60,
      cleanStart: true,
    });
  return { c, clock, connect, flapping };
}

test('a device that connected once holds no connect time here (presence has it); a second connect in the window does', async () => {
  const { c, clock, connect, flapping } = connectivity();
  for (let i = 0; i < 100; i++) connect(`d${i}`);
  assert.equal(c.trackedConnects, 0);
  clock.advance(1_000);
  connect('d0');
  assert.equal(c.trackedConnects, 1, 'd0: its first connect (from presence) and this one');
  clock.advance(1_000);
  connect('d0');
  assert.equal(flapping.length, 1, 'three connects within the window');
  assert.equal(flapping[0]?.connects, 3);
  await c.stop();
});

test('connect times leave with the flapping window: devices that reconnected once and stay are not held for good', async () => {
  const { c, clock, connect } = connectivity();
  for (let i = 0; i < 100; i++) connect(`d${i}`);
  clock.advance(1_000);
  for (let i = 0; i < 100; i++) connect(`d${i}`);
  assert.equal(c.trackedConnects, 100);
  clock.advance(WINDOW - 1_001);
  connect('d0');
  assert.equal(c.trackedConnects, 100, 'still within the window');
  clock.advance(1_001);
  connect('next');
  assert.equal(c.trackedConnects, 1, 'only d0, whose last connect is within the window');
  clock.advance(WINDOW);
  connect('next');
  assert.equal(c.trackedConnects, 0);
  await c.stop();
});

test('flapping is counted as before across a prune', async () => {
  const { c, clock, connect, flapping } = connectivity();
  connect('f');
  clock.advance(WINDOW - 2);
  connect('f');
  clock.advance(2); // the first connect left the window; a prune runs on this connect
  connect('f');
  assert.equal(flapping.length, 0, 'two connects within the window');
  clock.advance(1_000);
  connect('f');
  assert.equal(flapping.length, 1);
  assert.equal(flapping[0]?.connects, 3);
  await c.stop();
});

test("a connect before the window does not count (presence's time is older than the window)", async () => {
  const { c, clock, connect, flapping } = connectivity();
  connect('g');
  clock.advance(WINDOW);
  connect('g');
  connect('g');
  assert.equal(flapping.length, 0);
  assert.equal(c.trackedConnects, 1);
  await c.stop();
});
