/**
 * The live stream the console listens to (GET /api/v1/stream, server-sent events) on a real
 * platform: bus events arrive as `event:`/`data:` frames, a token is required, and closing the
 * platform ends open streams instead of waiting for the browser to hang up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../../test-support/platform.js';

test('stream: sends bus events as SSE frames and does not hold up close()', async (t) => {
  const p = await startTestPlatform();
  let closed = false;
  t.after(async () => {
    if (!closed) await p.close();
  });
  const anon = await fetch(`${p.httpUrl}/api/v1/stream`);
  assert.equal(anon.status, 401);
  await anon.body?.cancel();

  const res = await fetch(`${p.httpUrl}/api/v1/stream`, { headers: p.auth });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  const until = async (re: RegExp): Promise<void> => {
    while (!re.test(buf)) {
      const { value, done } = await reader.read();
      if (done) assert.fail(`stream ended before ${String(re)}; got ${buf}`);
      buf += value;
    }
  };
  await until(/: connected\n\n/);
  p.app.bus.emit('service-state.changed', {
    deviceId: 'd1',
    from: 'in_service',
    to: 'out_of_service',
    reasons: ['manual'],
    at: 1,
    actor: { kind: 'token', id: 't' },
    note: 'checked',
  });
  await until(/event: service-state\.changed\ndata: (.*)\n\n/);
  const data = JSON.parse(/event: service-state\.changed\ndata: (.*)\n\n/.exec(buf)![1]!) as {
    deviceId: string;
  };
  assert.equal(data.deviceId, 'd1');

  // The browser keeps the stream open; close() must end it rather than wait.
  await p.close();
  closed = true;
  const rest = await reader.read();
  assert.equal(rest.done, true, 'the stream ended with the platform');
});
