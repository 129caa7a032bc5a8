/**
 * AWS IoT shadow parity with the real v1 SDK (`aws-iot-device-sdk` thingShadow) over mutual TLS:
 * firmware written for AWS IoT Core, unchanged but for the endpoint and CA.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, type Body } from './e2e-helpers.js';
import {
  connectV1,
  endV1,
  registerV1,
  startMtlsPlatform,
  v1Op,
  type MtlsPlatform,
  type ThingShadowV1,
} from './aws-sdk-helpers.js';

describe('aws-iot-device-sdk (v1) thingShadow over mutual TLS', () => {
  let m: MtlsPlatform;
  let lamp: ThingShadowV1;
  const open: ThingShadowV1[] = [];
  const deltas: Body[] = [];

  before(async () => {
    m = await startMtlsPlatform(
      { 'lamp-1': undefined, 'lamp-2': 'tiny', 'app-1': 'gateway', 'app-2': undefined },
      [
        { name: 'tiny', shadow: { maxDocumentBytes: 256 } },
        {
          // An app or gateway: its own topics plus the shadow of the thing named by its `serves` tag.
          name: 'gateway',
          acl: {
            publish: ['$aws/things/${deviceId}/#', '$aws/things/${tag:serves}/shadow/#'],
            subscribe: ['$aws/things/${deviceId}/#', '$aws/things/${tag:serves}/shadow/#'],
          },
        },
      ],
    );
    assert.equal((await api(m.p, 'PATCH', '/devices/app-1', { tags: ['serves=lamp-1'] })).status, 200);
    lamp = await connectV1(m, 'lamp-1');
    open.push(lamp);
    lamp.on('delta', (_thing: string, body: Body) => deltas.push(body));
    await registerV1(lamp, 'lamp-1');
  });
  after(async () => {
    for (const s of open) await endV1(s);
    await m?.close();
  });

  test('get before any update is rejected 404 with the token; update, get, delete are accepted', async () => {
    // The SDK's metrics user name rides along; the certificate alone identifies the device.
    assert.match(m.p.app.broker.clientInfo('lamp-1')?.username ?? '', /^\?SDK=JavaScript&Version=/);
    const missing = await v1Op(lamp, 'lamp-1', () => lamp.get('lamp-1'));
    assert.equal(missing.status, 'rejected');
    assert.equal(missing.body?.code, 404);
    const up = await v1Op(lamp, 'lamp-1', () =>
      lamp.update('lamp-1', { state: { reported: { on: false } } }),
    );
    assert.equal(up.status, 'accepted', JSON.stringify(up.body));
    assert.equal(up.body?.version, 1);
    const got = await v1Op(lamp, 'lamp-1', () => lamp.get('lamp-1'));
    assert.deepEqual(got.body?.state, { reported: { on: false } });
    const del = await v1Op(lamp, 'lamp-1', () => lamp.delete('lamp-1'));
    assert.equal(del.status, 'accepted');
    assert.equal((await api(m.p, 'GET', '/devices/lamp-1/shadow')).status, 404);
  });

  test('desired set over HTTP reaches the delta callback; the report clears the delta', async () => {
    const mark = deltas.length;
    const r = await api(m.p, 'POST', '/devices/lamp-1/shadow', {
      state: { desired: { on: true, colors: ['RED'] } },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await waitFor(() => deltas.length > mark);
    const delta = deltas[mark]!;
    assert.deepEqual(delta.state, { on: true, colors: ['RED'] });
    assert.deepEqual(delta.metadata.colors, [{ timestamp: delta.timestamp }]);
    const rep = await v1Op(lamp, 'lamp-1', () =>
      lamp.update('lamp-1', { state: { reported: { on: true, colors: ['RED'] } } }),
    );
    assert.equal(rep.status, 'accepted');
    const got = await v1Op(lamp, 'lamp-1', () => lamp.get('lamp-1'));
    assert.equal(got.body?.state.delta, undefined);
  });

  test('versioning: an update based on a stale version is rejected 409 Version conflict', async () => {
    // Without persistent subscriptions the SDK hears only the answers to its own requests: the
    // version it learns from a get goes stale when someone else updates.
    const s = await connectV1(m, 'lamp-2');
    open.push(s);
    await registerV1(s, 'lamp-2', { persistentSubscribe: false, ignoreDeltas: true });
    await api(m.p, 'POST', '/devices/lamp-2/shadow', { state: { desired: { a: 1 } } });
    const got = await v1Op(s, 'lamp-2', () => s.get('lamp-2'));
    assert.equal(got.body?.version, 1);
    await api(m.p, 'POST', '/devices/lamp-2/shadow', { state: { desired: { a: 2 } } });
    const stale = await v1Op(s, 'lamp-2', () => s.update('lamp-2', { state: { reported: { a: 3 } } }));
    assert.equal(stale.status, 'rejected', 'the SDK sent version 1; the shadow is at 2');
    assert.deepEqual([stale.body?.code, stale.body?.message], [409, 'Version conflict']);
    // After a get the SDK sends the current version again and the update goes through.
    assert.equal((await v1Op(s, 'lamp-2', () => s.get('lamp-2'))).body?.version, 2);
    const fresh = await v1Op(s, 'lamp-2', () => s.update('lamp-2', { state: { reported: { a: 2 } } }));
    assert.equal(fresh.status, 'accepted');
    assert.equal(fresh.body?.version, 3);
  });

  test('rejections echo the clientToken, so the SDK reports them instead of a timeout', async () => {
    const s = open.find((x) => x !== lamp)!; // lamp-2: model `tiny`, 256-byte documents
    const nullInArray = await v1Op(s, 'lamp-2', () =>
      s.update('lamp-2', { state: { reported: { l: [null] } } }),
    );
    assert.equal(nullInArray.status, 'rejected');
    assert.deepEqual([nullInArray.body?.code, nullInArray.body?.message], [400, 'Invalid JSON']);
    const big = await v1Op(s, 'lamp-2', () =>
      s.update('lamp-2', { state: { reported: { s: 'x'.repeat(400) } } }),
    );
    assert.equal(big.status, 'rejected');
    assert.equal(big.body?.code, 413);
  });

  test('another thing’s shadow: allowed by an ACL grant, refused without one', async () => {
    const app = await connectV1(m, 'app-1');
    open.push(app);
    await registerV1(app, 'lamp-1');
    const up = await v1Op(app, 'lamp-1', () => app.update('lamp-1', { state: { desired: { on: false } } }));
    assert.equal(up.status, 'accepted', JSON.stringify(up.body));
    const got = await v1Op(app, 'lamp-1', () => app.get('lamp-1'));
    assert.deepEqual(got.body?.state.delta, { on: false });

    const other = await connectV1(m, 'app-2');
    open.push(other);
    // 3.1.1 SUBACK 0x80 for each shadow response topic: the SDK refuses to register the thing.
    await assert.rejects(registerV1(other, 'lamp-1'), /Not all subscriptions were granted/);
    const before = (await api(m.p, 'GET', '/devices/lamp-1/shadow')).body.version as number;
    await new Promise<void>((resolve, reject) =>
      other.publish(
        '$aws/things/lamp-1/shadow/update',
        '{"state":{"desired":{"on":1}}}',
        { qos: 1 },
        (err) => (err ? reject(new Error(JSON.stringify(err))) : resolve()),
      ),
    );
    assert.equal((await api(m.p, 'GET', '/devices/lamp-1/shadow')).body.version, before);
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
