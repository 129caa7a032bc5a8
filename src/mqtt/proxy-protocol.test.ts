// PROXY protocol v1/v2: fixture table, random input, and a real HAProxy in front of the broker.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import mqtt from 'mqtt';
import type { ClientInfo } from './api.js';
import { listenTcp } from './listeners.js';
import { parseProxyHeader, type ProxyParse } from './proxy-protocol.js';
import { startTestBroker } from './test-helpers.js';
import { requireHaproxy, startHaproxy } from '../test-support/haproxy.js';

const SIG = '0d0a0d0a000d0a515549540a';
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const cases: [string, Buffer, ProxyParse][] = [
  [
    'v1 TCP4',
    Buffer.from('PROXY TCP4 192.0.2.7 198.51.100.1 56324 1883\r\nMQTT'),
    { kind: 'ok', length: 46, address: { remoteAddress: '192.0.2.7', remotePort: 56324 } },
  ],
  [
    'v1 TCP6',
    Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 4000 1883\r\n'),
    { kind: 'ok', length: 46, address: { remoteAddress: '2001:db8::7', remotePort: 4000 } },
  ],
  [
    'v1 UNKNOWN',
    Buffer.from('PROXY UNKNOWN\r\n'),
    { kind: 'ok', length: 15, address: { remoteAddress: undefined, remotePort: undefined } },
  ],
  ['v1 partial', Buffer.from('PROXY TCP4 192.0.2.7'), { kind: 'incomplete' }],
  [
    'v1 bad port',
    Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n'),
    { kind: 'error', why: 'PROXY v1: bad port' },
  ],
  ['v1 garbage', Buffer.from('PROXY TCP9 x\r\n'), { kind: 'error', why: 'PROXY v1: malformed line' }],
  [
    'v2 PROXY TCP/IPv4',
    hex(`${SIG} 21 11 000c c0000207 c6336401 dc04 075b`),
    { kind: 'ok', length: 28, address: { remoteAddress: '192.0.2.7', remotePort: 56324 } },
  ],
  [
    'v2 PROXY TCP/IPv6',
    hex(`${SIG} 21 21 0024 20010db8000000000000000000000007 20010db8000000000000000000000001 0fa0 075b`),
    { kind: 'ok', length: 52, address: { remoteAddress: '2001:db8:0:0:0:0:0:7', remotePort: 4000 } },
  ],
  [
    'v2 with a TLV after the addresses',
    hex(`${SIG} 21 11 0010 7f000002 7f000001 1f90 075b 04 0001 00`),
    { kind: 'ok', length: 32, address: { remoteAddress: '127.0.0.2', remotePort: 8080 } },
  ],
  [
    'v2 LOCAL (health check)',
    hex(`${SIG} 20 00 0000`),
    { kind: 'ok', length: 16, address: { remoteAddress: undefined, remotePort: undefined } },
  ],
  ['v2 partial signature', hex('0d0a0d0a00'), { kind: 'incomplete' }],
  ['v2 partial addresses', hex(`${SIG} 21 11 000c c0000207`), { kind: 'incomplete' }],
  ['v2 version 3', hex(`${SIG} 31 11 000c`), { kind: 'error', why: 'PROXY v2: unsupported version' }],
  [
    'v2 short IPv4 block',
    hex(`${SIG} 21 11 0004 01020304`),
    { kind: 'error', why: 'PROXY v2: short IPv4 address block' },
  ],
  [
    'plain MQTT CONNECT',
    hex('101000044d5154540402003c0004'),
    { kind: 'error', why: 'no PROXY protocol header' },
  ],
];

for (const [name, input, expected] of cases)
  test(`parseProxyHeader: ${name}`, () => assert.deepEqual(parseProxyHeader(input), expected));

test('parseProxyHeader: random and truncated input never throws; a prefix of a valid header is incomplete', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const r = parseProxyHeader(Buffer.from(bytes));
      assert.ok(['ok', 'error', 'incomplete'].includes(r.kind));
    }),
    { numRuns: 5000 },
  );
  for (const [, input, expected] of cases) {
    if (expected.kind !== 'ok') continue;
    for (let n = 1; n < expected.length; n++)
      assert.equal(parseProxyHeader(input.subarray(0, n)).kind, 'incomplete');
  }
});

test('behind a real HAProxy with send-proxy-v2 and send-proxy, the broker sees the device address, not the balancer', async (t) => {
  if (!requireHaproxy(t)) return;
  const tb = await startTestBroker({ listen: false });
  t.after(() => tb.close());
  const refused: string[] = [];
  const server = await listenTcp(tb.broker, '127.0.0.1', 0, {
    proxyProtocol: true,
    onProxyRefused: (why) => refused.push(why),
  });
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const seen: ClientInfo[] = [];
  tb.broker.setHooks({ onConnect: (c) => seen.push(c) });
  // HAProxy connects to the broker from 127.0.0.5; the devices connect from 127.0.0.1.
  const lb = await startHaproxy([
    { servers: [port], proxy: 'v2', source: '127.0.0.5' },
    { servers: [port], proxy: 'v1', source: '127.0.0.5' },
  ]);
  t.after(() => lb.stop());
  for (const [i, lbPort] of lb.ports.entries()) {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${lbPort}`, {
      clientId: `behind-lb-${i}`,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    await c.subscribeAsync('lb/t');
    const got = new Promise<string>((r) => c.on('message', (_t, p) => r(p.toString())));
    await c.publishAsync('lb/t', 'through haproxy', { qos: 1 });
    assert.equal(await got, 'through haproxy');
    await c.endAsync();
  }
  const mine = seen.filter((c) => c.clientId.startsWith('behind-lb-'));
  assert.equal(mine.length, 2);
  for (const c of mine) assert.equal(c.remoteAddress, '127.0.0.1');

  // A connection straight to the broker, without a header, is refused before any MQTT.
  const direct = net.connect({ host: '127.0.0.1', port });
  direct.on('error', () => undefined);
  await new Promise((r) => direct.once('connect', r));
  direct.write(hex('101000044d5154540402003c0004'));
  await new Promise((r) => direct.once('close', r));
  assert.ok(refused.includes('no PROXY protocol header'), refused.join(', '));
});
