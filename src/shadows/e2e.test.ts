/**
 * End to end: the whole platform (real broker, registry credentials and ACLs, HTTP) with mqtt.js
 * devices running the AWS shadow flows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { api, connect, endClient, Inbox, registerDevice } from './e2e-helpers.js';

describe('shadows end to end with mqtt.js devices', () => {
  let p: TestPlatform;
  let dev: MqttClient;
  let inbox: Inbox;
  const P = '$aws/things/lamp-1/shadow';

  before(async () => {
    p = await startTestPlatform();
    await api(p, 'POST', '/device-models', { name: 'lock', shadow: { clearDesiredOnReport: true } });
    const secret = await registerDevice(p, 'lamp-1');
    dev = await connect(p.mqttUrl, 'lamp-1', { username: 'lamp-1', password: secret, protocolVersion: 4 });
    inbox = new Inbox(dev);
    await dev.subscribeAsync(`${P}/#`, { qos: 1 });
  });
  after(async () => {
    if (dev) await endClient(dev);
    await p?.close();
  });

  const publish = (topic: string, body: unknown) =>
    dev.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });

  test('get before any update → /get/rejected 404', async () => {
    const mark = inbox.messages.length;
    await publish(`${P}/get`, { clientToken: 'g0' });
    const r = await inbox.next(`${P}/get/rejected`, mark);
    assert.equal(r.code, 404);
    assert.equal(r.message, "No shadow exists with name: 'lamp-1'");
    assert.equal(r.clientToken, 'g0');
  });

  test('HTTP desired → the device gets /update/delta; its report → /update/accepted; GET shows both', async () => {
    const mark = inbox.messages.length;
    const res = await api(p, 'POST', '/devices/lamp-1/shadow', {
      state: { desired: { power: 'on', level: 80 } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.version, 1);
    const delta = await inbox.next(`${P}/update/delta`, mark);
    assert.deepEqual(delta.state, { power: 'on', level: 80 });
    assert.equal(delta.version, 1);
    assert.equal(typeof (delta.metadata as Record<string, { timestamp: number }>).power?.timestamp, 'number');
    const docs = await inbox.next(`${P}/update/documents`, mark);
    assert.equal(docs.current.version, 1);

    const m2 = inbox.messages.length;
    await publish(`${P}/update`, { state: { reported: { power: 'on', level: 80 } }, clientToken: 'rep-1' });
    const acc = await inbox.next(`${P}/update/accepted`, m2);
    assert.equal(acc.clientToken, 'rep-1');
    assert.equal(acc.version, 2);
    assert.deepEqual(acc.state, { reported: { power: 'on', level: 80 } });

    const got = await api(p, 'GET', '/devices/lamp-1/shadow');
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.state, {
      desired: { power: 'on', level: 80 },
      reported: { power: 'on', level: 80 },
    });
    const m3 = inbox.messages.length;
    await publish(`${P}/get`, '');
    const viaMqtt = await inbox.next(`${P}/get/accepted`, m3);
    assert.equal(viaMqtt.version, 2);
  });

  test('stale version → /update/rejected 409 Version conflict; invalid JSON → 400', async () => {
    const mark = inbox.messages.length;
    await publish(`${P}/update`, { state: { reported: { level: 10 } }, version: 1, clientToken: 'old' });
    const r = await inbox.next(`${P}/update/rejected`, mark);
    assert.deepEqual([r.code, r.message, r.clientToken], [409, 'Version conflict', 'old']);
    const m2 = inbox.messages.length;
    await publish(`${P}/update`, 'not json');
    assert.deepEqual((await inbox.next(`${P}/update/rejected`, m2)).message, 'Invalid JSON');
    const http = await api(p, 'POST', '/devices/lamp-1/shadow', {
      state: { desired: { level: 5 } },
      version: 1,
    });
    assert.equal(http.status, 409);
    assert.equal(http.body.error.message, 'Version conflict');
    const bad = await api(p, 'POST', '/devices/lamp-1/shadow', { state: 'x' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.message, 'State node must be an object');
    const badVersion = await api(p, 'POST', '/devices/lamp-1/shadow', { state: {}, version: '2' });
    assert.equal(badVersion.body.error.message, 'Invalid version');
  });

  test('named shadow: update, get and delete over MQTT; HTTP sees it', async () => {
    const N = `${P}/name/schedule`;
    const mark = inbox.messages.length;
    await publish(`${N}/update`, { state: { reported: { mode: 'eco' } } });
    assert.equal((await inbox.next(`${N}/update/accepted`, mark)).version, 1);
    const got = await api(p, 'GET', '/devices/lamp-1/shadows/schedule');
    assert.deepEqual(got.body.state, { reported: { mode: 'eco' } });
    const names = await api(p, 'GET', '/devices/lamp-1/shadows');
    assert.deepEqual(names.body.names, ['', 'schedule']);
    const m2 = inbox.messages.length;
    await publish(`${N}/delete`, { clientToken: 'del' });
    const del = await inbox.next(`${N}/delete/accepted`, m2);
    assert.equal(del.version, 1);
    assert.equal(del.clientToken, 'del');
    assert.equal((await api(p, 'GET', '/devices/lamp-1/shadows/schedule')).status, 404);
  });

  test('history and diff over HTTP', async () => {
    const h = await api(p, 'GET', '/devices/lamp-1/shadow/history?limit=1&offset=1');
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.equal(h.body.total, 2);
    assert.equal(h.body.items.length, 1);
    assert.equal(h.body.items[0].version, 2);
    assert.deepEqual(h.body.items[0].actor, { kind: 'device', id: 'lamp-1' });
    assert.equal(h.body.nextOffset, null);
    const first = await api(p, 'GET', '/devices/lamp-1/shadow/history');
    assert.equal(first.body.items[0].actor.kind, 'token');
    const d = await api(p, 'GET', '/devices/lamp-1/shadow/diff?from=1&to=2');
    assert.deepEqual(d.body.changes, [{ path: '$.reported', op: 'added', to: { power: 'on', level: 80 } }]);
    assert.equal((await api(p, 'GET', '/devices/lamp-1/shadow/diff?from=1&to=9')).status, 404);
    assert.equal((await api(p, 'GET', '/devices/nobody/shadow')).status, 404);
  });

  test('classic delete over MQTT, then HTTP GET is 404 and the next update continues the version', async () => {
    const mark = inbox.messages.length;
    await publish(`${P}/delete`, '');
    assert.equal((await inbox.next(`${P}/delete/accepted`, mark)).version, 2);
    assert.equal((await api(p, 'GET', '/devices/lamp-1/shadow')).status, 404);
    const again = await api(p, 'POST', '/devices/lamp-1/shadow', { state: { desired: { power: 'off' } } });
    assert.equal(again.body.version, 3);
  });

  test('model option clearDesiredOnReport with a real device', async () => {
    const secret = await registerDevice(p, 'door-1', 'lock');
    const d = await connect(p.mqttUrl, 'door-1', {
      username: 'door-1',
      password: secret,
      protocolVersion: 5,
    });
    try {
      const box = new Inbox(d);
      const D = '$aws/things/door-1/shadow';
      await d.subscribeAsync(`${D}/update/#`, { qos: 1 });
      await api(p, 'POST', '/devices/door-1/shadow', { state: { desired: { lock: 'locked' } } });
      assert.deepEqual((await box.next(`${D}/update/delta`, 0)).state, { lock: 'locked' });
      const mark = box.messages.length;
      await d.publishAsync(`${D}/update`, JSON.stringify({ state: { reported: { lock: 'locked' } } }), {
        qos: 1,
      });
      await box.next(`${D}/update/accepted`, mark);
      const got = await api(p, 'GET', '/devices/door-1/shadow');
      assert.deepEqual(got.body.state, { reported: { lock: 'locked' } });
    } finally {
      await endClient(d);
    }
  });
});
