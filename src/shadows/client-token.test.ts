/** clientToken recovery from payloads that cannot be parsed: fixtures and random bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clientTokenOf, recoverClientToken, TOKEN_SCAN_BYTES } from './client-token.js';

const b = (s: string): Buffer => Buffer.from(s);

test('fixtures: found where a client puts it, refused when it could not be a valid token', () => {
  const cases: [string, string | undefined][] = [
    ['{"clientToken":"a1","state":{oops', 'a1'],
    ['{"state":{oops}, "clientToken" :\n "a2"}', 'a2'],
    ['{"clientToken":"with \\"quote\\" and \\u00e9"', 'with "quote" and é'],
    [`{"clientToken":"${'x'.repeat(64)}"`, 'x'.repeat(64)],
    [`{"clientToken":"${'x'.repeat(65)}"`, undefined],
    ['{"clientToken":"bad \\q escape"', undefined],
    ['{"clientToken":5}', undefined],
    ['{"clientToken":"unterminated', undefined],
    ['nothing here', undefined],
  ];
  for (const [payload, want] of cases) assert.equal(recoverClientToken(b(payload)), want, payload);
});

test('a large payload: the token at the end (SDKs) or at the start is found; the middle is not scanned', () => {
  const filler = 'x'.repeat(100_000);
  assert.equal(recoverClientToken(b(`{"state":{"reported":{"s":"${filler}"}},"clientToken":"end"}`)), 'end');
  assert.equal(recoverClientToken(b(`{"clientToken":"start","state":{"reported":{"s":"${filler}"`)), 'start');
  const middle = `{"a":"${'y'.repeat(TOKEN_SCAN_BYTES)}","clientToken":"mid","b":"${'y'.repeat(TOKEN_SCAN_BYTES)}"}`;
  assert.equal(recoverClientToken(b(middle)), undefined);
  assert.equal(clientTokenOf(b('{"clientToken":"p","state":{}}')), 'p');
});

test('random payloads never throw and only ever give a token of at most 64 bytes', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
        fc.string({ maxLength: 120 }).map((s) => b(`{"clientToken":"${s}`)),
        fc.string({ maxLength: 120 }).map((s) => b(`{"clientToken":${s}}`)),
      ),
      (payload) => {
        const t = recoverClientToken(payload);
        assert.ok(t === undefined || Buffer.byteLength(t) <= 64);
        clientTokenOf(payload);
      },
    ),
    { numRuns: 2000 },
  );
});
