/**
 * A device model's `decoders` (one decoder per transport/topic) through the registry: the API
 * stores and returns it, refuses bad entries naming the field, YAML export/import keeps it, and the
 * directory hands it to telemetry.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { startRegistryHarness, type RegistryHarness } from './testing.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in tests
type Json = Record<string, any>;

const DECODERS = [
  { match: { transport: 'mqtt', topic: 'devices/+/events' }, decoder: 'scooter-json' },
  { match: { transport: 'telegram' }, decoder: 'scooter-csv' },
];

describe('device model decoders per transport/topic', () => {
  let h: RegistryHarness;
  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
    const r = await h.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: h.auth,
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });
    return { status: r.statusCode, body: r.body ? (JSON.parse(r.body) as Json) : {} };
  };

  before(async () => {
    h = await startRegistryHarness();
  });
  after(async () => {
    await h.close();
  });

  test('created, returned, replaced, and kept beside the single decoder field', async () => {
    const created = await call('POST', '/device-models', { name: 'scooter', decoders: DECODERS });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.decoders, DECODERS);
    assert.deepEqual((await call('GET', '/device-models/scooter')).body.decoders, DECODERS);
    const info = await h.registry.directory.getModel('scooter');
    assert.deepEqual(info?.decoders, DECODERS);

    const both = await call('PUT', '/device-models/scooter', {
      decoder: 'fallback',
      decoders: DECODERS.slice(1),
    });
    assert.equal(both.status, 200);
    assert.equal(both.body.decoder, 'fallback');
    assert.deepEqual(both.body.decoders, DECODERS.slice(1));
    const after = await h.registry.directory.getModel('scooter');
    assert.deepEqual([after?.decoder, after?.decoders], ['fallback', DECODERS.slice(1)]);

    const none = await call('PUT', '/device-models/scooter', {});
    assert.equal(none.body.decoders, undefined, 'a replace without decoders removes them');
  });

  const bad: [string, unknown, string][] = [
    ['not a list', { transport: 'mqtt' }, 'decoders'],
    ['an entry without decoder', [{ match: {} }], 'decoders[0].decoder'],
    ['an entry without match', [{ decoder: 'x' }], 'decoders[0].match'],
    ['an unknown transport', [{ match: { transport: 'coap' }, decoder: 'x' }], 'decoders[0].match.transport'],
    [
      'a topic on a telegram',
      [{ match: { transport: 'telegram', topic: 'a/b' }, decoder: 'x' }],
      'decoders[0].match.topic',
    ],
    ['"#" not last', [{ match: { topic: 'devices/#/events' }, decoder: 'x' }], 'decoders[0].match.topic'],
    [
      '"+" inside a level',
      [{ match: { topic: 'devices/a+/events' }, decoder: 'x' }],
      'decoders[0].match.topic',
    ],
    ['an unknown match key', [{ match: { qos: 1 }, decoder: 'x' }], 'decoders[0].match.qos'],
    ['an unknown entry key', [{ match: {}, decoder: 'x', priority: 1 }], 'decoders[0].priority'],
  ];
  for (const [name, decoders, field] of bad)
    test(`refused with 422 naming ${field}: ${name}`, async () => {
      const r = await call('POST', '/device-models', { name: 'bad', decoders });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.error.field, `body.${field}`);
    });

  test('YAML export carries decoders and import accepts them, errors naming the entry', async () => {
    await call('PUT', '/device-models/scooter', { decoders: DECODERS });
    const exported = await h.http.inject({ method: 'GET', url: '/api/v1/export', headers: h.auth });
    const doc = parse(exported.body) as Json;
    assert.deepEqual(doc.models.find((m: Json) => m.name === 'scooter').decoders, DECODERS);

    const yaml = (body: string) =>
      h.http.inject({
        method: 'POST',
        url: '/api/v1/import',
        headers: { ...h.auth, 'content-type': 'application/yaml' },
        payload: body,
      });
    const ok = await yaml(
      [
        'models:',
        '  - name: bike',
        '    decoder: bike-default',
        '    decoders:',
        "      - { match: { topic: 'devices/+/events/#' }, decoder: bike-events }",
        '      - { match: { transport: http }, decoder: bike-http }',
      ].join('\n'),
    );
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual((await call('GET', '/device-models/bike')).body.decoders, [
      { match: { topic: 'devices/+/events/#' }, decoder: 'bike-events' },
      { match: { transport: 'http' }, decoder: 'bike-http' },
    ]);
    const refused = await yaml(
      'models:\n  - name: bike\n    decoders: [{ match: { transport: tcp }, decoder: x }]\n',
    );
    assert.equal(refused.statusCode, 422);
    assert.equal((JSON.parse(refused.body) as Json).error.field, 'models[0].decoders[0].match.transport');
  });
});
