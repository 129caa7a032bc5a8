// Keep-alive across the move of the connections' `lastSeen` time base (broker.ts `rebaseSeen`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IDisconnectPacket } from 'mqtt-packet';
import { ManualClock, type DisconnectReason } from '../core/index.js';
import { RawClient, startTestBroker } from './test-helpers.js';

test('[MQTT-3.1.2-24] keep-alive is judged the same when the sweep moves the lastSeen base (~12 days up)', async (t) => {
  const clock = new ManualClock();
  const tb = await startTestBroker({ listen: false, clock });
  t.after(() => tb.close());
  const reasons: DisconnectReason[] = [];
  tb.broker.setHooks({ onDisconnect: (_c, r) => reasons.push(r) });
  // Just before the base moves (2^30 ms after the broker started).
  clock.advance(2 ** 30 - 5_000);
  const c = new RawClient(tb.broker, 5);
  await c.connect('ka', { keepalive: 10 });
  const [conn] = [...tb.broker.connections()];
  const before = conn!.lastSeen;
  clock.advance(14_000); // the sweep moved the base meanwhile
  assert.ok(conn!.lastSeen < before, 'lastSeen moved with the base');
  assert.ok(Number.isInteger(conn!.lastSeen) && Math.abs(conn!.lastSeen) < 2 ** 30);
  assert.equal(tb.broker.isConnected('ka'), true, '14 s < 1.5 × 10 s');
  c.send({ cmd: 'pingreq' });
  await c.next('pingresp');
  clock.advance(14_000);
  assert.equal(tb.broker.isConnected('ka'), true, 'the PINGREQ reset the timer');
  clock.advance(2_000);
  assert.equal(((await c.next('disconnect')) as IDisconnectPacket).reasonCode, 0x8d);
  assert.deepEqual(reasons, ['keepalive_timeout']);
});
