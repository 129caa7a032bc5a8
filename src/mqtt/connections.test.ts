// The broker's open connections: before CONNECT in the sessions room's own set, after it through
// their sessions (sessions.ts `connections()`; no second index per connection: idle memory).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IDisconnectPacket } from 'mqtt-packet';
import { ManualClock } from '../core/index.js';
import { RawClient, startTestBroker } from './test-helpers.js';

test('every open connection is listed once, before and after CONNECT, across a takeover and a close', async (t) => {
  const tb = await startTestBroker({ listen: false });
  t.after(() => tb.close());
  const open = (): number => [...tb.broker.connections()].length;
  const a = new RawClient(tb.broker, 5);
  const b = new RawClient(tb.broker, 5);
  assert.equal(open(), 2, 'before CONNECT');
  await a.connect('a');
  await b.connect('b');
  assert.equal(open(), 2, 'after CONNECT: through their sessions, not listed twice');
  const a2 = new RawClient(tb.broker, 5);
  await a2.connect('a'); // takeover: the first 'a' is closed
  await a.waitClosed();
  assert.equal(open(), 2);
  b.end();
  for (let i = 0; i < 100 && open() > 1; i++) await new Promise((r) => setImmediate(r));
  assert.equal(open(), 1);
  assert.equal(tb.broker.isConnected('b'), false);
});

test('the sweep still times out a connection found only through its session, and shutdown closes it', async (t) => {
  const clock = new ManualClock();
  const tb = await startTestBroker({ listen: false, clock });
  let closed = false;
  t.after(() => (closed ? undefined : tb.close()));
  const ka = new RawClient(tb.broker, 5);
  await ka.connect('ka', { keepalive: 10 });
  const idle = new RawClient(tb.broker, 5);
  await idle.connect('idle');
  clock.advance(16_000);
  await new Promise((r) => setImmediate(r)); // closeTimedOut runs after the next poll
  assert.equal(((await ka.next('disconnect')) as IDisconnectPacket).reasonCode, 0x8d, 'keep-alive timeout');
  assert.equal(tb.broker.isConnected('idle'), true, 'keep-alive 0');
  await tb.close();
  closed = true;
  assert.equal(
    ((await idle.next('disconnect')) as IDisconnectPacket).reasonCode,
    0x8b,
    'server shutting down',
  );
});
