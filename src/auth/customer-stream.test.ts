/**
 * The live stream (GET /api/v1/stream) for a customer's user, on a real platform: only events about
 * the customer's devices arrive (another customer's device and SLO alerts are left out), in order,
 * and a device assigned to the customer later shows up without reconnecting. Staff see everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';

const PASSWORD = 'a long enough customer password';

async function admin(p: TestPlatform, method: 'POST' | 'PUT', url: string, payload: object): Promise<void> {
  const r = await p.app.http.inject({ method, url: `/api/v1${url}`, headers: p.auth, payload });
  assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
}

/** Reads SSE frames from an open stream until `until` matches the text so far. */
async function openStream(url: string, headers: Record<string, string>) {
  const res = await fetch(url, { headers });
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  return {
    get text() {
      return buf;
    },
    async until(re: RegExp): Promise<void> {
      while (!re.test(buf)) {
        const { value, done } = await reader.read();
        if (done) assert.fail(`stream ended before ${String(re)}; got ${buf}`);
        buf += value;
      }
    },
    close: () => reader.cancel(),
  };
}

const connected = (deviceId: string) => ({ deviceId, at: 1, remoteAddress: '127.0.0.1', clientId: deviceId });

test("stream: a customer's user gets only its devices' events; staff get all", async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  await admin(p, 'POST', '/devices', { id: 'dev-a' });
  await admin(p, 'POST', '/devices', { id: 'dev-b' });
  await admin(p, 'POST', '/devices', { id: 'dev-c' });
  await admin(p, 'PUT', '/customers/acme', { name: 'ACME', devices: ['dev-a'] });
  await admin(p, 'PUT', '/customers/bolt', { name: 'Bolt', devices: ['dev-b'] });
  await admin(p, 'POST', '/users', {
    email: 'cleo@acme.example',
    role: 'viewer',
    customer: 'acme',
    password: PASSWORD,
  });
  const login = await fetch(`${p.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'cleo@acme.example', password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;

  const customer = await openStream(`${p.httpUrl}/api/v1/stream`, { cookie });
  t.after(() => customer.close());
  const staff = await openStream(`${p.httpUrl}/api/v1/stream`, p.auth);
  t.after(() => staff.close());
  await customer.until(/: connected\n\n/);
  await staff.until(/: connected\n\n/);

  const bus = p.app.bus;
  bus.emit('device.connected', connected('dev-b') as never);
  bus.emit('slo.alert', { sloId: 's1', sloName: 'fleet', tier: 'page', state: 'firing', at: 1 } as never);
  bus.emit('device.connected', connected('dev-a') as never);
  await customer.until(/"deviceId":"dev-a"/);
  await staff.until(/"deviceId":"dev-a"/);
  assert.match(staff.text, /"deviceId":"dev-b"/, 'staff see every device');
  assert.match(staff.text, /event: slo\.alert/);
  assert.doesNotMatch(customer.text, /dev-b/, "another customer's device is left out");
  assert.doesNotMatch(customer.text, /slo\.alert/, 'SLO alerts are not sent to customers');

  // dev-c joins ACME: its events reach the open stream (ownership is checked per event).
  await admin(p, 'PUT', '/customers/acme', { devices: ['dev-a', 'dev-c'] });
  bus.emit('device.disconnected', { deviceId: 'dev-c', at: 2, reason: 'client' } as never);
  await customer.until(/event: device\.disconnected\ndata: \{"deviceId":"dev-c"/);
});
