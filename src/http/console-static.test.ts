// Every console page a browser asks for gets the console (deep links, reloads, pages added later,
// unknown addresses shown by the console's own "not found" page); API clients keep the JSON 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { silentLogger } from '../core/index.js';
import { registerApi } from './index.js';
import { registerConsole } from './console-static.js';
import { createHttpServer } from './server.js';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

test('browsers get the console for any page; API clients and API paths keep the JSON 404', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-console-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  const tokens = { verify: () => undefined };
  const http = createHttpServer({ log: silentLogger, metrics: new Registry(), tokens, ready: () => true });
  await registerApi(http, tokens, []);
  await registerConsole(http, dir);
  t.after(async () => {
    await http.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const url of ['/', '/devices/sc-1', '/rules/r-1?tab=test', '/no/such/page']) {
    const r = await http.inject({ method: 'GET', url, headers: HTML });
    assert.equal(r.statusCode, 200, url);
    assert.match(r.headers['content-type'] as string, /text\/html/, url);
    assert.match(r.body, /<title>console<\/title>/, url);
  }
  for (const [url, headers] of [
    ['/api/v1/nothing', HTML],
    ['/no/such/page', { accept: 'application/json' }],
    ['/metrics/x', HTML],
  ] as const) {
    const r = await http.inject({ method: 'GET', url, headers });
    assert.equal(r.statusCode, 404, url);
    assert.match(JSON.stringify(r.json()), /no route GET/, url);
  }
  const post = await http.inject({ method: 'POST', url: '/no/such/page', headers: HTML });
  assert.equal(post.statusCode, 404);
});
