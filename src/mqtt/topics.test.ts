import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filterMatches, parseFilter, topicNameError } from './topics.js';
import { SubscriptionTrie } from './trie.js';
import type { Subscription } from './types.js';

const L = { maxTopicLength: 100, maxTopicLevels: 5 };

/** A plain QoS 0 subscription to `filter` by a client of that name (`clientId` as given). */
const plainSub = (filter: string, clientId = filter): Subscription => ({
  clientId,
  raw: filter,
  filter,
  group: undefined,
  qos: 0,
  nl: false,
  rap: false,
  rh: 0,
  subId: undefined,
});

/** A seeded linear congruential generator: `rnd(n)` is in [0, n), the same sequence every run. */
function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
}

describe('topics', () => {
  test('topic names [MQTT-4.7.1-1, MQTT-4.7.3-1] and limits', () => {
    assert.equal(topicNameError('a/b', L), null);
    assert.equal(topicNameError('', L), 'invalid');
    assert.equal(topicNameError('a/+', L), 'invalid');
    assert.equal(topicNameError('a/#', L), 'invalid');
    assert.equal(topicNameError('a/b/c/d/e/f', L), 'limit');
    assert.equal(topicNameError('x'.repeat(101), L), 'limit');
  });

  test('filters [MQTT-4.7.1-2/3] and shared subscriptions', () => {
    for (const ok of ['#', '+', 'a/+/b', 'a/#', '+/+', '/', '$SYS/#']) assert.ok(parseFilter(ok, L), ok);
    for (const bad of [
      '',
      'a#',
      'a/#/b',
      'a+/b',
      '#/a',
      '$share/g',
      '$share//a',
      '$share/g+/a',
      'a/b/c/d/e/f',
    ])
      assert.equal(parseFilter(bad, L), null, bad);
    assert.deepEqual(parseFilter('$share/grp/a/+', L), { filter: 'a/+', group: 'grp' });
  });

  const table: [string, string, boolean][] = [
    ['a/b', 'a/b', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', 'a/b', true],
    ['+/+', '/x', true],
    ['+', '/x', false],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['a/+/c', 'a//c', true],
  ];

  test('filterMatches and the trie agree on a fixture table ([MQTT-4.7.2-1] for $ topics)', () => {
    for (const [filter, topic, want] of table) {
      assert.equal(filterMatches(filter, topic), want, `${filter} ~ ${topic}`);
      const trie = new SubscriptionTrie();
      const sub = plainSub(filter, 'c');
      trie.add(sub);
      assert.equal(trie.match(topic).subs.length, want ? 1 : 0, `trie: ${filter} ~ ${topic}`);
      trie.remove(sub);
      assert.equal(trie.match(topic).subs.length, 0, 'removal clears the cache');
    }
  });

  test('trie matches random filters like the reference matcher', () => {
    const rnd = seeded(7);
    const words = ['a', 'b', '$x', ''];
    const trie = new SubscriptionTrie();
    const filters: string[] = [];
    for (let i = 0; i < 200; i++) {
      const n = 1 + rnd(4);
      const parts = Array.from({ length: n }, (_, k) =>
        k === n - 1 && rnd(4) === 0 ? '#' : rnd(3) === 0 ? '+' : words[rnd(words.length)]!,
      );
      const f = parts.join('/');
      if (!parseFilter(f, L) || filters.includes(f)) continue;
      filters.push(f);
      trie.add(plainSub(f));
    }
    for (let i = 0; i < 500; i++) {
      const n = 1 + rnd(4);
      const topic = Array.from({ length: n }, () => words[rnd(words.length)]!).join('/');
      const got = trie
        .match(topic)
        .subs.map((s) => s.filter)
        .sort();
      const want = filters.filter((f) => filterMatches(f, topic)).sort();
      assert.deepEqual(got, want, topic);
    }
  });
  test('trie matches like the reference matcher through random adds and removes (one child held without a Map, then a Map, then none)', () => {
    const rnd = seeded(11);
    const words = ['d1', 'd2', 'cmd', '+', '#'];
    const trie = new SubscriptionTrie();
    const held = new Set<string>();
    const sub = plainSub;
    for (let i = 0; i < 3000; i++) {
      const n = 1 + rnd(3);
      const f = Array.from({ length: n }, (_, k) => words[rnd(k === n - 1 ? 5 : 4)]!).join('/');
      if (!parseFilter(f, L)) continue;
      if (held.has(f) && rnd(2) === 0) {
        trie.remove(sub(f));
        held.delete(f);
      } else {
        trie.add(sub(f));
        held.add(f);
      }
      if (i % 10 !== 0) continue;
      const topic = Array.from({ length: 1 + rnd(3) }, () => words[rnd(3)]!).join('/');
      const got = trie
        .match(topic)
        .subs.map((s) => s.filter)
        .sort();
      assert.deepEqual(got, [...held].filter((x) => filterMatches(x, topic)).sort(), `${i}: ${topic}`);
      assert.equal(trie.size, held.size);
    }
  });
  test('a subscription held as a leaf turns into a node when more arrives there or below, and back', () => {
    const sub = (clientId: string, filter: string, group?: string, qos: 0 | 1 = 0): Subscription => ({
      clientId,
      raw: group ? `$share/${group}/${filter}` : filter,
      filter,
      group,
      qos,
      nl: false,
      rap: false,
      rh: 0,
      subId: undefined,
    });
    const ids = (trie: SubscriptionTrie, topic: string): string[] =>
      trie
        .match(topic)
        .subs.map((s) => `${s.clientId}:${s.qos}`)
        .sort();
    const trie = new SubscriptionTrie();
    trie.add(sub('c1', 'a/b'));
    assert.deepEqual(ids(trie, 'a/b'), ['c1:0']);
    assert.deepEqual(ids(trie, 'a/b/c'), [], 'nothing below a leaf');
    trie.add(sub('c1', 'a/b', undefined, 1)); // the same client again: replaced, not added
    assert.equal(trie.size, 1);
    assert.deepEqual(ids(trie, 'a/b'), ['c1:1']);
    trie.add(sub('c2', 'a/b/#')); // below the leaf: "a/b/#" also matches "a/b"
    assert.deepEqual(ids(trie, 'a/b'), ['c1:1', 'c2:0']);
    assert.deepEqual(ids(trie, 'a/b/c'), ['c2:0']);
    trie.add(sub('c3', 'a/b')); // a second client at the leaf
    assert.deepEqual(ids(trie, 'a/b'), ['c1:1', 'c2:0', 'c3:0']);
    trie.remove(sub('c1', 'a/b'));
    trie.remove(sub('c2', 'a/b/#'));
    assert.deepEqual(ids(trie, 'a/b'), ['c3:0']);
    assert.equal(trie.size, 1);

    trie.add(sub('d1', 'x/y'));
    const h = { filter: 'x/y', fn: () => undefined };
    trie.addHandler('x/y', h); // a handler at a leaf
    assert.deepEqual(trie.match('x/y').handlers, [h]);
    assert.deepEqual(ids(trie, 'x/y'), ['d1:0']);
    trie.removeHandler('x/y', h);
    trie.add(sub('d2', 'x/y', 'g')); // a shared group at a leaf
    assert.equal(trie.match('x/y').shared[0]?.members[0]?.clientId, 'd2');
    assert.deepEqual(ids(trie, 'x/y'), ['d1:0']);
    trie.remove(sub('d2', 'x/y', 'g'));
    trie.remove(sub('zz', 'x/y')); // another client's filter: nothing removed
    trie.remove(sub('d1', 'x/y/z')); // below a leaf: nothing there
    assert.deepEqual(ids(trie, 'x/y'), ['d1:0']);
    trie.remove(sub('d1', 'x/y'));
    assert.deepEqual(ids(trie, 'x/y'), []);
    assert.equal(trie.size, 1);

    trie.add(sub('e1', 'top')); // a leaf at the first level, and "+" / "#" leaves
    trie.add(sub('e2', '+'));
    trie.add(sub('e3', '#'));
    assert.deepEqual(ids(trie, 'top'), ['e1:0', 'e2:0', 'e3:0']);
    assert.deepEqual(ids(trie, '$SYS'), []);
  });
});
