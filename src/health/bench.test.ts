import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchHealth } from './bench.js';

test('the health benchmark runs small: every silent device expires exactly once, nobody else does', async () => {
  const lines: string[] = [];
  const r = await benchHealth({ devices: 2000, minutes: 3, silentShare: 0.02, print: (l) => lines.push(l) });
  assert.equal(r.expired, 40);
  assert.equal(r.heartbeats, 2000 * 3 - 40 * 2);
  assert.ok(lines.some((l) => l.includes('p99')));
});
