/**
 * A QoS 1/2 forward re-sent to the node that adopted a dead member's sessions, which does not
 * answer in time (found by `bench cluster --only kill` at 10,000 devices: under load the adopter's
 * answer took longer than the forward timeout). The rejection belongs to the caller (the
 * publisher is not acknowledged); nothing else may leave it unobserved — an unhandled rejection
 * ends a Node process, and here it ended both survivors of a kill -9.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { silentLogger } from '../core/index.js';
import { NATS_URL, requireNats } from '../test-support/services.js';
import { GoneMembers } from './gone-members.js';

test('nats: a re-sent forward the adopter does not answer rejects for its caller only (no unhandled rejection)', async (t) => {
  if (!(await requireNats(t))) return;
  const nc = await connect({ servers: NATS_URL });
  const base = `tsunagu.test.${randomBytes(4).toString('hex')}.mqtt`;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown): void => void unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  t.after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await nc.close();
  });
  const silentAdopter = nc.subscribe(`${base}.f.adopter`); // listens, never answers
  await nc.flush();
  const stats = { redelivered: 0, forwardTimeouts: 0 };
  const gone = new GoneMembers({
    nc,
    base,
    log: silentLogger,
    member: 'origin',
    ackTimeoutMs: 200,
    orphanWaitMs: 5000,
    stats,
    deliverHere: async () => undefined,
    liveMembers: () => ['adopter'],
  });
  gone.adoptedBy.set('dead', 'adopter');

  await assert.rejects(
    gone.redeliver(
      'dead',
      { t: 'devices/d1/heartbeat', q: 1 },
      Buffer.from('{}'),
      undefined,
      () => undefined,
    ),
    (err: Error & { code?: string }) => err.code === 'TIMEOUT',
  );
  await new Promise((r) => setTimeout(r, 100)); // unhandled rejections are reported after a turn
  assert.equal(stats.forwardTimeouts, 1);
  assert.deepEqual(unhandled, [], 'no rejection left unobserved');
  silentAdopter.unsubscribe();
});
