/**
 * The console's platform settings ride on `GET /auth/session` (signed-in callers only): the map's
 * default tile URL from `--map-tiles-url`, absent without it, never on the public sign-in options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../test-support/platform.js';

const TILES = 'https://tiles.example.org/{z}/{x}/{y}.png?key=k1';

test('console settings: the map tiles URL on /auth/session when configured, not on /auth/options', async (t) => {
  const withTiles = await startTestPlatform({ mapTilesUrl: TILES });
  t.after(() => withTiles.close());
  const plain = await startTestPlatform();
  t.after(() => plain.close());
  const get = async (p: typeof plain, url: string, headers: Record<string, string> = p.auth) => {
    const r = await p.app.http.inject({ method: 'GET', url: `/api/v1${url}`, headers });
    return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
  };
  const s = await get(withTiles, '/auth/session');
  assert.equal(s.status, 200);
  assert.deepEqual(s.body.console, { mapTilesUrl: TILES });
  assert.deepEqual((await get(plain, '/auth/session')).body.console, {});
  const options = await get(withTiles, '/auth/options', {});
  assert.equal(options.status, 200);
  assert.doesNotMatch(JSON.stringify(options.body), /tiles/);
  assert.equal((await get(withTiles, '/auth/session', {})).status, 401);
});
