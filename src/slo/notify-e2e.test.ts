// End to end: an SLO burn-rate alert fires on the platform and notify delivers it to a webhook
// (a real local HTTP server) through its outbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../core/clock.js';
import { startTestPlatform } from '../test-support/platform.js';
import { MINUTE } from './budget.js';

test('a firing SLO alert reaches a webhook through notify', async (t) => {
  const received: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(data) as Record<string, unknown> });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  const p = await startTestPlatform({}, { clock });
  t.after(() => p.close());

  const post = async (url: string, payload: unknown) => {
    const r = await p.app.http.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      headers: p.auth,
      payload: payload as object,
    });
    assert.ok(r.statusCode < 300, `${url}: ${r.statusCode} ${r.body}`);
    return JSON.parse(r.body) as { id: string };
  };
  const port = (server.address() as AddressInfo).port;
  const ch = await post('/notification-channels', {
    name: 'slo hook',
    type: 'webhook',
    url: `http://127.0.0.1:${port}/hook`,
    groupWindowMs: 0,
  });
  await post('/notification-routes', { name: 'slo', channelIds: [ch.id], kinds: ['slo.alert'] });
  await post('/slos', {
    name: 'unlock',
    sli: { type: 'command-success', command: 'unlock' },
    target: 0.999,
    alerting: {
      minEvents: 5,
      tiers: [{ name: 'page-1h', severity: 'page', longWindow: '1h', shortWindow: '5m', budgetShare: 0.02 }],
    },
  });
  for (let i = 0; i < 10; i++)
    p.app.bus.emit('command.finished', {
      commandId: `c${i}`,
      deviceId: 'sc-1',
      name: 'unlock',
      status: 'failed',
      requestedAt: clock.now(),
      finishedAt: clock.now(),
    });
  clock.advance(MINUTE); // the minute completes: the tier fires
  for (let i = 0; i < 100 && received.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(1000); // let the outbox's timers run on the manual clock
  }
  assert.equal(received.length, 1, 'one webhook delivery');
  const text = JSON.stringify(received[0]!.body);
  assert.match(text, /unlock/);
  assert.match(text, /page-1h/);
  assert.ok(received[0]!.headers['x-tsunagu-event-id']);
});
