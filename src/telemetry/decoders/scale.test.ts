/**
 * `value × scale + offset` is stored as the double nearest to the exact decimal result, so
 * 53870 × 0.001 is 53.87 (not 53.870000000000005). Fixture table, decoder-level cases and a
 * property test against an exact rational reference built from the generation parameters.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileDecoder } from './index.js';
import { compileScale, decimalsOf } from './scale.js';

/** The decimal places of a number as String() prints it (what a user sees in the API and CSV). */
const printedDecimals = (x: number): number => decimalsOf(x);

describe('scale and offset are exact to their decimals', () => {
  const cases: [number, number, number, number][] = [
    // raw, scale, offset, stored
    [53870, 0.001, 0, 53.87],
    [54095, 0.001, 0, 54.095],
    [4053, 0.001, 0, 4.053],
    [2092053, 0.01, 0, 20920.53],
    [3, 0.1, 0, 0.3],
    [7, 0.1, 0.2, 0.9],
    [1, 0.5, 0, 0.5],
    [3, 0.5, 0.25, 1.75],
    [123456, 1e-6, 0, 0.123456],
    [1, 1e-7, 0, 1e-7],
    [89, -1, 0, -89],
    [-12, 0.1, -40, -41.2],
    [415, 0.1, -40, 1.5],
    [3.25, 0.1, 0, 0.325], // a float reading keeps its own decimals too
    [0.1, 3, 0, 0.3],
    [12, 1, 0, 12],
    [0.1 + 0.2, 1, 0, 0.1 + 0.2], // scale 1 and offset 0 leave the reading untouched
    [2 ** 60, 0.001, 0, Number('1152921504606846.976')], // past 2^53: still the nearest double
  ];
  for (const [raw, scale, offset, want] of cases)
    test(`${raw} × ${scale} + ${offset} = ${want}`, () => {
      assert.equal(compileScale(scale, offset)(raw), want);
    });

  test('the operator’s telegram field: int × 0.001 is stored as 53.87', () => {
    const d = compileDecoder({
      id: 'v',
      type: 'csv',
      spec: { fields: [{ index: 0, name: 'battery_voltage', type: 'int', scale: 0.001, unit: 'V' }] },
    });
    const r = d.decode(Buffer.from('53870'));
    assert.ok(r.ok);
    assert.deepEqual(r.values.metrics, [{ name: 'battery_voltage', value: 53.87, unit: 'V' }]);
  });

  test('JSON and protobuf mappings round the same way', () => {
    const d = compileDecoder({
      id: 'j',
      type: 'json',
      spec: {
        metrics: [
          { path: 'mv', scale: 0.001 },
          { path: 't', scale: 0.1, offset: -40 },
        ],
      },
    });
    const r = d.decode(Buffer.from('{"mv":53870,"t":415}'));
    assert.ok(r.ok);
    assert.deepEqual(
      r.values.metrics.map((m) => m.value),
      [53.87, 1.5],
    );
  });

  test('non-finite readings stay non-finite (the decoder drops them as absent)', () => {
    assert.ok(Number.isNaN(compileScale(0.1, 0)(NaN)));
    assert.equal(compileScale(0.1, 0)(Infinity), Infinity);
  });
});

describe('property: the result is the double nearest to the exact decimal value', () => {
  // scale = k × 10^-ds, offset = o × 10^-dof, raw = n × 10^-dn: exact in decimal by construction.
  const digits = (int: bigint, dec: number): number => Number(`${int}e-${dec}`);
  const arb = fc.record({
    n: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
    dn: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4 })),
    k: fc.oneof(
      fc.constantFrom(1n, 5n, 25n, -1n),
      fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }).filter((k) => k !== 0n),
    ),
    ds: fc.integer({ min: 0, max: 9 }),
    o: fc.oneof(fc.constant(0n), fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n })),
    dof: fc.integer({ min: 0, max: 6 }),
  });

  test('for random readings, scales (0.1, 0.01, 0.001, 0.5, 1e-6, …) and offsets', () => {
    fc.assert(
      fc.property(arb, ({ n, dn, k, ds, o, dof }) => {
        const raw = digits(n, dn);
        const scale = digits(k, ds);
        const offset = digits(o, dof);
        // Exact rational: n·k / 10^(dn+ds) + o / 10^dof, over the common denominator 10^D.
        const D = Math.max(dn + ds, dof);
        const num = n * k * 10n ** BigInt(D - dn - ds) + o * 10n ** BigInt(D - dof);
        const want = digits(num, D);
        const got = compileScale(scale, offset)(raw);
        assert.equal(got, want, `${raw} × ${scale} + ${offset}`);
        // What users see: never more decimals than the exact result has.
        if (scale !== 1 || offset !== 0) assert.ok(printedDecimals(got) <= D, `${got} has > ${D} decimals`);
      }),
      { numRuns: 3000 },
    );
  });

  test('the common scales on every 16-bit reading', () => {
    for (const [scale, ds] of [
      [0.1, 1],
      [0.01, 2],
      [0.001, 3],
      [0.5, 1],
      [1e-6, 6],
    ] as const) {
      const f = compileScale(scale, 0);
      for (let n = 0; n < 65536; n++) assert.ok(decimalsOf(f(n)) <= ds, `${n} × ${scale} = ${f(n)}`);
    }
  });
});
