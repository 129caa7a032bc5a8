import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Session } from './session.js';
import { packSubscription } from './subscription.js';
import type { Subscription } from './types.js';

const FIELDS = ['clientId', 'raw', 'filter', 'group', 'qos', 'nl', 'rap', 'rh', 'subId'] as const;
const fields = (s: Subscription): Record<string, unknown> => Object.fromEntries(FIELDS.map((k) => [k, s[k]]));

test('a packed subscription reads back every field it was given', () => {
  const cases: Subscription[] = [];
  for (const qos of [0, 1, 2] as const)
    for (const nl of [false, true])
      for (const rap of [false, true])
        for (const rh of [0, 1, 2])
          for (const [raw, filter, group] of [
            ['dev/1/cmd', 'dev/1/cmd', undefined],
            ['$share/g1/dev/+/cmd', 'dev/+/cmd', 'g1'],
          ] as const)
            for (const subId of [undefined, 1, 268_435_455])
              cases.push({ clientId: 'c', raw, filter, group, qos, nl, rap, rh, subId });
  for (const c of cases) assert.deepEqual(fields(packSubscription(c)), fields(c));
});

test('a session holds one subscription directly, a map from the second, and back', () => {
  const s = new Session('c');
  const sub = (raw: string, qos: 0 | 1 = 0): Subscription =>
    packSubscription({
      clientId: 'c',
      raw,
      filter: raw,
      group: undefined,
      qos,
      nl: false,
      rap: false,
      rh: 0,
      subId: undefined,
    });
  assert.equal(s.subCount, 0);
  assert.deepEqual([...s.subscriptions()], []);
  assert.equal(s.deleteSub('a'), false);

  const a = sub('a');
  s.setSub(a);
  assert.equal(s.subCount, 1);
  assert.equal(s.getSub('a'), a);
  assert.equal(s.getSub('b'), undefined);
  assert.equal(s.hasSub('b'), false);

  const a1 = sub('a', 1);
  s.setSub(a1); // replaces [MQTT-3.8.4-3]
  assert.equal(s.subCount, 1);
  assert.equal(s.getSub('a'), a1);

  const b = sub('b');
  s.setSub(b);
  assert.equal(s.subCount, 2);
  assert.deepEqual([...s.subscriptions()], [a1, b]);
  assert.equal(s.deleteSub('a'), true);
  assert.equal(s.deleteSub('a'), false);
  assert.deepEqual([...s.subscriptions()], [b]);
  assert.equal(s.hasSub('b'), true);

  s.clearSubs();
  assert.equal(s.subCount, 0);
  assert.equal(s.getSub('b'), undefined);
});
