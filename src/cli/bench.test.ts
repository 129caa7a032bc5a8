import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchOptions } from './bench.js';

test('bench options: kebab-case flags become camelCase keys; numbers and booleans are typed', () => {
  assert.deepEqual(
    parseBenchOptions([
      '--devices',
      '200',
      '--postgres',
      'postgres://x/test',
      '--quick',
      '--silent-share',
      '0.5',
    ]),
    {
      devices: 200,
      postgres: 'postgres://x/test',
      quick: true,
      silentShare: 0.5,
    },
  );
  assert.throws(() => parseBenchOptions(['devices']), /unexpected argument "devices"/);
});
