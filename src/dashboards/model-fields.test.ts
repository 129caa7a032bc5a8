/** Fields read from decoder definitions of each type, and merged with reported keys. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decoderFields, mergeFields } from './model-fields.js';

test('CSV fields by role and type: numbers with units, text, enum labels, composite parts; events skipped', () => {
  const fields = decoderFields({
    id: 'scooter-csv',
    type: 'csv',
    spec: {
      fields: [
        { index: 0, name: 'kind', type: 'string', role: 'ignore' },
        { index: 1, name: 'battery', type: 'int', unit: 'V', scale: 0.001 },
        { index: 2, name: 'status', type: 'hex', role: 'status', bits: {} },
        { index: 3, name: 'err', type: 'int', role: 'code' },
        { index: 4, name: 'mode', type: 'enum', labels: { 0: 'parked' } },
        {
          index: 5,
          name: 'pos',
          type: 'composite',
          parts: [
            { name: 'lat', type: 'float' },
            { name: 'lon', type: 'float' },
          ],
        },
        { index: 6, name: 'rider', type: 'string' },
        { index: 7, name: 'locked', type: 'bool' },
        { index: 8, name: 'raw_temp', type: 'int', role: 'attribute' },
      ],
    },
  });
  assert.deepEqual(fields, [
    { key: 'battery', kind: 'number', source: 'scooter-csv', unit: 'V' },
    { key: 'mode', kind: 'text', source: 'scooter-csv' },
    { key: 'pos.lat', kind: 'number', source: 'scooter-csv' },
    { key: 'pos.lon', kind: 'number', source: 'scooter-csv' },
    { key: 'rider', kind: 'text', source: 'scooter-csv' },
    { key: 'locked', kind: 'number', source: 'scooter-csv' },
    { key: 'raw_temp', kind: 'text', source: 'scooter-csv' },
  ]);
});

test('JSON and protobuf mappings: metric name or path, unit, attributes; junk specs yield nothing', () => {
  const spec = {
    metrics: [{ path: 'temps[0]', name: 'flow', unit: 'degC' }, { path: 'co2' }, { name: 42 }],
    attributes: [{ path: 'fw.version' }, 'junk'],
  };
  const want = [
    { key: 'flow', kind: 'number', source: 'd', unit: 'degC' },
    { key: 'co2', kind: 'number', source: 'd' },
    { key: 'fw.version', kind: 'text', source: 'd' },
  ];
  assert.deepEqual(decoderFields({ id: 'd', type: 'json', spec }), want);
  assert.deepEqual(
    decoderFields({ id: 'd', type: 'protobuf', spec: { proto: '…', messageType: 'M', ...spec } }),
    want,
  );
  assert.deepEqual(decoderFields({ id: 'd', type: 'csv', spec: { fields: 'nope' } }), []);
});

test('merge: the first declaration of a key wins, reported keys not declared follow in name order', () => {
  const a = [{ key: 't', kind: 'number' as const, unit: 'degC', source: 'a' }];
  const b = [{ key: 't', kind: 'number' as const, unit: 'K', source: 'b' }];
  assert.deepEqual(
    mergeFields(
      [a, b],
      [
        { key: 'z', kind: 'text' },
        { key: 't', kind: 'number' },
        { key: 'm', kind: 'number' },
      ],
    ),
    [a[0], { key: 'm', kind: 'number', source: 'reported' }, { key: 'z', kind: 'text', source: 'reported' }],
  );
});
