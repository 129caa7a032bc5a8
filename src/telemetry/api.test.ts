/** The telemetry HTTP API on the whole platform (real registry, auth, error mapping) via inject(). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ManualClock } from '../core/clock.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import type { TelemetryModule } from './index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in tests
type Json = Record<string, any>;

const SCOOTER_YAML = readFileSync(new URL('./fixtures/scooter-telegram.yaml', import.meta.url), 'utf8');
const GOOD = '0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100,0454';
const ISSUE = '0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100,4E41';
const T0 = Date.UTC(2026, 0, 1);

describe('telemetry HTTP API', () => {
  let p: TestPlatform;
  const clock = new ManualClock(T0);
  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const r = await p.app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...p.auth, ...headers },
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });
    const json = (r.headers['content-type'] ?? '').toString().includes('json');
    return {
      status: r.statusCode,
      body: (json ? JSON.parse(r.body) : r.body) as Json,
      text: r.body,
      headers: r.headers,
    };
  };

  before(async () => {
    p = await startTestPlatform({}, { clock });
  });
  after(() => p.close());

  test('decoders: create, duplicate 409, get, replace, invalid 422 naming the field, delete, 404', async () => {
    const def = {
      id: 'boiler-json',
      name: 'Boiler',
      type: 'json',
      spec: { metrics: [{ path: 't', name: 'temp' }] },
    };
    assert.equal((await call('POST', '/decoders', def)).status, 201);
    assert.equal((await call('POST', '/decoders', def)).body.error.code, 'DECODER_EXISTS');
    assert.equal((await call('GET', '/decoders/boiler-json')).body.name, 'Boiler');
    const put = await call('PUT', '/decoders/boiler-json', { ...def, name: 'Boiler v2' });
    assert.deepEqual([put.status, put.body.name], [200, 'Boiler v2']);
    const bad = await call('PUT', '/decoders/broken', {
      type: 'csv',
      spec: { fields: [{ index: 0, name: 'x', type: 'decimal' }] },
    });
    assert.deepEqual(
      [bad.status, bad.body.error.code, bad.body.error.field],
      [422, 'DECODER_INVALID', 'spec.fields[0].type'],
    );
    assert.ok((await call('GET', '/decoders')).body.items.some((d: Json) => d.id === 'boiler-json'));
    assert.equal((await call('DELETE', '/decoders/boiler-json')).status, 204);
    assert.equal((await call('GET', '/decoders/boiler-json')).body.error.code, 'DECODER_NOT_FOUND');
  });

  test('YAML import and export; testing a stored decoder on the issue’s telegram and on the corrected one', async () => {
    const imp = await call('POST', '/decoders/import', SCOOTER_YAML, { 'content-type': 'application/yaml' });
    assert.deepEqual(imp.body, { created: ['scooter-telegram-v1'], updated: [] });
    const exp = await call('GET', '/decoders/export');
    assert.match(String(exp.headers['content-type']), /yaml/);
    assert.match(exp.text, /id: scooter-telegram-v1/);
    const wrong = await call('POST', '/decoders/scooter-telegram-v1/test', { payload: ISSUE });
    assert.equal(wrong.body.ok, false);
    assert.match(wrong.body.errors[0], /checksum mismatch/);
    const right = await call('POST', '/decoders/scooter-telegram-v1/test', {
      payload: Buffer.from(GOOD).toString('base64'),
      encoding: 'base64',
    });
    assert.equal(right.body.ok, true);
    assert.equal(right.body.points.find((x: Json) => x.name === 'battery.soc').value, 99);
    assert.deepEqual(
      right.body.events.map((e: Json) => e.code),
      ['HEADLIGHT_FAULT', 'IOT_BATTERY_LOW', 'GPS_NO_FIX', 'GPS_ANTENNA_OPEN', 'CELL_ROAMING'],
    );
  });

  test('POST /decoders/test with an inline definition', async () => {
    const r = await call('POST', '/decoders/test', {
      decoder: { id: 'inline', type: 'json', spec: { metrics: [{ path: 'a.b', name: 'ab', scale: 2 }] } },
      payload: '{"a":{"b":21}}',
    });
    assert.deepEqual(r.body.points, [{ name: 'ab', value: 42 }]);
    const invalid = await call('POST', '/decoders/test', {
      decoder: { id: 'inline', type: 'json', spec: { metrics: 3 } },
      payload: '{}',
    });
    assert.deepEqual([invalid.status, invalid.body.error.field], [422, 'spec.metrics']);
  });

  test('HTTP ingest for a registered device, then raw, bucketed and CSV queries, events and fleet latest', async () => {
    assert.equal((await call('POST', '/devices/nobody/telemetry', { a: 1 })).status, 404);
    assert.equal((await call('POST', '/device-models', { name: 'boiler' })).status, 201);
    assert.equal(
      (await call('POST', '/devices', { id: 'b-1', model: 'boiler', tags: ['site-a'] })).status,
      201,
    );
    // Ten minutes of readings, one every 30 s, as one gateway batch with device timestamps.
    const batch = Array.from({ length: 20 }, (_, i) => ({
      ts: T0 + i * 30_000,
      temp: 20 + i,
      pressure: 1.5,
    }));
    const r = await call('POST', '/devices/b-1/telemetry', batch);
    assert.deepEqual(r.body, { accepted: 20, points: 40, events: 0, decodeErrors: 0 });
    assert.deepEqual(
      (
        await call('POST', '/devices/b-1/telemetry', '"just a string"', {
          'content-type': 'application/json',
        })
      ).status,
      422,
    );
    clock.advance(3_600_000);

    // A gateway forwarding raw telegrams: text/plain, one per line, through the model's CSV decoder.
    assert.equal(
      (await call('POST', '/device-models', { name: 'scooter', decoder: 'scooter-telegram-v1' })).status,
      201,
    );
    assert.equal((await call('POST', '/devices', { id: 'sc-9', model: 'scooter' })).status, 201);
    const lines = await call('POST', '/devices/sc-9/telemetry', `${GOOD}\r\n${ISSUE}\n`, {
      'content-type': 'text/plain',
    });
    assert.deepEqual(lines.body, { accepted: 2, points: 19, events: 6, decodeErrors: 1 });

    const raw = await call('GET', `/devices/b-1/telemetry?metric=temp&from=${T0}&to=${T0 + 90_000}`);
    assert.deepEqual(
      raw.body.points.map((x: Json) => x.value),
      [20, 21, 22],
    );
    assert.equal(raw.body.source, 'raw');
    const perMinute = await call(
      'GET',
      `/devices/b-1/telemetry?metric=temp&from=${new Date(T0).toISOString()}&bucket=5m&agg=max`,
    );
    assert.equal(perMinute.body.source, 'minute');
    assert.deepEqual(
      perMinute.body.points.map((x: Json) => [x.ts - T0, x.value]),
      [
        [0, 29],
        [300_000, 39],
      ],
    );
    const hourly = await call('GET', `/devices/b-1/telemetry?metric=temp&from=${T0}&bucket=1h&agg=count`);
    assert.deepEqual(
      [hourly.body.source, hourly.body.points],
      ['hour', [{ ts: T0, metric: 'temp', value: 20 }]],
    );
    const avg30s = await call('GET', `/devices/b-1/telemetry?metric=temp&from=${T0}&bucket=90s&agg=avg`);
    assert.deepEqual(
      avg30s.body.points.slice(0, 2).map((x: Json) => x.value),
      [21, 24],
    );

    const csv = await call('GET', `/devices/b-1/telemetry.csv?metric=pressure&from=${T0}&to=${T0 + 60_000}`);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    assert.equal(
      csv.text,
      `time,ts,device_id,metric,value\n2026-01-01T00:00:00.000Z,${T0},b-1,pressure,1.5\n2026-01-01T00:00:30.000Z,${T0 + 30_000},b-1,pressure,1.5\n`,
    );
    const csv2 = await call(
      'GET',
      `/devices/b-1/telemetry?metric=pressure&from=${T0}&to=${T0 + 60_000}&format=csv`,
    );
    assert.equal(csv2.text, csv.text);

    assert.equal((await call('GET', '/devices/b-1/telemetry?bucket=1m')).body.error.field, 'metric');
    assert.equal(
      (await call('GET', '/devices/b-1/telemetry?metric=temp&from=0&bucket=1s')).body.error.field,
      'bucket',
    );
    assert.equal(
      (await call('GET', '/devices/b-1/telemetry?metric=temp&from=yesterday')).body.error.field,
      'from',
    );

    const latest = await call('GET', '/telemetry/latest?model=boiler&metric=temp');
    assert.deepEqual(
      latest.body.items.map((x: Json) => [x.deviceId, x.value]),
      [['b-1', 39]],
    );
    assert.deepEqual((await call('GET', '/telemetry/latest?tag=site-b')).body.items, []);
    const mine = await call('GET', '/devices/b-1/latest');
    assert.deepEqual(
      mine.body.items.map((x: Json) => x.metric),
      ['pressure', 'temp'],
    );
    assert.equal(mine.body.lastSeen.kind, 'telemetry');
  });

  test('event log: filters, text search and paging', async () => {
    assert.equal((await call('POST', '/devices', { id: 'b-2', model: 'boiler' })).status, 201);
    const telemetry = p.app.modules.find((m) => m.name === 'telemetry') as TelemetryModule;
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      const r = await telemetry.ingest({
        deviceId: 'b-2',
        kind: 'event',
        transport: 'mqtt',
        topic: 'devices/b-2/events',
        payload: Buffer.from(
          JSON.stringify({
            code: i % 2 ? 'IGNITION_FAILED' : 'LOW_PRESSURE',
            severity: i % 2 ? 'error' : 'warning',
            message: `event ${i}`,
          }),
        ),
      });
      await r.persisted;
    }
    const all = await call('GET', '/devices/b-2/events?limit=2');
    assert.deepEqual(
      all.body.items.map((e: Json) => e.message),
      ['event 4', 'event 3'],
    );
    const next = await call('GET', `/devices/b-2/events?limit=2&cursor=${all.body.nextCursor}`);
    assert.deepEqual(
      next.body.items.map((e: Json) => e.message),
      ['event 2', 'event 1'],
    );
    assert.deepEqual(
      (await call('GET', '/devices/b-2/events?severity=error')).body.items.map((e: Json) => e.message),
      ['event 3', 'event 1'],
    );
    assert.deepEqual(
      (await call('GET', '/devices/b-2/events?code=LOW_PRESSURE&q=EVENT 2')).body.items.map(
        (e: Json) => e.message,
      ),
      ['event 2'],
    );
    assert.equal((await call('GET', '/devices/b-2/events?cursor=bogus')).body.error.field, 'cursor');
  });
});
