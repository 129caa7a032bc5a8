import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TsunaguError } from '../core/errors.js';
import {
  applyUpdate,
  computeDelta,
  decodePayload,
  getResponse,
  parseUpdate,
  type DocumentOptions,
  type ShadowDocument,
} from './document.js';
import { diffStates } from './diff.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const opts: DocumentOptions = { maxDocumentBytes: 64 * 1024, clearDesiredOnReport: false };

function upd(current: ShadowDocument | undefined, body: unknown, at = T0, o = opts) {
  return applyUpdate(current, 'dev1', '', parseUpdate(body), at, o);
}

function rejects(fn: () => unknown, status: number, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TsunaguError, String(err));
    assert.equal(err.statusCode, status);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('shadow request validation (AWS error messages)', () => {
  const cases: [string, unknown, number, string][] = [
    ['not an object', [1, 2], 400, 'Invalid JSON'],
    ['no state', { version: 1 }, 400, 'Missing required node: state'],
    ['state is a string', { state: 'x' }, 400, 'State node must be an object'],
    ['state is null', { state: null }, 400, 'State node must be an object'],
    ['desired is an array', { state: { desired: [1] } }, 400, 'Desired node must be an object'],
    ['reported is a number', { state: { reported: 3 } }, 400, 'Reported node must be an object'],
    ['unknown state node', { state: { delta: {} } }, 400, 'State contains an invalid node'],
    ['version is a string', { state: {}, version: '1' }, 400, 'Invalid version'],
    ['version is fractional', { state: {}, version: 1.5 }, 400, 'Invalid version'],
    ['clientToken too long', { state: {}, clientToken: 'x'.repeat(65) }, 400, 'Invalid clientToken'],
    ['clientToken not a string', { state: {}, clientToken: 5 }, 400, 'Invalid clientToken'],
    [
      'seven levels',
      { state: { desired: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } },
      400,
      'JSON contains too many levels of nesting; maximum is 6',
    ],
    // AWS shadow "Array values in shadow documents": arrays can't have null values.
    ['null in an array', { state: { desired: { colors: [null, 'RED'] } } }, 400, 'Invalid JSON'],
    ['null in a nested array', { state: { reported: { m: [[1, null]] } } }, 400, 'Invalid JSON'],
    ['null in an object inside an array', { state: { reported: { m: [{ a: null }] } } }, 400, 'Invalid JSON'],
    [
      '__proto__ key',
      JSON.parse('{"state":{"desired":{"__proto__":{"x":1}}}}'),
      400,
      'State contains an invalid node',
    ],
  ];
  for (const [name, body, status, message] of cases)
    test(name, () => rejects(() => parseUpdate(body), status, message));

  test('six levels are accepted', () => {
    const r = parseUpdate({ state: { desired: { a: { b: { c: { d: { e: { f: 1 } } } } } } } });
    assert.ok(r.state.desired);
  });

  test('payload decoding: invalid JSON, too large, empty', () => {
    rejects(() => decodePayload(Buffer.from('{nope'), 100), 400, 'Invalid JSON');
    rejects(
      () => decodePayload(Buffer.alloc(101, 32), 100),
      413,
      'The payload exceeds the maximum size allowed',
    );
    assert.deepEqual(decodePayload(Buffer.alloc(0), 100), {});
  });
});

describe('shadow merge, metadata and versions', () => {
  test('first update creates version 1 with per-field metadata in seconds', () => {
    const out = upd(undefined, {
      state: { desired: { color: 'red', light: { on: true } } },
      clientToken: 'ct',
    });
    assert.equal(out.next.version, 1);
    assert.deepEqual(out.next.state, { desired: { color: 'red', light: { on: true } } });
    const ts = T0 / 1000;
    assert.deepEqual(out.next.metadata, {
      desired: { color: { timestamp: ts }, light: { on: { timestamp: ts } } },
    });
    assert.equal(out.accepted.version, 1);
    assert.equal(out.accepted.clientToken, 'ct');
    assert.equal(out.accepted.timestamp, ts);
    assert.deepEqual(out.accepted.state, { desired: { color: 'red', light: { on: true } } });
    assert.equal(out.documents.previous, undefined);
    assert.deepEqual((out.documents.current as { version: number }).version, 1);
  });

  test('updates merge field by field; metadata only moves for touched fields', () => {
    const a = upd(undefined, { state: { reported: { color: 'red', temp: 20 } } });
    const b = upd(a.next, { state: { reported: { temp: 21 } } }, T0 + 5000);
    assert.deepEqual(b.next.state.reported, { color: 'red', temp: 21 });
    const meta = b.next.metadata.reported as Record<string, { timestamp: number }>;
    assert.equal(meta.color!.timestamp, T0 / 1000);
    assert.equal(meta.temp!.timestamp, T0 / 1000 + 5);
    assert.equal(b.next.version, 2);
    assert.deepEqual((b.documents.previous as { version: number }).version, 1);
  });

  test('arrays replace whole values', () => {
    const a = upd(undefined, { state: { reported: { list: [1, 2, 3] } } });
    const b = upd(a.next, { state: { reported: { list: [9] } } });
    assert.deepEqual(b.next.state.reported, { list: [9] });
  });

  test('array metadata has one timestamp per element; objects inside arrays mirror their fields', () => {
    const ts = T0 / 1000;
    const a = upd(undefined, {
      state: { desired: { colors: ['RED', 'GREEN'], pts: [{ x: 1, y: [2] }], v: 1 }, reported: { v: 1 } },
    });
    const expected = {
      colors: [{ timestamp: ts }, { timestamp: ts }],
      pts: [{ x: { timestamp: ts }, y: [{ timestamp: ts }] }],
      v: { timestamp: ts },
    };
    assert.deepEqual(a.next.metadata.desired, expected);
    assert.deepEqual((a.accepted.metadata as Record<string, unknown>).desired, expected);
    // The delta carries the desired metadata of exactly its fields, arrays per element too.
    assert.deepEqual(a.delta?.metadata, { colors: expected.colors, pts: expected.pts });
    const b = upd(a.next, { state: { desired: { colors: ['BLUE'] } } }, T0 + 7000);
    assert.deepEqual((b.next.metadata.desired as Record<string, unknown>).colors, [{ timestamp: ts + 7 }]);
    assert.deepEqual((b.next.metadata.desired as Record<string, unknown>).v, { timestamp: ts });
    // An array replacing an object (and back) replaces its metadata shape too.
    const c = upd(b.next, { state: { desired: { pts: { x: 3 } } } });
    assert.deepEqual((c.next.metadata.desired as Record<string, unknown>).pts, { x: { timestamp: ts } });
  });

  test('null deletes a field; an object emptied by deletes disappears; desired: null clears desired', () => {
    const a = upd(undefined, { state: { desired: { a: 1, n: { x: 1 } }, reported: { a: 0 } } });
    const b = upd(a.next, { state: { desired: { a: null, n: { x: null } } } });
    assert.equal(b.next.state.desired, undefined);
    assert.equal(b.next.metadata.desired, undefined);
    assert.deepEqual(b.next.state.reported, { a: 0 });
    const c = upd(a.next, { state: { desired: null } });
    assert.equal(c.next.state.desired, undefined);
    assert.deepEqual(c.accepted.state, { desired: null });
    assert.equal(c.delta, undefined);
  });

  test('version: matching version accepted, stale version is 409 Version conflict', () => {
    const a = upd(undefined, { state: { desired: { x: 1 } }, version: 0 });
    const b = upd(a.next, { state: { desired: { x: 2 } }, version: 1 });
    assert.equal(b.next.version, 2);
    rejects(() => upd(b.next, { state: { desired: { x: 3 } }, version: 1 }), 409, 'Version conflict');
  });

  test('a deleted shadow keeps its version; the next update continues it', () => {
    const a = upd(undefined, { state: { desired: { x: 1 } } });
    const tomb: ShadowDocument = { ...a.next, state: {}, metadata: {}, deleted: true };
    const b = upd(tomb, { state: { reported: { y: 1 } } });
    assert.equal(b.next.version, 2);
    assert.deepEqual(b.next.state, { reported: { y: 1 } });
    assert.equal(b.documents.previous, undefined);
  });

  test('document size limit is enforced on the resulting state', () => {
    const small = { ...opts, maxDocumentBytes: 100 };
    const a = upd(undefined, { state: { reported: { s: 'x'.repeat(40) } } }, T0, small);
    rejects(
      () => upd(a.next, { state: { desired: { s: 'y'.repeat(60) } } }, T0, small),
      413,
      'The payload exceeds the maximum size allowed',
    );
  });
});

describe('shadow delta', () => {
  test('only fields in desired that differ from reported, nested objects field by field', () => {
    const d = computeDelta(
      { color: 'red', temp: 20, light: { on: true, level: 5 }, list: [1, 2], extra: 'only-desired' },
      { color: 'red', temp: 19, light: { on: true, level: 3 }, list: [1, 2], other: 'only-reported' },
    );
    assert.deepEqual(d, { temp: 20, light: { level: 5 }, extra: 'only-desired' });
  });

  test('an update that leaves desired ≠ reported publishes a delta with desired metadata', () => {
    const a = upd(undefined, { state: { reported: { lock: 'unlocked' } } });
    assert.equal(a.delta, undefined);
    const b = upd(a.next, { state: { desired: { lock: 'locked' } }, clientToken: 'k' }, T0 + 1000);
    assert.deepEqual(b.delta?.state, { lock: 'locked' });
    assert.deepEqual(b.delta?.metadata, { lock: { timestamp: T0 / 1000 + 1 } });
    assert.equal(b.delta?.version, 2);
    assert.equal(b.delta?.clientToken, 'k');
    const c = upd(b.next, { state: { reported: { lock: 'locked' } } });
    assert.equal(c.delta, undefined);
    const got = getResponse(c.next, T0);
    assert.equal((got.state as Record<string, unknown>).delta, undefined);
    assert.deepEqual((got.state as Record<string, unknown>).desired, { lock: 'locked' });
  });

  test('get response includes state.delta when desired and reported differ', () => {
    const a = upd(undefined, { state: { desired: { t: 22 }, reported: { t: 20 } } });
    const got = getResponse(a.next, T0 + 2000, 'tok');
    assert.deepEqual(got.state, { desired: { t: 22 }, reported: { t: 20 }, delta: { t: 22 } });
    assert.equal(got.clientToken, 'tok');
    assert.equal(got.timestamp, T0 / 1000 + 2);
  });
});

describe('clearDesiredOnReport (model option)', () => {
  const clearing = { ...opts, clearDesiredOnReport: true };
  test('a report equal to desired removes that desired field only', () => {
    const a = upd(
      undefined,
      { state: { desired: { lock: 'locked', led: { color: 'red', on: true } } } },
      T0,
      clearing,
    );
    const b = upd(
      a.next,
      { state: { reported: { lock: 'locked', led: { color: 'red', on: false } } } },
      T0,
      clearing,
    );
    assert.deepEqual(b.next.state.desired, { led: { on: true } });
    assert.deepEqual(b.delta?.state, { led: { on: true } });
    const c = upd(b.next, { state: { reported: { led: { on: true } } } }, T0, clearing);
    assert.equal(c.next.state.desired, undefined);
    assert.equal(c.delta, undefined);
  });
  test('without the option desired stays', () => {
    const a = upd(undefined, { state: { desired: { lock: 'locked' } } });
    const b = upd(a.next, { state: { reported: { lock: 'locked' } } });
    assert.deepEqual(b.next.state.desired, { lock: 'locked' });
  });
});

describe('history diff', () => {
  test('added, removed and changed paths, arrays by index', () => {
    const changes = diffStates(
      { desired: { t: 20, mode: 'eco', list: [1, 2] }, reported: { a: { b: 1 } } },
      { desired: { t: 21, list: [1, 3, 4], 'odd key': true }, reported: { a: { b: 1 } } },
    );
    assert.deepEqual(changes, [
      { path: '$.desired.list[1]', op: 'changed', from: 2, to: 3 },
      { path: '$.desired.list[2]', op: 'added', to: 4 },
      { path: '$.desired.mode', op: 'removed', from: 'eco' },
      { path: '$.desired["odd key"]', op: 'added', to: true },
      { path: '$.desired.t', op: 'changed', from: 20, to: 21 },
    ]);
    assert.deepEqual(diffStates({ reported: { x: 1 } }, { reported: { x: 1 } }), []);
  });
});
