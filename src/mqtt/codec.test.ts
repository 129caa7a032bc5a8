// Codec: fixture tables for every packet type in both protocol versions (generate → parse round
// trips through mqtt-packet), and a random-input test against the broker's connection handling.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
import { encode, encodeAck } from './encode.js';
import { duplexPair, startTestBroker } from './test-helpers.js';

const v4: Packet[] = [
  { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'c', clean: true, keepalive: 30 },
  {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'c',
    clean: false,
    keepalive: 0,
    username: 'u',
    password: Buffer.from('p'),
    will: { topic: 'w', payload: Buffer.from('bye'), qos: 1, retain: true },
  },
  { cmd: 'connack', returnCode: 0, sessionPresent: true },
  { cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 0, retain: false, dup: false },
  { cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 2, retain: true, dup: true, messageId: 9 },
  { cmd: 'puback', messageId: 1 },
  { cmd: 'pubrec', messageId: 2 },
  { cmd: 'pubrel', messageId: 3 },
  { cmd: 'pubcomp', messageId: 4 },
  { cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'a/+', qos: 1 }] },
  { cmd: 'suback', messageId: 5, granted: [1, 0x80] },
  { cmd: 'unsubscribe', messageId: 6, unsubscriptions: ['a/+'] },
  { cmd: 'unsuback', messageId: 6 } as Packet, // 3.1.1 UNSUBACK has no payload
  { cmd: 'pingreq' },
  { cmd: 'pingresp' },
  { cmd: 'disconnect' },
];

const v5: Packet[] = [
  {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 5,
    clientId: 'c5',
    clean: false,
    keepalive: 60,
    properties: {
      sessionExpiryInterval: 3600,
      receiveMaximum: 10,
      maximumPacketSize: 1000,
      topicAliasMaximum: 5,
    },
    will: {
      topic: 'w',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      properties: { willDelayInterval: 5 },
    },
  },
  {
    cmd: 'connack',
    reasonCode: 0,
    sessionPresent: false,
    properties: { assignedClientIdentifier: 'x', serverKeepAlive: 30, topicAliasMaximum: 10 },
  },
  {
    cmd: 'publish',
    topic: 't',
    payload: Buffer.from('y'),
    qos: 1,
    retain: false,
    dup: false,
    messageId: 1,
    properties: {
      payloadFormatIndicator: true,
      messageExpiryInterval: 10,
      topicAlias: 2,
      responseTopic: 'r',
      correlationData: Buffer.from('c'),
      userProperties: { k: 'v' },
      subscriptionIdentifier: 3,
      contentType: 'text/plain',
    },
  },
  { cmd: 'puback', messageId: 1, reasonCode: 0x87, properties: { reasonString: 'no' } },
  { cmd: 'pubrec', messageId: 2, reasonCode: 0x10 },
  { cmd: 'pubrel', messageId: 3, reasonCode: 0x92 },
  { cmd: 'pubcomp', messageId: 4, reasonCode: 0 },
  {
    cmd: 'subscribe',
    messageId: 5,
    properties: { subscriptionIdentifier: 7 },
    subscriptions: [{ topic: '$share/g/a/#', qos: 2, nl: false, rap: true, rh: 1 }],
  },
  { cmd: 'suback', messageId: 5, granted: [2, 0x8f, 0x97] },
  { cmd: 'unsubscribe', messageId: 6, unsubscriptions: ['a', 'b'] },
  { cmd: 'unsuback', messageId: 6, granted: [0, 0x11] },
  { cmd: 'pingreq' },
  { cmd: 'disconnect', reasonCode: 0x8e, properties: { reasonString: 'taken over' } },
  { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'm' } },
];

function parseAll(buf: Buffer, version: number): Packet[] {
  const out: Packet[] = [];
  const p = createParser({ protocolVersion: version });
  p.on('packet', (x: Packet) => out.push(x));
  p.on('error', (e: Error) => {
    throw e;
  });
  p.parse(buf);
  return out;
}

/** The fields a fixture sets, read back from the parsed packet. */
function pick(parsed: Packet, fixture: Packet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(fixture)) out[k] = (parsed as unknown as Record<string, unknown>)[k];
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

describe('codec fixtures', () => {
  for (const [version, table] of [
    [4, v4],
    [5, v5],
  ] as const) {
    for (const fixture of table) {
      test(`v${version} ${fixture.cmd}: generate → parse round trip`, () => {
        const bytes = generate(fixture, { protocolVersion: version });
        const [parsed] = parseAll(bytes, version);
        assert.ok(parsed);
        assert.deepEqual(pick(parsed, fixture), JSON.parse(JSON.stringify(fixture)));
        // And back: the parsed packet encodes to the same bytes.
        assert.deepEqual(generate(parsed, { protocolVersion: version }), bytes);
      });
    }
  }
});

describe('random input', () => {
  test('100,000 garbage and mutated packets: no crash, bad clients disconnected, bounded memory', async (t) => {
    const tb = await startTestBroker({ listen: false, limits: { maxPacketSize: 64 * 1024 } });
    t.after(() => tb.close());
    const valid = [
      ...v4.map((p) => generate(p, { protocolVersion: 4 })),
      ...v5.map((p) => generate(p, { protocolVersion: 5 })),
    ];
    const connect4 = generate(v4[0]!, { protocolVersion: 4 });
    const connect5 = generate(v5[0]!, { protocolVersion: 5 });
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const inputs = 100_000;
    const perConn = 50;
    let disconnected = 0;
    let conns = 0;
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < inputs; i += perConn) {
      const [client, server] = duplexPair();
      let closed = false;
      client.on('end', () => (closed = true));
      client.on('data', () => undefined);
      tb.broker.handleConnection(server, { remoteAddress: `10.3.${rnd(250)}.${rnd(250)}`, transport: 'tcp' });
      conns++;
      // Half the connections start with a valid CONNECT, so packets reach the connected handlers.
      if (rnd(2) === 0) client.write(rnd(2) === 0 ? connect4 : connect5);
      for (let j = 0; j < perConn; j++) {
        const kind = rnd(3);
        let buf: Buffer;
        if (kind === 0) {
          buf = Buffer.alloc(1 + rnd(40));
          for (let k = 0; k < buf.length; k++) buf[k] = rnd(256);
        } else {
          buf = Buffer.from(valid[rnd(valid.length)]!);
          const flips = kind === 1 ? 1 + rnd(3) : 0;
          for (let k = 0; k < flips; k++) buf[rnd(buf.length)] = rnd(256);
          if (kind === 2) buf = buf.subarray(0, rnd(buf.length + 1));
        }
        client.write(buf);
      }
      await new Promise((r) => setImmediate(r));
      client.end();
      await new Promise((r) => setImmediate(r));
      if (closed) disconnected++;
    }
    await new Promise((r) => setTimeout(r, 50));
    global.gc?.();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(disconnected > conns / 2, `${disconnected}/${conns} garbage connections were disconnected`);
    assert.equal([...tb.broker.connections()].length, 0, 'every connection was cleaned up');
    assert.ok(growth < 64 * 1024 * 1024, `heap grew by ${growth} bytes`);
  });
});

describe('fast encoders', () => {
  test('encodePublishFast and encodeAck produce the bytes mqtt-packet generates', () => {
    for (const version of [3, 4, 5] as const)
      for (const qos of [0, 1, 2] as const)
        for (const size of [0, 5, 120, 200, 20_000, 3_000_000]) {
          const p: Packet = {
            cmd: 'publish',
            topic: size % 2 === 0 ? 'a/b/ü' : 't',
            payload: Buffer.alloc(size, 7),
            qos,
            retain: size > 100,
            dup: qos > 0 && size < 100,
            ...(qos > 0 ? { messageId: ((258 + size) % 65535) + 1 } : {}),
          };
          const expected = generate(p, { protocolVersion: version });
          assert.deepEqual(encode(p, version), expected, `v${version} qos${qos} size ${size}`);
        }
    for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
      assert.deepEqual(encodeAck(cmd, 513), generate({ cmd, messageId: 513 }, { protocolVersion: 4 }), cmd);
      // MQTT 5 allows the same 4-byte form when the reason code is 0 and there are no properties.
      const [parsed] = parseAll(encodeAck(cmd, 513), 5);
      assert.equal(parsed?.cmd, cmd);
      assert.equal(parsed?.messageId, 513);
      assert.equal((parsed as { reasonCode?: number }).reasonCode ?? 0, 0);
    }
  });
});
