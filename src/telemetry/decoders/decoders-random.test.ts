/**
 * Random-input tests for every decoder type (STYLE.md rule 11): whatever the bytes, a decoder never
 * throws and returns either values (finite metrics, well-formed events) or a decode error reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { parseDecodersYaml } from '../decoder-yaml.js';
import { SEVERITIES, type Decoder, type DecodeOutcome } from '../types.js';
import { compileDecoder, decodeDefaultEvent, decodeDefaultTelemetry } from './index.js';

const RUNS = 800;

function wellFormed(r: DecodeOutcome): void {
  if (!r.ok) {
    assert.equal(typeof r.reason, 'string');
    assert.ok(r.reason.length > 0);
    return;
  }
  for (const m of r.values.metrics) {
    assert.equal(typeof m.name, 'string');
    assert.ok(Number.isFinite(m.value), `${m.name}=${m.value}`);
  }
  for (const e of r.values.events) {
    assert.equal(typeof e.code, 'string');
    assert.ok(SEVERITIES.includes(e.severity));
    assert.equal(typeof e.message, 'string');
  }
  if (r.values.ts !== undefined) assert.ok(Number.isFinite(r.values.ts));
}

const neverThrows = (d: Pick<Decoder, 'decode'>, arb: fc.Arbitrary<Buffer>): void =>
  fc.assert(
    fc.property(arb, (buf) => wellFormed(d.decode(buf))),
    { numRuns: RUNS },
  );

const bytes = fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u));
const scooter = compileDecoder(
  parseDecodersYaml(readFileSync(new URL('../fixtures/scooter-telegram.yaml', import.meta.url), 'utf8'))[0],
);
const GOOD = '0,0.0,0,0.0,,,,,0440,0130,16B0,02092053,26&99,2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100,0454';

test('CSV telegram decoder: random bytes, random text, and mutated good telegrams', () => {
  neverThrows(scooter, bytes);
  neverThrows(
    scooter,
    fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
  );
  const fields = GOOD.split(',');
  const mutated = fc
    .tuple(
      fc.nat({ max: fields.length - 1 }),
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('', '&', '&&&', 'FFFFFFFFFFFFFF', '-1', '1e400', 'NaN'),
      ),
    )
    .map(([i, v]) => Buffer.from(fields.map((f, j) => (j === i ? v : f)).join(',')));
  neverThrows(scooter, mutated);
  // Without a checksum, mutated fields reach every field parser.
  const noChecksum = compileDecoder({
    ...scooter.definition,
    spec: { ...scooter.definition.spec, checksum: undefined },
  });
  neverThrows(
    noChecksum,
    mutated.map((b) => b.subarray(0, b.lastIndexOf(','))),
  );
});

test('JSON decoder and default decoding: random JSON values and random bytes', () => {
  const json = compileDecoder({
    id: 'j',
    type: 'json',
    spec: {
      timestamp: { path: 'ts' },
      metrics: [{ path: 'a' }, { path: 'b.c[0]', scale: 1e300 }, { path: 'd', offset: 1 }],
      events: [{ path: 'e', codes: { 1: { code: 'ONE', severity: 'error' } } }],
      attributes: [{ path: 's' }],
    },
  });
  const values = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        ts: fc.oneof(fc.double(), fc.string(), fc.integer()),
        a: fc.jsonValue(),
        b: fc.record({ c: fc.array(fc.double()) }),
        d: fc.double(),
        e: fc.jsonValue(),
        s: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  );
  const payloads = fc.oneof(
    bytes,
    values.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  );
  neverThrows(json, payloads);
  neverThrows({ decode: decodeDefaultTelemetry }, payloads);
  neverThrows({ decode: decodeDefaultEvent }, payloads);
});

test('protobuf decoder: random bytes and random valid messages', () => {
  const proto =
    'syntax = "proto3"; message M { int64 ts = 1; double v = 2; repeated sint32 xs = 3; string s = 4; M child = 5; }';
  const d = compileDecoder({
    id: 'p',
    type: 'protobuf',
    spec: {
      proto,
      messageType: 'M',
      timestamp: { path: 'ts' },
      metrics: [{ path: 'v' }, { path: 'xs[2]' }, { path: 'child.v' }],
      attributes: [{ path: 's' }],
    },
  });
  neverThrows(d, bytes);
  const M = protobuf.parse(proto, { keepCase: true }).root.lookupType('M');
  const msgs = fc
    .record({
      ts: fc.integer({ min: 0 }),
      v: fc.double(),
      xs: fc.array(fc.integer({ min: -1000, max: 1000 })),
      s: fc.string(),
    })
    .map((o) => Buffer.from(M.encode(M.fromObject({ ...o, child: { v: o.v } })).finish()));
  fc.assert(
    fc.property(msgs, (buf) => {
      const r = d.decode(buf);
      wellFormed(r);
      assert.ok(r.ok, 'a valid message always decodes');
    }),
    { numRuns: 500 },
  );
});
