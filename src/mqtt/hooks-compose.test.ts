import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientInfo } from './api.js';
import { allOf } from './hooks-compose.js';

const client: ClientInfo = {
  clientId: 'c',
  remoteAddress: '127.0.0.1',
  protocolVersion: 5,
  keepalive: 60,
  cleanStart: true,
  transport: 'tcp',
};

test('allOf: every policy must allow; sync answers stay sync', async () => {
  const registry = { authorizePublish: (_c: ClientInfo, t: string) => t.startsWith('devices/') };
  const file = { authorizePublish: (_c: ClientInfo, t: string) => !t.endsWith('/secret') };
  const h = allOf(registry, file);
  assert.equal(h.authorizePublish!(client, 'devices/a/x'), true);
  assert.equal(h.authorizePublish!(client, 'devices/a/secret'), false);
  assert.equal(h.authorizePublish!(client, 'other'), false);
  assert.equal(h.authorizeSubscribe, undefined);
  const asyncFirst = allOf(
    { authorizeSubscribe: () => Promise.resolve(true) },
    { authorizeSubscribe: () => false },
  );
  assert.equal(await asyncFirst.authorizeSubscribe!(client, 'x'), false);
  const asyncDeny = allOf(
    { authorizeSubscribe: () => Promise.resolve(false) },
    { authorizeSubscribe: () => true },
  );
  assert.equal(await asyncDeny.authorizeSubscribe!(client, 'x'), false);
});
