/**
 * The MQTT request handler's edges (FakeBroker): which client may use which thing's shadow (the
 * injected publish authorization), the clientToken on every rejection, /delete ignoring its body.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeDirectory, shadowHarness } from './test-helpers.js';

const P = '$aws/things/dev1/shadow';

test('every rejection echoes the clientToken: 403, 413, invalid shadow name, invalid JSON', async (t) => {
  const h = await shadowHarness(
    fakeDirectory({ dev1: null, dev2: null, big: 'tiny' }, { tiny: { maxDocumentBytes: 64 } }),
  );
  t.after(() => h.close());
  await h.broker.inject('dev2', `${P}/update`, { state: { reported: { a: 1 } }, clientToken: 'f1' });
  // 413 before parsing: the token comes last, as the v1 SDK serializes it.
  const B = '$aws/things/big/shadow';
  await h.broker.inject(
    'big',
    `${B}/update`,
    `{"state":{"reported":{"s":"${'x'.repeat(99)}"}},"clientToken":"b"}`,
  );
  assert.deepEqual(
    h.sent(`${B}/update/rejected`).map((r) => [r.code, r.clientToken]),
    [[413, 'b']],
  );
  await h.broker.inject('dev1', `${P}/update`, '{"state":{"reported":{oops}},"clientToken":"j1"}');
  await h.broker.inject('dev1', `${P}/update`, `{"clientToken" : "j\\"2", "state": [`);
  // A token that could not be echoed (longer than 64 bytes) is left out, as a parsed one would be.
  await h.broker.inject('dev1', `${P}/update`, `{"clientToken":"${'t'.repeat(65)}", "state": [`);
  await h.broker.inject('dev1', `${P}/name/${'n'.repeat(65)}/update`, { state: {}, clientToken: 'nm' });
  await h.broker.inject('dev1', `${P}/get`, '{"clientToken":"g1",');
  const rej = h.sent(`${P}/update/rejected`).map((r) => [r.code, r.clientToken]);
  assert.deepEqual(rej, [
    [403, 'f1'],
    [400, 'j1'],
    [400, 'j"2'],
    [400, undefined],
  ]);
  assert.deepEqual(
    h.sent(`${P}/name/${'n'.repeat(65)}/update/rejected`).map((r) => [r.code, r.clientToken]),
    [[400, 'nm']],
  );
  assert.deepEqual(
    h.sent(`${P}/get/rejected`).map((r) => [r.code, r.message, r.clientToken]),
    [[400, 'Invalid JSON', 'g1']],
  );
});

test('a client whose publish authorization grants another thing’s shadow may update and get it', async (t) => {
  const asked: string[] = [];
  const h = await shadowHarness(fakeDirectory({ dev1: null, dev2: null, app: null }), false, {
    // Stands in for the broker's ACL: `app` is granted every thing's shadow topics.
    authorizeRequest: (clientId, topic) => {
      asked.push(`${clientId} ${topic}`);
      return clientId === 'app' || topic.startsWith(`$aws/things/${clientId}/`);
    },
  });
  t.after(() => h.close());
  await h.broker.inject('app', `${P}/update`, { state: { desired: { on: true } }, clientToken: 'a1' });
  assert.equal(h.sent(`${P}/update/accepted`)[0]?.clientToken, 'a1');
  await h.broker.inject('app', `${P}/get`, { clientToken: 'a2' });
  assert.deepEqual(h.sent(`${P}/get/accepted`)[0]?.state, { desired: { on: true }, delta: { on: true } });
  await h.broker.inject('dev1', `${P}/update`, { state: { reported: { on: true } } });
  assert.equal(h.sent(`${P}/update/accepted`).length, 2);
  await h.broker.inject('dev2', `${P}/get`, { clientToken: 'x' });
  assert.deepEqual(
    h.sent(`${P}/get/rejected`).map((r) => [r.code, r.message, r.clientToken]),
    [[403, 'Forbidden', 'x']],
  );
  assert.ok(asked.includes(`app ${P}/update`) && asked.includes(`dev2 ${P}/get`), asked.join('\n'));
  // The actor in the history is the client that asked, not the thing.
  const hist = await h.module.service.history('dev1', '', { limit: 10, offset: 0 });
  assert.deepEqual(
    hist.items.map((e) => e.actor),
    [
      { kind: 'device', id: 'app' },
      { kind: 'device', id: 'dev1' },
    ],
  );
});

test('/delete ignores a payload that is not JSON (AWS: the content is ignored); the token is still echoed', async (t) => {
  const h = await shadowHarness();
  t.after(() => h.close());
  await h.broker.inject('dev1', `${P}/update`, { state: { reported: { a: 1 } } });
  await h.broker.inject('dev1', `${P}/delete`, 'not json at all');
  assert.equal(h.sent(`${P}/delete/accepted`)[0]?.version, 1);
  await h.broker.inject('dev1', `${P}/update`, { state: { reported: { a: 2 } } });
  await h.broker.inject('dev1', `${P}/delete`, '{"clientToken":"d1", oops');
  assert.equal(h.sent(`${P}/delete/accepted`)[1]?.clientToken, 'd1');
  assert.equal(h.sent(`${P}/delete/rejected`).length, 0);
  await h.broker.inject('dev1', `${P}/delete`, '[1,2]');
  assert.deepEqual(
    h.sent(`${P}/delete/rejected`).map((r) => r.code),
    [404],
  );
});
