/**
 * Random input on the MQTT handler: whatever a device sends, it gets exactly one answer on
 * `…/accepted` or `…/rejected` (400/409/413 — never a 500), and the handler never throws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { shadowHarness } from './test-helpers.js';

const P = '$aws/things/dev1/shadow';

function answers(h: Awaited<ReturnType<typeof shadowHarness>>, op: string): Record<string, unknown>[] {
  return [...h.sent(`${P}/${op}/accepted`), ...h.sent(`${P}/${op}/rejected`)];
}

const nested = (levels: number, leaf: unknown): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = i % 3 === 0 ? [v] : { k: v };
  return v;
};

test('random documents: one clean answer per request, never a 500 or a throw', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  const section = fc.oneof(
    fc.constant(null),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 8 }), { maxKeys: 6 }),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const body = fc.oneof(
    fc.record(
      {
        state: fc.oneof(
          fc.record({ desired: section, reported: section }, { requiredKeys: [] }),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        version: fc.oneof(fc.nat(5), fc.double(), fc.string()),
        clientToken: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue({ maxDepth: 4 }),
  );
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(body, async (b) => {
      await h.broker.inject('dev1', `${P}/update`, JSON.stringify(b) ?? 'null');
      sent++;
      const all = answers(h, 'update');
      assert.equal(all.length, sent);
      for (const r of h.sent(`${P}/update/rejected`))
        assert.ok([400, 409, 413].includes(r.code as number), JSON.stringify(r));
    }),
    { numRuns: 300 },
  );
});

test('random bytes, deep nesting and huge arrays are rejected cleanly', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
      await h.broker.inject('dev1', `${P}/update`, Buffer.from(bytes));
      sent++;
      assert.equal(answers(h, 'update').length, sent);
    }),
    { numRuns: 200 },
  );
  const deep = '{"state":{"reported":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}}';
  const hostile = [
    deep,
    JSON.stringify({ state: { reported: nested(7, 1) } }),
    JSON.stringify({ state: { desired: { arr: Array.from({ length: 10_000 }, (_, i) => i) } } }),
    JSON.stringify({ state: { desired: { s: 'x'.repeat(70_000) } } }),
    '{"state":{"desired":{"__proto__":{"polluted":true}}}}',
  ];
  const outcomes: unknown[] = [];
  for (const payload of hostile) {
    const acc = h.sent(`${P}/update/accepted`).length;
    const rej = h.sent(`${P}/update/rejected`);
    await h.broker.inject('dev1', `${P}/update`, payload);
    const after = h.sent(`${P}/update/rejected`);
    outcomes.push(
      after.length > rej.length
        ? after.at(-1)?.code
        : h.sent(`${P}/update/accepted`).length > acc
          ? 'accepted'
          : 'none',
    );
  }
  // deep nesting → 400, 7 levels → 400, 10,000-element array (≈49 KB) → accepted, 70 KB → 413, __proto__ → 400
  assert.deepEqual(outcomes, [400, 400, 'accepted', 413, 400]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  // Random requests on get/delete too
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('get', 'delete'), async (b, op) => {
      const before = answers(h, op).length;
      await h.broker.inject('dev1', `${P}/${op}`, JSON.stringify(b) ?? '');
      assert.equal(answers(h, op).length, before + 1);
    }),
    { numRuns: 100 },
  );
});
