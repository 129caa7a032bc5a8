import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimAnswer } from './forward-receiver.js';
import { SeenMessages, type Answer } from './seen-messages.js';

const answer = (s: string): Answer => Buffer.from(s);

test('a message id is delivered once within the window; the resend gets the first answer', async () => {
  let now = 0;
  const seen = new SeenMessages(1000, 10, () => now);
  let deliveries = 0;
  const deliver = (): Promise<Answer> => {
    deliveries++;
    return Promise.resolve(answer(`d${deliveries}`));
  };
  assert.equal(String(await seen.once('a', deliver)), 'd1');
  now = 999;
  assert.equal(String(await seen.once('a', deliver)), 'd1');
  assert.equal(String(await seen.once('b', deliver)), 'd2', 'another id is delivered');
  assert.equal(seen.deduplicated, 1);
  now = 2100;
  assert.equal(String(await seen.once('a', deliver)), 'd3', 'past the window: delivered again');
});

test('a resend while the first delivery runs waits for it; a failed delivery is forgotten', async () => {
  const seen = new SeenMessages(1000, 10, () => 0);
  let finish!: (a: Answer) => void;
  let deliveries = 0;
  const first = seen.once('a', () => {
    deliveries++;
    return new Promise<Answer>((r) => (finish = r));
  });
  const second = seen.once('a', () => {
    deliveries++;
    return Promise.resolve(undefined);
  });
  finish(answer('queued'));
  assert.equal(String(await first), 'queued');
  assert.equal(String(await second), 'queued');
  assert.equal(deliveries, 1);

  await assert.rejects(seen.once('b', () => Promise.reject(new Error('not durable'))));
  assert.equal(await seen.once('b', () => Promise.resolve(undefined)), undefined);
  assert.equal(seen.deduplicated, 1, 'b was delivered again after its failure');
});

test('at most `max` ids are kept, the oldest dropped first', async () => {
  const seen = new SeenMessages(60_000, 2, () => 0);
  const ok = (): Promise<Answer> => Promise.resolve(undefined);
  for (const id of ['a', 'b', 'c']) await seen.once(id, ok);
  assert.equal(seen.size, 2);
  await seen.once('c', ok);
  assert.equal(seen.deduplicated, 1);
  await seen.once('a', ok);
  assert.equal(seen.deduplicated, 1, 'a was dropped');
});

test('a claim answer: 1/0 from older nodes, or held + handed resends; bad entries are ignored', () => {
  const b = (s: string): Uint8Array => Buffer.from(s);
  assert.deepEqual(claimAnswer(b('1')), { held: true, resends: [] });
  assert.deepEqual(claimAnswer(b('0')), { held: false, resends: [] });
  assert.deepEqual(claimAnswer(b('{"h":0,"r":[[7,"m","d",1000],[1.5,"m","d",1],["x"],5]}')), {
    held: false,
    resends: [[7, 'm', 'd', 1000]],
  });
  assert.deepEqual(claimAnswer(b('{not json')), { held: false, resends: [] });
});

test('an id marked here (this node published it) is answered, not delivered, when it comes back', async () => {
  const seen = new SeenMessages(1000, 10, () => 0);
  seen.mark('a');
  let delivered = false;
  await seen.once('a', () => ((delivered = true), Promise.resolve(undefined)));
  assert.equal(delivered, false);
});
