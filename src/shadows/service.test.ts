import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeDirectory, shadowHarness } from './test-helpers.js';

const P = '$aws/things/dev1/shadow';

test('MQTT get on a missing shadow → 404 rejected with the clientToken', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  await h.broker.inject('dev1', `${P}/get`, { clientToken: 'abc' });
  const [rej] = h.sent(`${P}/get/rejected`);
  assert.deepEqual(rej, {
    code: 404,
    message: "No shadow exists with name: 'dev1'",
    timestamp: 1767225600,
    clientToken: 'abc',
  });
  await h.broker.inject('dev1', `${P}/name/cfg/get`, '');
  assert.equal(h.sent(`${P}/name/cfg/get/rejected`)[0]?.message, "No shadow exists with name: 'cfg'");
});

test('update desired → accepted, delta, documents, bus event; report → no delta; get shows state', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  await h.module.service.update(
    'dev1',
    '',
    { state: { desired: { lock: 'locked' } } },
    { kind: 'token', id: 'op' },
  );
  assert.equal(h.sent(`${P}/update/accepted`).length, 1);
  assert.deepEqual(h.sent(`${P}/update/delta`)[0]?.state, { lock: 'locked' });
  assert.equal((h.sent(`${P}/update/documents`)[0]?.current as { version: number }).version, 1);
  assert.deepEqual(h.events[0], {
    deviceId: 'dev1',
    shadowName: '',
    version: 1,
    desired: { lock: 'locked' },
    reported: null,
    actor: { kind: 'token', id: 'op' },
    at: h.clock.now(),
  });
  h.clock.advance(2000);
  await h.broker.inject('dev1', `${P}/update`, {
    state: { reported: { lock: 'locked' } },
    clientToken: 'r1',
  });
  const acc = h.sent(`${P}/update/accepted`);
  assert.equal(acc.length, 2);
  assert.equal(acc[1]?.clientToken, 'r1');
  assert.equal(acc[1]?.version, 2);
  assert.equal(h.sent(`${P}/update/delta`).length, 1, 'no new delta once reported matches');
  assert.deepEqual(h.events[1]?.actor, { kind: 'device', id: 'dev1' });
  await h.broker.inject('dev1', `${P}/get`, '');
  const got = h.sent(`${P}/get/accepted`)[0]!;
  assert.deepEqual(got.state, { desired: { lock: 'locked' }, reported: { lock: 'locked' } });
  assert.equal(got.version, 2);
});

test('MQTT errors: invalid JSON, missing state, version conflict 409 — each answered on /update/rejected', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  await h.broker.inject('dev1', `${P}/update`, '{oops');
  await h.broker.inject('dev1', `${P}/update`, { clientToken: 't2' });
  await h.broker.inject('dev1', `${P}/update`, { state: { reported: { a: 1 } } });
  await h.broker.inject('dev1', `${P}/update`, {
    state: { reported: { a: 2 } },
    version: 0,
    clientToken: 't4',
  });
  const rej = h.sent(`${P}/update/rejected`);
  assert.deepEqual(
    rej.map((r) => [r.code, r.message, r.clientToken]),
    [
      [400, 'Invalid JSON', undefined],
      [400, 'Missing required node: state', 't2'],
      [409, 'Version conflict', 't4'],
    ],
  );
  assert.equal(h.sent(`${P}/update/accepted`).length, 1);
});

test('a device may not touch another thing’s shadow (403), anonymous clients may', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  await h.broker.inject('dev2', `${P}/update`, { state: { reported: { a: 1 } } });
  assert.deepEqual(h.sent(`${P}/update/rejected`)[0]?.code, 403);
  assert.equal(h.events.length, 0);
  const anon = await shadowHarness(undefined, true);
  t.after(() => anon.close());
  await anon.broker.inject('someone', `${P}/update`, { state: { reported: { a: 1 } } });
  assert.equal(anon.sent(`${P}/update/accepted`).length, 1);
});

test('named shadows are separate documents; delete keeps the version and 404s afterwards', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  await h.broker.inject('dev1', `${P}/name/cfg/update`, { state: { reported: { mode: 'eco' } } });
  await h.broker.inject('dev1', `${P}/update`, { state: { reported: { on: true } } });
  assert.deepEqual(await h.module.service.listNames('dev1'), ['', 'cfg']);
  await h.broker.inject('dev1', `${P}/name/cfg/delete`, { clientToken: 'd' });
  const del = h.sent(`${P}/name/cfg/delete/accepted`)[0]!;
  assert.equal(del.version, 1);
  assert.equal(del.clientToken, 'd');
  await h.broker.inject('dev1', `${P}/name/cfg/delete`, '');
  assert.equal(h.sent(`${P}/name/cfg/delete/rejected`)[0]?.code, 404);
  await h.broker.inject('dev1', `${P}/name/cfg/update`, { state: { reported: { mode: 'boost' } } });
  assert.equal(h.sent(`${P}/name/cfg/update/accepted`)[1]?.version, 2);
  const hist = await h.module.service.history('dev1', 'cfg', { limit: 10, offset: 0 });
  assert.deepEqual(
    hist.items.map((e) => `${e.op}:${e.version}`),
    ['update:1', 'delete:1', 'update:2'],
  );
  const diff = await h.module.service.diff('dev1', 'cfg', 1, 2);
  assert.deepEqual(diff, [{ path: '$.reported.mode', op: 'changed', from: 'eco', to: 'boost' }]);
});

test('concurrent updates to one shadow are serialized: versions 1..N, no conflict without version', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? h.broker.inject('dev1', `${P}/update`, { state: { reported: { [`k${i}`]: i } } })
        : h.module.service.update(
            'dev1',
            '',
            { state: { desired: { [`k${i}`]: i } } },
            { kind: 'token', id: 'x' },
          ),
    ),
  );
  const versions = h.sent(`${P}/update/accepted`).map((a) => a.version);
  assert.deepEqual(
    versions,
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  const got = await h.module.service.get('dev1', '');
  assert.equal(Object.keys((got.state as { reported: object }).reported).length, 10);
  assert.equal(Object.keys((got.state as { desired: object }).desired).length, 10);
});

test('model options: clearDesiredOnReport and maxDocumentBytes', async (t) => {
  const h = await shadowHarness(
    fakeDirectory(
      { lock1: 'scooter', big1: 'tiny' },
      { scooter: { clearDesiredOnReport: true }, tiny: { maxDocumentBytes: 64 } },
    ),
  );
  t.after(() => h.close());
  const L = '$aws/things/lock1/shadow';
  await h.module.service.update(
    'lock1',
    '',
    { state: { desired: { lock: 'locked' } } },
    { kind: 'rule', id: 'r' },
  );
  await h.broker.inject('lock1', `${L}/update`, { state: { reported: { lock: 'locked' } } });
  const doc = await h.module.service.get('lock1', '');
  assert.deepEqual(doc.state, { reported: { lock: 'locked' } });
  const B = '$aws/things/big1/shadow';
  await h.broker.inject('big1', `${B}/update`, { state: { reported: { s: 'x'.repeat(80) } } });
  assert.deepEqual(h.sent(`${B}/update/rejected`)[0]?.code, 413);
});

test('diff with unknown version is a 404; version 0 is the empty shadow', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  await h.module.service.update('dev1', '', { state: { desired: { a: 1 } } }, { kind: 'token', id: 'x' });
  assert.deepEqual(await h.module.service.diff('dev1', '', 0, 1), [
    { path: '$.desired', op: 'added', to: { a: 1 } },
  ]);
  await assert.rejects(h.module.service.diff('dev1', '', 1, 7), /No history entry for version 7/);
});

test('updateMany: one batch writes every shadow, publishes and emits per shadow; a bad item alone is refused', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  const actor = { kind: 'system' as const, id: 'schedule:s1' };
  const out = await h.module.service.updateMany([
    { deviceId: 'dev1', name: '', body: { state: { desired: { mode: 'heat' } } }, actor },
    { deviceId: 'dev2', name: '', body: { state: 42 }, actor },
    { deviceId: 'dev1', name: '', body: { state: { desired: { setpoint: 55 } } }, actor },
    { deviceId: 'dev3', name: 'cfg', body: { state: { desired: { mode: 'eco' } } }, actor },
  ]);
  assert.deepEqual(
    out.map((r) => r.ok && (r.value as { version: number }).version),
    [1, false, 2, 1],
  );
  assert.equal(h.sent('$aws/things/dev2/shadow/update/accepted').length, 0);
  assert.deepEqual(
    h.sent(`${P}/update/delta`).map((d) => d.state),
    [{ mode: 'heat' }, { mode: 'heat', setpoint: 55 }],
  );
  assert.equal(h.sent('$aws/things/dev3/shadow/name/cfg/update/accepted').length, 1);
  assert.deepEqual(
    h.events.map((e) => [e.deviceId, e.version, e.actor.id]),
    [
      ['dev1', 1, 'schedule:s1'],
      ['dev3', 1, 'schedule:s1'],
      ['dev1', 2, 'schedule:s1'],
    ].sort((a, b) => Number(a[1]) - Number(b[1])),
  );
  const hist = await h.module.service.history('dev1', '', { limit: 10, offset: 0 });
  assert.deepEqual(
    hist.items.map((e) => e.actor.id),
    ['schedule:s1', 'schedule:s1'],
  );
  await h.module.service.update(
    'dev1',
    '',
    { state: { reported: { mode: 'heat' } } },
    {
      kind: 'device',
      id: 'dev1',
    },
  );
  assert.deepEqual(
    await h.module.service.reportedMany([
      { deviceId: 'dev1', name: '' },
      { deviceId: 'dev2', name: '' },
      { deviceId: 'dev3', name: 'cfg' },
    ]),
    [{ mode: 'heat' }, undefined, {}],
  );
});
