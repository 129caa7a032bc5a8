/**
 * Run as its own process (`node --import tsx src/test-support/tracing-hooks-probe.ts <url>`) by
 * src/core/tracing-context.test.ts: whether Node's process-wide promise hooks are on before
 * tracing starts, after unsampled work with tracing on at ratio 0, while and after a sampled span
 * runs. Its own process because node:test turns those hooks on in the test process itself.
 * Prints one JSON line.
 */
import { executionAsyncId } from 'node:async_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { context } from '@opentelemetry/api';
import { extractContext, messageParent, startTracing, withSpan } from '../core/index.js';

/**
 * With promise hooks on, every promise reaction runs under an async id of its own; with them off,
 * two reactions of one microtask checkpoint share one. Turning them off takes effect after the
 * current microtask, hence the tick first.
 */
async function promiseHooksOn(): Promise<boolean> {
  await tick();
  const [a, b] = await Promise.all([
    Promise.resolve().then(() => executionAsyncId()),
    Promise.resolve().then(() => executionAsyncId()),
  ]);
  return a !== b;
}

async function unsampledWork(): Promise<void> {
  await withSpan('unsampled root', {}, async () => {
    await tick();
    await withSpan('unsampled child', {}, () => tick());
  });
  const caller = extractContext({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-00` });
  await context.with(caller, () => withSpan('under an unsampled caller', {}, () => tick()));
  if (messageParent(undefined, true) !== undefined) throw new Error('a message at ratio 0 was traced');
}

const endpoint = process.argv[2]!;
const before = await promiseHooksOn();
const off = await startTracing({ endpoint, sampleRatio: 0, nodeId: 'hooks-probe' });
await unsampledWork();
const afterUnsampled = await promiseHooksOn();
await off.shutdown();
const on = await startTracing({ endpoint, sampleRatio: 1, nodeId: 'hooks-probe' });
const duringSampled = await withSpan('sampled', {}, async () => {
  await tick();
  return promiseHooksOn();
});
const afterSampled = await promiseHooksOn();
await on.shutdown();
process.stdout.write(`${JSON.stringify({ before, afterUnsampled, duringSampled, afterSampled })}\n`);
