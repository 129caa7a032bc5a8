// SmallMap behaves like a Map for every sequence of operations (it only stores differently).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SmallMap } from './small-map.js';

test('SmallMap equals Map under random set/delete/clear sequences', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), k: fc.integer({ min: 0, max: 4 }), v: fc.integer() }),
    fc.record({ kind: fc.constant('delete' as const), k: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant('clear' as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const small = new SmallMap<number, number>();
      const ref = new Map<number, number>();
      for (const o of ops) {
        if (o.kind === 'set') {
          small.set(o.k, o.v);
          ref.set(o.k, o.v);
        } else if (o.kind === 'delete') assert.equal(small.delete(o.k), ref.delete(o.k));
        else {
          small.clear();
          ref.clear();
        }
        assert.equal(small.size, ref.size);
        for (let k = 0; k <= 4; k++) {
          assert.equal(small.has(k), ref.has(k));
          assert.equal(small.get(k), ref.get(k));
        }
        assert.deepEqual([...small.values()].sort(), [...ref.values()].sort());
      }
    }),
    { numRuns: 2000 },
  );
});
