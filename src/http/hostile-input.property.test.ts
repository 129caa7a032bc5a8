/**
 * Every API route × hostile values: wrong types, huge and non-finite numbers, huge strings, NUL and
 * right-to-left characters, invalid UTF-8, deep JSON, arrays for scalars, encoded slashes in path
 * parameters. Whatever comes in, the answer is never a 5xx, never a stack trace, and every refusal
 * is the platform's error body. Routes come from the server's own route table, so a new route is
 * covered the day it is added. Bounded: RUNS requests per route (a few seconds in all).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import type { RouteEntry } from './route-table.js';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 12);

/** Routes that cannot answer a single request: the event stream never ends by design. */
const SKIP = new Set(['GET /api/v1/stream']);
/**
 * Body fields that make a valid request wait on purpose (`wait` long-polls a command for up to its
 * timeout); hostile values coerced to `true` would only make the test slow.
 */
const SLOW_FIELDS = new Set(['wait']);

const deepJson = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};

/** Values of every JSON type that break naive code: one of these replaces each field. */
const hostileJson = fc.constantFrom<unknown>(
  '',
  '\u0000',
  'a\u0000b',
  '\u202Eevil',
  '\uD800', // lone surrogate
  'x'.repeat(70_000),
  '../../etc/passwd',
  'Infinity',
  'NaN',
  '1e309',
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  false,
  null,
  [],
  [[]],
  ['a', 1, null],
  {},
  { __proto__: { admin: true } },
  { constructor: { prototype: { admin: true } } },
  deepJson(40),
);

/** Raw bodies that are not what any route expects. */
const hostileRawBody = fc.constantFrom<{ type: string; payload: string | Buffer }>(
  { type: 'application/json', payload: '['.repeat(100_000) + ']'.repeat(100_000) },
  { type: 'application/json', payload: '{"a":1e999}' },
  { type: 'application/json', payload: '{"a":' },
  {
    type: 'application/json',
    payload: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
  },
  { type: 'application/json', payload: '"just a string"' },
  { type: 'application/json', payload: '12345678901234567890123456789' },
  { type: 'application/json', payload: '{"__proto__":{"polluted":true}}' },
  { type: 'application/yaml', payload: 'a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b, *b]\n' },
  { type: 'application/yaml', payload: '!!js/function "function(){}"' },
  { type: 'application/yaml', payload: 'a: b: c' },
  { type: 'text/plain', payload: '\u0000\u202E' },
  { type: 'application/x-www-form-urlencoded', payload: 'a=1&a=2' },
);

/** Path parameter values, already percent-encoded as they travel in a URL. */
const hostileSegment = fc.constantFrom(
  'x',
  'a%2Fb',
  '..%2F..%2Fadmin',
  '%00',
  '%E2%80%AE',
  '%C3%28', // invalid UTF-8
  '%FF',
  '%',
  '%F0%9F%98%80',
  'x'.repeat(300),
  'x'.repeat(2000),
  '%20',
  'Infinity',
  '-1',
);

/** Query values, percent-encoded. */
const hostileQueryValue = fc.constantFrom(
  'Infinity',
  '-Infinity',
  'NaN',
  '1e309',
  '-1',
  '99999999999999999999999',
  '1.5',
  '',
  '%00',
  '%E2%80%AE',
  '%C3%28',
  'x'.repeat(5000),
  'true',
  '%5B%5D',
);

function props(schema: unknown): string[] {
  const p = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return p ? Object.keys(p) : [];
}

function requestFor(route: RouteEntry): fc.Arbitrary<InjectOptions> {
  const params = route.url.match(/:[A-Za-z]+/g) ?? [];
  const queryKeys = props(route.schema?.querystring);
  const bodyKeys = props(route.schema?.body).filter((k) => !SLOW_FIELDS.has(k));
  const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
  const jsonBody = fc.oneof(
    fc.dictionary(fc.constantFrom(...(bodyKeys.length ? bodyKeys : ['x'])), hostileJson, { maxKeys: 4 }),
    hostileJson,
  );
  return fc
    .record({
      segments: fc.array(hostileSegment, { minLength: params.length, maxLength: params.length }),
      query: fc.array(
        fc.tuple(fc.constantFrom(...(queryKeys.length ? queryKeys : ['q'])), hostileQueryValue),
        {
          maxLength: 3,
        },
      ),
      body: hasBody
        ? fc.oneof(
            jsonBody.map((v) => ({ type: 'application/json', payload: JSON.stringify(v) ?? 'null' })),
            hostileRawBody,
          )
        : fc.constant(undefined),
    })
    .map(({ segments, query, body }) => {
      let i = 0;
      const path = route.url.replace(/:[A-Za-z]+/g, () => segments[i++]!);
      const qs = query.map(([k, v]) => `${k}=${v}`).join('&');
      const req: InjectOptions = {
        method: route.method,
        url: qs ? `${path}?${qs}` : path,
      };
      if (body) {
        req.headers = { 'content-type': body.type };
        req.payload = body.payload;
      }
      return req;
    });
}

const STACK = /\n\s+at |node_modules|\.ts:\d+|\.js:\d+/;

let p: TestPlatform;
before(async () => {
  p = await startTestPlatform();
  const seed = async (url: string, payload: object) =>
    assert.ok(
      (await p.app.http.inject({ method: 'POST', url, headers: p.auth, payload })).statusCode < 300,
      url,
    );
  await seed('/api/v1/device-models', { name: 'x' });
  await seed('/api/v1/devices', { id: 'x', model: 'x' });
});
after(() => p.close());

test('every route answers hostile input with a 4xx and the platform error body (or a 2xx), never a 5xx', async () => {
  const order = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  const routes = p.app.http.routeTable
    .filter((r) => r.url.startsWith('/api/v1/') && order.includes(r.method))
    .filter((r) => !SKIP.has(`${r.method} ${r.url}`) && !r.config?.public)
    // Deletions last, so that the seeded device survives most of the run.
    .sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method));
  assert.ok(routes.length >= 50, `only ${routes.length} routes`);
  let requests = 0;
  for (const route of routes)
    await fc.assert(
      fc.asyncProperty(requestFor(route), async (req) => {
        requests++;
        const r = await p.app.http.inject({ ...req, headers: { ...p.auth, ...req.headers } });
        const what = `${req.method} ${(req.url as string).slice(0, 200)} → ${r.statusCode} ${r.body.slice(0, 300)}`;
        assert.ok(r.statusCode < 500, what);
        assert.doesNotMatch(r.body.slice(0, 100_000), STACK, what);
        if (r.statusCode < 400) return;
        const body = JSON.parse(r.body) as { error?: { code?: unknown; message?: unknown } };
        assert.deepEqual(Object.keys(body), ['error'], what);
        assert.equal(typeof body.error?.code, 'string', what);
        assert.equal(typeof body.error?.message, 'string', what);
      }),
      { numRuns: RUNS },
    );
  assert.ok(requests >= routes.length * RUNS);
});
