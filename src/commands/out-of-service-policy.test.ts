/**
 * The out-of-service policy on a whole platform (SQLite): a model's `outOfServiceCommands` (or the
 * platform's `--out-of-service-commands`) decides whether a command to an out-of-service device is
 * refused (409 DEVICE_OUT_OF_SERVICE), sent with a warning, or sent silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, connect, registerDevice } from '../test-support/platform-api.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';

async function outOfService(p: TestPlatform, id: string): Promise<void> {
  const r = await api(p, 'PUT', `/devices/${id}/service-state`, {
    state: 'out_of_service',
    note: 'lock jammed, checked on site',
    reason: 'lock_jam',
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function answering(p: TestPlatform, id: string, secret: string) {
  const c = await connect(p.mqttUrl, id, { username: id, password: secret });
  await c.subscribeAsync(`devices/${id}/commands/+`);
  c.on('message', (topic, payload) => {
    const m = JSON.parse(payload.toString()) as { id: string };
    void c.publishAsync(`${topic}/reply`, JSON.stringify({ id: m.id, status: 'ok' }));
  });
  return c;
}

const send = (p: TestPlatform, id: string) =>
  api(p, 'POST', `/devices/${id}/commands`, { name: 'unlock', timeoutMs: 5000, wait: true });

test('out-of-service commands: refuse (model), warn (platform default), allow (model)', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  for (const [name, policy] of [
    ['lock-refuse', 'refuse'],
    ['lock-allow', 'allow'],
    ['lock-default', undefined],
  ] as const) {
    const m = await api(p, 'POST', '/device-models', {
      name,
      ...(policy ? { outOfServiceCommands: policy } : {}),
    });
    assert.equal(m.status, 201, JSON.stringify(m.body));
    assert.equal(m.body.outOfServiceCommands, policy);
  }
  const bad = await api(p, 'POST', '/device-models', { name: 'x', outOfServiceCommands: 'maybe' });
  assert.equal(bad.status, 422);
  assert.match(JSON.stringify(bad.body), /outOfServiceCommands/);

  const clients: Awaited<ReturnType<typeof answering>>[] = [];
  for (const model of ['lock-refuse', 'lock-allow', 'lock-default']) {
    const id = `${model}-1`;
    clients.push(await answering(p, id, await registerDevice(p, id, model)));
  }
  t.after(() => Promise.all(clients.map((c) => c.endAsync())));

  // In service: every policy sends, without warnings.
  const ok = await send(p, 'lock-refuse-1');
  assert.equal(ok.body.status, 'succeeded', JSON.stringify(ok.body));
  assert.equal(ok.body.warnings, undefined);

  for (const id of ['lock-refuse-1', 'lock-allow-1', 'lock-default-1']) await outOfService(p, id);

  const refused = await send(p, 'lock-refuse-1');
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.equal(refused.body.error.code, 'DEVICE_OUT_OF_SERVICE');
  assert.match(refused.body.error.message, /lock_jam/);
  assert.deepEqual(refused.body.error.details.reasons, ['manual:lock_jam']);
  const listed = await api(p, 'GET', '/devices/lock-refuse-1/commands');
  assert.equal(listed.body.total, 1, 'a refused command is not stored');

  const warned = await send(p, 'lock-default-1');
  assert.equal(warned.status, 200, JSON.stringify(warned.body));
  assert.equal(warned.body.status, 'succeeded');
  assert.equal(warned.body.warnings.length, 1);
  assert.equal(warned.body.warnings[0].code, 'DEVICE_OUT_OF_SERVICE');
  assert.deepEqual(warned.body.warnings[0].reasons, ['manual:lock_jam']);

  const allowed = await send(p, 'lock-allow-1');
  assert.equal(allowed.body.status, 'succeeded');
  assert.equal(allowed.body.warnings, undefined);

  // The model's setting changes with the model (the directory's cache is invalidated on PUT).
  const put = await api(p, 'PUT', '/device-models/lock-allow', { outOfServiceCommands: 'refuse' });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal((await send(p, 'lock-allow-1')).status, 409);
});

test('out-of-service commands: the platform setting refuse applies to models without one', async (t) => {
  const p = await startTestPlatform({ outOfServiceCommands: 'refuse' });
  t.after(() => p.close());
  await registerDevice(p, 'bare-1');
  await outOfService(p, 'bare-1');
  const r = await send(p, 'bare-1');
  assert.equal(r.status, 409, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 'DEVICE_OUT_OF_SERVICE');
});
