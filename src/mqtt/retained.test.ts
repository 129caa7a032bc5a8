// The retained index answers exactly what a scan with filterMatches answers, for any topics and filters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RetainedIndex } from './retained.js';
import { filterMatches } from './topics.js';
import type { Message } from './types.js';

const msg = (topic: string): Message => ({
  topic,
  payload: Buffer.from(topic),
  qos: 0,
  retain: true,
  properties: undefined,
  publisherId: undefined,
  expiresAt: undefined,
});

const level = fc.constantFrom('a', 'b', 'c', '', '$SYS', '$aws', 'x y');
const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));
const filter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 4 }), fc.boolean())
  .map(([l, hash]) => (hash ? [...l, '#'] : l.length === 0 ? ['+'] : l).join('/'));

const sorted = (ms: Message[]): string[] => ms.map((m) => m.topic).sort();

test('match(filter) equals a scan with filterMatches [MQTT-4.7.1-2] [MQTT-4.7.2-1]', () => {
  fc.assert(
    fc.property(
      fc.array(topic, { maxLength: 30 }),
      fc.array(topic, { maxLength: 10 }),
      filter,
      (add, del, f) => {
        const idx = new RetainedIndex();
        for (const t of add) idx.set(t, msg(t));
        for (const t of del) idx.delete(t);
        const expected = [...idx.values()].filter((m) => filterMatches(f, m.topic));
        assert.deepEqual(sorted(idx.match(f)), sorted(expected), `filter ${f}`);
      },
    ),
    { numRuns: 2000 },
  );
});

test('fixture cases: parent level, $ topics, empty levels, replace and delete', () => {
  const idx = new RetainedIndex();
  for (const t of ['sport', 'sport/tennis', 'sport/tennis/player1', '$SYS/broker/uptime', '/a', 'a//b'])
    idx.set(t, msg(t));
  assert.deepEqual(sorted(idx.match('sport/#')), ['sport', 'sport/tennis', 'sport/tennis/player1']);
  assert.deepEqual(sorted(idx.match('sport/+')), ['sport/tennis']);
  assert.deepEqual(sorted(idx.match('#')), ['/a', 'a//b', 'sport', 'sport/tennis', 'sport/tennis/player1']);
  assert.deepEqual(sorted(idx.match('+/+/uptime')), []);
  assert.deepEqual(sorted(idx.match('$SYS/#')), ['$SYS/broker/uptime']);
  assert.deepEqual(sorted(idx.match('+/a')), ['/a']);
  assert.deepEqual(sorted(idx.match('a/+/b')), ['a//b']);
  idx.set('sport/tennis', { ...msg('sport/tennis'), payload: Buffer.from('new') });
  assert.equal(idx.match('sport/tennis')[0]!.payload.toString(), 'new');
  assert.equal(idx.size, 6);
  assert.equal(idx.delete('sport/tennis/player1'), true);
  assert.equal(idx.delete('sport/tennis/player1'), false);
  assert.equal(idx.delete('nope/x'), false);
  assert.deepEqual(sorted(idx.match('sport/#')), ['sport', 'sport/tennis']);
  idx.clear();
  assert.deepEqual(idx.match('#'), []);
});
