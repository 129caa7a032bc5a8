import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
import { PacketScanner, publishLayout, PublishEncoder, type RawPacket } from './raw-client.js';

function scanAll(chunks: Buffer[]): RawPacket[] {
  const out: RawPacket[] = [];
  const s = new PacketScanner((p) => out.push({ header: p.header, body: Buffer.from(p.body) }));
  for (const c of chunks) s.push(c);
  return out;
}

function parseAll(buf: Buffer): Packet[] {
  const out: Packet[] = [];
  const p = createParser({ protocolVersion: 4 });
  p.on('packet', (pk: Packet) => out.push(pk));
  p.parse(buf);
  return out;
}

test('PublishEncoder output is what mqtt-packet parses, QoS 0 and 1', () => {
  const enc = new PublishEncoder('bench/1/q0', 16);
  const buf = Buffer.alloc(enc.size0 + enc.size1);
  const off = enc.qos0(buf, 0, 7);
  assert.equal(off, enc.size0);
  assert.equal(enc.qos1(buf, off, 8, 4242), buf.length);
  const [a, b] = parseAll(buf);
  assert.ok(a?.cmd === 'publish' && b?.cmd === 'publish');
  assert.equal(a.topic, 'bench/1/q0');
  assert.equal(a.qos, 0);
  assert.equal(a.payload.length, 16);
  assert.equal((a.payload as Buffer).readUInt32BE(8), 7);
  assert.equal(b.qos, 1);
  assert.equal(b.messageId, 4242);
  assert.equal((b.payload as Buffer).readUInt32BE(8), 8);
});

test('PacketScanner frames packets however the stream is split', () => {
  const packets: Packet[] = [
    { cmd: 'connack', returnCode: 0, sessionPresent: false },
    {
      cmd: 'publish',
      topic: 'a/b',
      payload: Buffer.alloc(16, 1),
      qos: 1,
      messageId: 9,
      dup: false,
      retain: false,
    },
    { cmd: 'publish', topic: 't', payload: Buffer.alloc(300, 2), qos: 0, dup: false, retain: false },
    { cmd: 'puback', messageId: 9 },
    { cmd: 'pingresp' },
  ];
  const bytes = Buffer.concat(packets.map((p) => generate(p)));
  const whole = scanAll([bytes]);
  assert.deepEqual(
    whole.map((p) => p.header >> 4),
    [2, 3, 3, 4, 13],
  );
  const pub = whole[1]!;
  assert.deepEqual(publishLayout(pub), { payloadAt: 2 + 3 + 2, packetId: 9 });
  assert.equal(publishLayout(whole[2]!).payloadAt, 2 + 1);
  assert.equal(whole[2]!.body.length, 2 + 1 + 300, 'two-byte Remaining Length');

  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 8 }), (cuts) => {
      const points = [...new Set(cuts)].sort((x, y) => x - y);
      const chunks = [0, ...points].map((from, i) => bytes.subarray(from, points[i] ?? bytes.length));
      assert.deepEqual(scanAll(chunks), whole);
    }),
  );
});
