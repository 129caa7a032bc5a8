/** Decoder fixture tables, continued: the JSON and protobuf decoders. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import type { DecodedValues, DecodeOutcome } from '../types.js';
import { compileDecoder } from './index.js';

const ok = (r: DecodeOutcome): DecodedValues => {
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.values;
};
const metrics = (v: DecodedValues): Record<string, number> =>
  Object.fromEntries(v.metrics.map((m) => [m.name, m.value]));

describe('JSON decoder', () => {
  const d = compileDecoder({
    id: 'boiler',
    type: 'json',
    spec: {
      timestamp: { path: 'meta.ts' },
      metrics: [
        { path: 'temps[0]', name: 'flow_temp', unit: 'degC', scale: 0.1 },
        { path: 'temps[1]', name: 'return_temp', unit: 'degC', scale: 0.1 },
        { path: 'pressure', unit: 'bar' },
        { path: 'burner.on', name: 'burner_on' },
        { path: 'co2', offset: -400 },
      ],
      events: [
        {
          path: 'fault',
          codes: { F28: { code: 'IGNITION_FAILED', severity: 'error', message: 'No flame after ignition' } },
          default: { code: 'BOILER_FAULT', severity: 'warning', message: 'Boiler fault' },
        },
      ],
      attributes: [{ path: 'mode' }],
    },
  });
  const table: [string, unknown, (v: DecodedValues) => void][] = [
    [
      'paths, indices, scale, offset, booleans, epoch seconds',
      {
        meta: { ts: 1767225600 },
        temps: [655, 402],
        pressure: 1.4,
        burner: { on: true },
        co2: 812,
        fault: '',
        mode: 'heating',
      },
      (v) => {
        assert.equal(v.ts, Date.UTC(2026, 0, 1));
        assert.deepEqual(metrics(v), {
          flow_temp: 65.5,
          return_temp: 40.2,
          pressure: 1.4,
          burner_on: 1,
          co2: 412,
        });
        assert.deepEqual(v.events, []);
        assert.deepEqual(v.attributes, [{ name: 'mode', text: 'heating' }]);
        assert.equal(v.metrics[0]!.unit, 'degC');
      },
    ],
    [
      'ISO time, a known fault code, absent metrics',
      { meta: { ts: '2026-01-01T00:00:01Z' }, fault: 'F28' },
      (v) => {
        assert.equal(v.ts, Date.UTC(2026, 0, 1) + 1000);
        assert.deepEqual(v.metrics, []);
        assert.deepEqual(
          v.events.map((e) => e.code),
          ['IGNITION_FAILED'],
        );
      },
    ],
    [
      'epoch milliseconds and an unknown fault',
      { meta: { ts: 1767225600123 }, fault: 'F99' },
      (v) => {
        assert.equal(v.ts, 1767225600123);
        assert.deepEqual(
          v.events.map((e) => e.code),
          ['BOILER_FAULT'],
        );
      },
    ],
    [
      'numeric strings count, other strings are absent',
      { pressure: '1.5', co2: 'n/a' },
      (v) => assert.deepEqual(metrics(v), { pressure: 1.5 }),
    ],
  ];
  for (const [name, payload, check] of table)
    test(name, () => check(ok(d.decode(Buffer.from(JSON.stringify(payload))))));
  test('invalid JSON and an unreadable timestamp are decode errors', () => {
    assert.match(JSON.stringify(d.decode(Buffer.from('{"a":'))), /invalid JSON/);
    assert.match(
      JSON.stringify(d.decode(Buffer.from('{"meta":{"ts":"yesterday"}}'))),
      /timestamp: cannot read/,
    );
  });
});

describe('protobuf decoder', () => {
  const proto = `syntax = "proto3";
package fleet;
message Reading {
  string device = 1;
  int64 ts_ms = 2;
  double temperature = 3;
  uint32 battery_mv = 4;
  enum Fault { NONE = 0; OVERHEAT = 1; SENSOR = 2; }
  Fault fault = 5;
  repeated float cells = 6;
}`;
  const def = {
    id: 'reading-pb',
    type: 'protobuf',
    spec: {
      proto,
      messageType: 'fleet.Reading',
      deviceIdPath: 'device',
      timestamp: { path: 'ts_ms', format: 'epoch-ms' },
      metrics: [
        { path: 'temperature', unit: 'degC' },
        { path: 'battery_mv', name: 'battery', scale: 0.001, unit: 'V' },
        { path: 'cells[1]', name: 'cell2' },
      ],
      events: [
        {
          path: 'fault',
          ok: ['NONE'],
          codes: { OVERHEAT: { code: 'OVERHEAT', severity: 'critical', message: 'Too hot' } },
        },
      ],
    },
  };
  const d = compileDecoder(def);
  const Reading = protobuf.parse(proto, { keepCase: true }).root.lookupType('fleet.Reading');
  const encode = (o: Record<string, unknown>): Buffer =>
    Buffer.from(Reading.encode(Reading.fromObject(o)).finish());

  test('decodes fields, int64 time, enums through the event code table', () => {
    const v = ok(
      d.decode(
        encode({
          device: 'b-1',
          ts_ms: 1767225600500,
          temperature: 21.5,
          battery_mv: 3700,
          fault: 1,
          cells: [3.5, 3.25],
        }),
      ),
    );
    assert.equal(v.deviceId, 'b-1');
    assert.equal(v.ts, 1767225600500);
    assert.deepEqual(metrics(v), { temperature: 21.5, battery: 3.7, cell2: 3.25 });
    assert.deepEqual(
      v.events.map((e) => e.code),
      ['OVERHEAT'],
    );
  });
  test('fault NONE produces no event; an unset (0) time is absent', () => {
    const v = ok(d.decode(encode({ device: 'b-1', temperature: 1, fault: 0 })));
    assert.deepEqual(v.events, []);
    assert.equal(v.ts, undefined);
  });
  test('a truncated message is a decode error', () => {
    const bytes = encode({ device: 'b-1-long-name', temperature: 21.5 });
    assert.match(JSON.stringify(d.decode(bytes.subarray(0, 5))), /protobuf fleet.Reading/);
  });
  test('an unknown message type is refused at upload time', () => {
    assert.throws(
      () => compileDecoder({ ...def, spec: { ...def.spec, messageType: 'fleet.Nope' } }),
      /spec.proto: cannot use message type fleet.Nope/,
    );
  });
});

