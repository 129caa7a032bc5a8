/**
 * The single-node presence seam: connection counting across a takeover (the old close reported
 * after the new open), last-seen never moving back, and one change per transition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalPresence, type PresenceChange } from './presence.js';

test('LocalPresence: a takeover keeps the device connected; one change per transition', async () => {
  const p = new LocalPresence('n1');
  const changes: PresenceChange[] = [];
  p.onChange((c) => changes.push(c));
  p.connected('d1', 100);
  p.connected('d1', 200); // takeover: the new connection opens before the old one closes
  assert.equal(p.disconnected('d1', 210), false, 'not the last connection');
  assert.equal(p.isConnected('d1'), true);
  assert.deepEqual(p.where('d1'), [{ deviceId: 'd1', nodeId: 'n1', member: 'n1', since: 200 }]);
  assert.deepEqual(await p.locate('d1'), p.where('d1'));
  assert.equal(p.connectedCount(), 1);
  assert.equal(p.disconnected('d1', 300), true, 'the last connection');
  assert.equal(p.isConnected('d1'), false);
  assert.deepEqual(p.where('d1'), []);
  assert.equal(p.disconnected('d1', 400), false, 'a close without an open changes nothing');
  assert.deepEqual(
    changes.map((c) => [c.deviceId, c.online, c.at, c.cause]),
    [
      ['d1', true, 100, 'connect'],
      ['d1', false, 300, 'disconnect'],
    ],
  );
});

test('LocalPresence: last-seen moves forward only', () => {
  const p = new LocalPresence('n1');
  assert.equal(p.lastSeenAt('d1'), undefined);
  assert.equal(p.seen('d1', 500), true);
  assert.equal(p.seen('d1', 400), false);
  assert.equal(p.seen('d1', 500), false);
  p.connected('d1', 450);
  assert.equal(p.lastSeenAt('d1'), 500);
  assert.equal(p.isLocal('d1'), true);
  p.disconnected('d1', 900);
  assert.equal(p.lastSeenAt('d1'), 900);
});

test('LocalPresence: a throwing listener does not stop the others', () => {
  const p = new LocalPresence('n1');
  let seen = 0;
  p.onChange(() => {
    throw new Error('boom');
  });
  p.onChange(() => seen++);
  p.connected('d1', 1);
  assert.equal(seen, 1);
});
