import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { freePort } from './brokers.js';
import { heapUsedAfterGc, inspectFlag } from './heap-probe.js';

// A real Node process with the inspector on, as the benchmark starts brokers: on a line on stdin
// it retains (or allocates and drops) 200,000 small objects, then answers "ok".
const CHILD = `
globalThis.kept = [];
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', (l) => {
  const objs = [];
  for (let i = 0; i < 200000; i++) objs.push({ a: i, b: 'x' + i });
  if (l === 'retain') globalThis.kept.push(objs);
  process.stdout.write('ok\\n');
});
process.stdout.write('ready\\n');
`;

test('heap after a full GC counts retained objects and not garbage', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, [inspectFlag(port), '-e', CHILD], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  t.after(() => child.kill('SIGKILL'));
  child.stdout.setEncoding('utf8');
  const lines: string[] = [];
  let waiting: (() => void) | undefined;
  child.stdout.on('data', (d: string) => {
    lines.push(...d.split('\n').filter(Boolean));
    waiting?.();
  });
  const next = async (want: string): Promise<void> => {
    while (!lines.includes(want)) await new Promise<void>((r) => (waiting = r));
    lines.splice(lines.indexOf(want), 1);
  };
  const ask = async (what: string): Promise<void> => {
    child.stdin.write(`${what}\n`);
    await next('ok');
  };
  await Promise.race([next('ready'), once(child, 'exit').then(() => assert.fail('child exited'))]);

  const h0 = await heapUsedAfterGc(port);
  await ask('garbage');
  const h1 = await heapUsedAfterGc(port);
  await ask('retain');
  const h2 = await heapUsedAfterGc(port);
  // 200,000 objects with a string each: several MB, whatever V8's exact layout.
  assert.ok(h2 - h1 > 4_000_000, `retained: ${h1} → ${h2}`);
  assert.ok(h1 - h0 < 1_000_000, `garbage collected: ${h0} → ${h1}`);
});
