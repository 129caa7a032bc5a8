/**
 * Device ids are a documented character set (AWS IoT thing names: `[A-Za-z0-9:_-]`, 1–128 bytes):
 * NUL, right-to-left overrides and other invisible or look-alike characters would let an id spoof
 * another in the console and in logs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDeviceId } from './validate.js';
import { startRegistryHarness } from './testing.js';

const GOOD = ['sc-0001', 'boiler_7', 'arn:thing:1', 'A', 'x'.repeat(128)];
const BAD = [
  '',
  'x'.repeat(129),
  'sc\u0000001',
  'sc-\u202E1000', // right-to-left override: shows as "sc-0001" reversed
  'sc\u200B001', // zero-width space
  'ѕс-0001', // Cyrillic look-alikes
  'sc 1',
  'a/b',
  'a+b',
  'a#b',
  '$a',
  'a.b',
  'é',
];

test('device ids: the documented character set and length', () => {
  for (const id of GOOD) assert.equal(checkDeviceId(id), id);
  for (const id of BAD)
    assert.throws(() => checkDeviceId(id), /letters, digits, ":", "_" or "-"/, JSON.stringify(id));
});

test('the API refuses a spoofing device id with 422 naming the field', async (t) => {
  const h = await startRegistryHarness();
  t.after(() => h.close());
  for (const id of ['sc\u0000001', 'sc-\u202E1000']) {
    const r = await h.http.inject({
      method: 'POST',
      url: '/api/v1/devices',
      headers: h.auth,
      payload: { id },
    });
    assert.equal(r.statusCode, 422, r.body);
    assert.equal(r.json<{ error: { field: string } }>().error.field, 'body.id');
  }
  const ok = await h.http.inject({
    method: 'POST',
    url: '/api/v1/devices',
    headers: h.auth,
    payload: { id: 'sc-0001' },
  });
  assert.equal(ok.statusCode, 201, ok.body);
});
