/**
 * The bad-input reports of issue 20, one by one: each was an HTTP 500 (or a foreign error body)
 * and must be a 4xx with the platform's error body.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';

let p: TestPlatform;
before(async () => {
  p = await startTestPlatform();
});
after(() => p.close());

function assertPlatformError(r: { statusCode: number; body: string }, status?: number): void {
  assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${r.statusCode} ${r.body}`);
  if (status !== undefined) assert.equal(r.statusCode, status, r.body);
  const body = JSON.parse(r.body) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof body.error?.code, 'string', r.body);
  assert.equal(typeof body.error?.message, 'string', r.body);
  assert.equal(Object.keys(body).join(), 'error', r.body);
}

/** Every list route: where it was reported, and which paging parameters it takes. */
const LIST_ROUTES: [string, string[]][] = [
  ['/api/v1/devices', ['limit', 'offset']],
  ['/api/v1/audit', ['limit', 'offset']],
  ['/api/v1/notifications', ['limit']],
  ['/api/v1/devices/x/commands', ['limit', 'offset']],
  ['/api/v1/devices/x/sessions', ['limit', 'offset']],
  ['/api/v1/devices/x/shadow/history', ['limit', 'offset']],
  ['/api/v1/devices/x/telemetry', ['limit']],
  ['/api/v1/devices/x/telemetry.csv', ['limit']],
  ['/api/v1/devices/x/events', ['limit']],
  ['/api/v1/telemetry/latest', ['limit']],
  ['/api/v1/alerts', ['limit']],
  ['/api/v1/fleet/out-of-service', ['limit', 'offset']],
  ['/api/v1/notifications/x', ['limit']],
];

test('paging parameters out of range are 4xx on every list route, never a 500', async () => {
  await p.app.http.inject({
    method: 'POST',
    url: '/api/v1/devices',
    headers: p.auth,
    payload: { id: 'x', model: 'default' },
  });
  for (const [url, params] of LIST_ROUTES)
    for (const name of params)
      for (const v of [
        'Infinity',
        '-Infinity',
        '1e309',
        '-1e309',
        '99999999999999999999999',
        'NaN',
        '-1',
        '1.5',
      ]) {
        const r = await p.app.http.inject({ method: 'GET', url: `${url}?${name}=${v}`, headers: p.auth });
        assert.ok(r.statusCode !== 404 || !r.body.includes('no route'), `${url} is not a route`);
        assertPlatformError(r);
      }
});

test('non-finite numbers are refused by name, in the query and in a JSON body', async () => {
  const q = await p.app.http.inject({
    method: 'GET',
    url: '/api/v1/notifications?before=-1e309',
    headers: p.auth,
  });
  assertPlatformError(q, 422);
  assert.match(q.body, /querystring\.before: must be a finite number/);
  const r = await p.app.http.inject({
    method: 'PUT',
    url: '/api/v1/health/policies/default',
    headers: { ...p.auth, 'content-type': 'application/json' },
    payload: '{"heartbeat":{"intervalMs":1e309}}',
  });
  assertPlatformError(r, 422);
  assert.match(r.body, /body\.heartbeat\.intervalMs/);
});

/** Nine aliases, each nine references to the one before: 9⁹ nodes once expanded. */
function billionLaughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const [name, prev] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
    lines.push(
      `${name}: &${name} [${Array(9)
        .fill('*' + prev)
        .join(',')}]`,
    );
  }
  return lines.join('\n') + '\n';
}

test('a YAML alias bomb is refused by every import', async () => {
  for (const url of ['/api/v1/decoders/import', '/api/v1/slos/import', '/api/v1/import']) {
    const r = await p.app.http.inject({
      method: 'POST',
      url,
      headers: { ...p.auth, 'content-type': 'application/yaml' },
      payload: billionLaughs(),
    });
    assertPlatformError(r, 422);
    assert.match(r.body, /IMPORT_INVALID/);
  }
});

test('YAML nested 50,000 deep is refused, not a stack overflow', async () => {
  const deep = '['.repeat(50_000) + ']'.repeat(50_000);
  const r = await p.app.http.inject({
    method: 'POST',
    url: '/api/v1/slos/import',
    headers: { ...p.auth, 'content-type': 'application/yaml' },
    payload: `x: ${deep}\n`,
  });
  assertPlatformError(r, 422);
});

test('JSON nested 50,000 deep is refused before parsing', async () => {
  const deep = '['.repeat(50_000) + ']'.repeat(50_000);
  const r = await p.app.http.inject({
    method: 'POST',
    url: '/api/v1/devices/x/telemetry',
    headers: { ...p.auth, 'content-type': 'application/json' },
    payload: `{"x":${deep}}`,
  });
  assertPlatformError(r, 400);
  assert.match(r.body, /BODY_TOO_DEEP/);
});

test("Fastify's own refusals use the platform's error body", async () => {
  const cases: [string, InjectOptions, number][] = [
    ['bad percent-encoding', { method: 'GET', url: '/api/v1/devices/%zz' }, 400],
    ['path parameter too long', { method: 'GET', url: '/api/v1/devices/' + 'x'.repeat(5000) }, 414],
    [
      'unsupported media type',
      { method: 'POST', url: '/api/v1/devices', headers: { 'content-type': 'text/x-foo' }, payload: 'x' },
      415,
    ],
    [
      'malformed JSON',
      {
        method: 'POST',
        url: '/api/v1/devices',
        headers: { 'content-type': 'application/json' },
        payload: '{x',
      },
      400,
    ],
    [
      'empty JSON body',
      {
        method: 'POST',
        url: '/api/v1/devices',
        headers: { 'content-type': 'application/json' },
        payload: '',
      },
      400,
    ],
    [
      'body too large',
      {
        method: 'POST',
        url: '/api/v1/devices',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ id: 'x'.repeat(2 * 1024 * 1024) }),
      },
      413,
    ],
    ['no such route', { method: 'GET', url: '/api/v1/no-such-thing' }, 404],
    ['no such method', { method: 'PATCH', url: '/healthz' }, 404],
  ];
  for (const [what, req, status] of cases) {
    const r = await p.app.http.inject({
      ...req,
      headers: { ...p.auth, ...(req as { headers?: object }).headers },
    });
    assert.equal(r.statusCode, status, `${what}: ${r.body}`);
    assertPlatformError(r, status);
    assert.doesNotMatch(r.body, /FST_ERR/, what);
  }
});
