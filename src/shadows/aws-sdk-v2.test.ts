/**
 * AWS IoT shadow parity with the real v2 SDK (`aws-iot-device-sdk-v2`, the aws-crt native MQTT 5
 * client and its request-response shadow client) over mutual TLS. The v2 client matches every
 * answer to its request by clientToken: a rejection without it is a timeout to the application.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mqtt_request_response } from 'aws-iot-device-sdk-v2';
import { api } from './e2e-helpers.js';
import {
  connectV2,
  startMtlsPlatform,
  v2Error,
  type MtlsPlatform,
  type V2Client,
  type V2Protocol,
} from './aws-sdk-helpers.js';

// aws-crt's MQTT 5 client keeps the Node.js process alive after stop() and close()
// (aws-crt-nodejs issue #600): once every test here has reported, end the process if nothing else
// would. The timer is unref'd, so it never holds the process open itself.
after(() => {
  setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
});

for (const protocol of ['mqtt311', 'mqtt5'] as V2Protocol[])
  describe(`aws-iot-device-sdk-v2 IotShadowClientv2 over ${protocol} with mutual TLS`, () =>
    v2Suite(protocol));

function v2Suite(protocol: V2Protocol): void {
  let m: MtlsPlatform;
  let dev: V2Client;
  const open: V2Client[] = [];

  before(async () => {
    m = await startMtlsPlatform({ 'boiler-1': 'tiny', 'app-1': 'gateway', 'app-2': undefined }, [
      { name: 'tiny', shadow: { maxDocumentBytes: 512 } },
      {
        name: 'gateway',
        acl: {
          publish: ['$aws/things/${deviceId}/#', '$aws/things/${tag:serves}/shadow/#'],
          subscribe: ['$aws/things/${deviceId}/#', '$aws/things/${tag:serves}/shadow/#'],
        },
      },
    ]);
    assert.equal((await api(m.p, 'PATCH', '/devices/app-1', { tags: ['serves=boiler-1'] })).status, 200);
    dev = await connectV2(m, 'boiler-1', protocol);
    open.push(dev);
  });
  after(async () => {
    for (const c of open) await c.close();
    await m?.close();
  });

  const thingName = 'boiler-1';

  test('classic shadow: get 404, update, get, delete', async () => {
    // The SDK's metrics user name rides along; the certificate alone identifies the device.
    assert.match(m.p.app.broker.clientInfo(thingName)?.username ?? '', /^\?SDK=IoTDeviceSDK\/JS&/);
    const missing = await v2Error(dev.shadow.getShadow({ thingName }));
    assert.equal(missing.code, 404);
    const up = await dev.shadow.updateShadow({ thingName, state: { reported: { temp: 20 } } });
    assert.equal(up.version, 1);
    const got = await dev.shadow.getShadow({ thingName });
    assert.deepEqual(got.state?.reported, { temp: 20 });
    const del = await dev.shadow.deleteShadow({ thingName });
    assert.equal(del.version, 1);
  });

  test('named shadow: update with desired → delta event; report; get; delete', async () => {
    const shadowName = 'schedule';
    const deltas = dev.shadow.createNamedShadowDeltaUpdatedStream({ thingName, shadowName });
    const status = once(deltas, mqtt_request_response.StreamingOperation.SUBSCRIPTION_STATUS);
    deltas.open();
    await status;
    try {
      const delta = once(deltas, mqtt_request_response.StreamingOperation.INCOMING_PUBLISH);
      await api(m.p, 'POST', `/devices/${thingName}/shadows/${shadowName}`, {
        state: { desired: { setpoint: 21.5, days: ['mon', 'tue'] } },
      });
      const [event] = (await delta) as [{ message: { state: object; metadata: { days: unknown[] } } }];
      assert.deepEqual(event.message.state, { setpoint: 21.5, days: ['mon', 'tue'] });
      assert.equal(event.message.metadata.days.length, 2, 'one metadata entry per array element');
      const rep = await dev.shadow.updateNamedShadow({
        thingName,
        shadowName,
        state: { reported: { setpoint: 21.5, days: ['mon', 'tue'] } },
      });
      assert.equal(rep.version, 2);
      const got = await dev.shadow.getNamedShadow({ thingName, shadowName });
      assert.equal(got.state?.delta, undefined);
      assert.equal((await dev.shadow.deleteNamedShadow({ thingName, shadowName })).version, 2);
    } finally {
      deltas.close();
    }
  });

  test('version conflict and other rejections reach the application with their code', async () => {
    const shadowName = 'cfg';
    await dev.shadow.updateNamedShadow({ thingName, shadowName, state: { reported: { a: 1 } } });
    const conflict = await v2Error(
      dev.shadow.updateNamedShadow({ thingName, shadowName, state: { reported: { a: 2 } }, version: 7 }),
    );
    assert.deepEqual([conflict.code, conflict.message], [409, 'Version conflict']);
    const nullInArray = await v2Error(
      dev.shadow.updateNamedShadow({ thingName, shadowName, state: { reported: { l: [1, null] } } }),
    );
    assert.deepEqual([nullInArray.code, nullInArray.message], [400, 'Invalid JSON']);
    const big = await v2Error(
      dev.shadow.updateNamedShadow({ thingName, shadowName, state: { reported: { s: 'x'.repeat(600) } } }),
    );
    assert.deepEqual([big.code, big.message], [413, 'The payload exceeds the maximum size allowed']);
  });

  test('another thing’s shadow: an app granted by its ACL updates and reads it; another app cannot', async () => {
    const app = await connectV2(m, 'app-1', protocol);
    open.push(app);
    const up = await app.shadow.updateNamedShadow({
      thingName,
      shadowName: 'ui',
      state: { desired: { mode: 'eco' } },
    });
    assert.equal(up.version, 1);
    const got = await app.shadow.getNamedShadow({ thingName, shadowName: 'ui' });
    assert.deepEqual(got.state?.desired, { mode: 'eco' });

    const other = await connectV2(m, 'app-2', protocol, 1);
    open.push(other);
    // Its subscriptions to boiler-1's response topics are refused (SUBACK 0x87): the request fails.
    const refused = await v2Error(other.shadow.getNamedShadow({ thingName, shadowName: 'ui' }));
    assert.equal(refused.code, undefined, JSON.stringify(refused));
    const after = await api(m.p, 'GET', `/devices/${thingName}/shadows/ui`);
    assert.equal(after.body.version, 1);
  });
}
