// The hand-written PUBLISH/PUBACK fast path in connection.ts must produce what mqtt-packet's
// parser produces, for any packet mix and any chunking of the byte stream.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
import { Connection, type ConnectionHost } from './connection.js';
import { acquireParser, releaseParser } from './parser-pool.js';

function host(got: Packet[], errors: string[]): ConnectionHost {
  return {
    maxPacketSize: 1024 * 1024,
    seenNow: () => 0,
    onPacket: (_c, p) => void got.push(p),
    onParseError: (_c, err) => void errors.push(err.message),
    onHandlerError: (_c, err) => void errors.push(String(err)),
    onPacketTooLarge: (_c, size) => void errors.push(`too large ${size}`),
    onClosed: () => undefined,
    onWritable: () => undefined,
    scheduleUncork: () => undefined,
    countBytes: () => undefined,
  };
}

/** Only the fields handlers read; mqtt-packet adds a few more (topic/payload null on acks). */
function norm(p: Packet): unknown {
  const r = p as unknown as Record<string, unknown>;
  if (p.cmd === 'publish')
    return {
      cmd: p.cmd,
      topic: p.topic,
      payload: Buffer.from(p.payload as Buffer).toString('hex'),
      qos: p.qos,
      retain: p.retain,
      dup: p.dup,
      messageId: p.messageId,
      properties: p.properties,
      length: p.length,
    };
  return { cmd: p.cmd, messageId: r.messageId, reasonCode: r.reasonCode ?? 0, properties: r.properties };
}

const packetArb = (v: 4 | 5): fc.Arbitrary<Packet> =>
  fc.oneof(
    fc
      .record({
        qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
        retain: fc.boolean(),
        dup: fc.boolean(),
        topic: fc.stringMatching(/^[a-z0-9/é]{1,40}$/),
        payload: fc.uint8Array({ maxLength: 300 }),
        id: fc.integer({ min: 1, max: 65535 }),
        props: v === 5 ? fc.boolean() : fc.constant(false),
      })
      .map((r): Packet => ({
        cmd: 'publish',
        topic: r.topic,
        payload: Buffer.from(r.payload),
        qos: r.qos,
        retain: r.retain,
        dup: r.qos > 0 && r.dup,
        ...(r.qos > 0 ? { messageId: r.id } : {}),
        ...(r.props ? { properties: { contentType: 'x', userProperties: { a: 'b' } } } : {}),
      })),
    fc.integer({ min: 1, max: 65535 }).map((id): Packet => ({ cmd: 'puback', messageId: id })),
    fc.constant<Packet>({ cmd: 'pingreq' }),
    fc
      .integer({ min: 1, max: 65535 })
      .map((id): Packet => ({ cmd: 'subscribe', messageId: id, subscriptions: [{ topic: 'a/+', qos: 1 }] })),
  );

describe('fast PUBLISH/PUBACK parser', () => {
  for (const v of [4, 5] as const)
    test(`v${v}: same packets as mqtt-packet for any packet mix and chunking`, () => {
      fc.assert(
        fc.property(
          fc.array(packetArb(v), { minLength: 1, maxLength: 30 }),
          fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 20 }),
          (packets, cuts) => {
            const bytes = Buffer.concat(packets.map((p) => generate(p, { protocolVersion: v })));
            const ref: Packet[] = [];
            const rp = createParser({ protocolVersion: v });
            rp.on('packet', (p: Packet) => ref.push(p));
            rp.parse(bytes);
            const got: Packet[] = [];
            const errors: string[] = [];
            const c = new Connection(
              new PassThrough(),
              { remoteAddress: 'x', transport: 'tcp' },
              host(got, errors),
            );
            c.state = 'connected';
            c.setVersion(v);
            let pos = 0;
            for (let i = 0; pos < bytes.length; i++) {
              const n = cuts[i % cuts.length]!;
              c.onData(bytes.subarray(pos, pos + n));
              pos += n;
            }
            assert.deepEqual(errors, []);
            assert.deepEqual(got.map(norm), ref.map(norm));
          },
        ),
        { numRuns: 150 },
      );
    });

  test('QoS 3 and a too-large PUBLISH still go through the mqtt-packet checks', () => {
    const got: Packet[] = [];
    const errors: string[] = [];
    const h = host(got, errors);
    const c = new Connection(
      new PassThrough(),
      { remoteAddress: 'x', transport: 'tcp' },
      { ...h, maxPacketSize: 100 },
    );
    c.state = 'connected';
    c.setVersion(4);
    c.onData(Buffer.from([0x36, 0x04, 0x00, 0x01, 0x61, 0x00]));
    assert.equal(errors.length, 1);
    const c2 = new Connection(
      new PassThrough(),
      { remoteAddress: 'x', transport: 'tcp' },
      { ...h, maxPacketSize: 100 },
    );
    c2.state = 'connected';
    c2.setVersion(4);
    c2.onData(
      generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(200), qos: 0, retain: false, dup: false }),
    );
    assert.deepEqual(errors.slice(1), ['too large 203']);
    assert.equal(got.length, 0);
  });

  /** A PUBLISH with arbitrary topic bytes (invalid UTF-8, overlong, surrogates, NUL) and flags. */
  const rawPublishArb = (v: 4 | 5): fc.Arbitrary<Buffer> =>
    fc
      .record({
        topic: fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 12 }),
          fc
            .constantFrom(
              [0x61, 0xff, 0x62], // invalid byte
              [0xc0, 0xaf], // overlong '/'
              [0xed, 0xa0, 0x80], // UTF-16 surrogate
              [0x61, 0x00, 0x62], // U+0000
              [0xef, 0xbf, 0xbd], // a real U+FFFD (valid)
              [0xc3, 0xa9], // é (valid)
            )
            .map((a) => Uint8Array.from(a)),
        ),
        flags: fc.integer({ min: 0, max: 15 }).filter((f) => ((f >> 1) & 3) !== 3),
        id: fc.integer({ min: 0, max: 3 }),
        // Remaining length in two bytes where one would do [MQTT-1.5.5-1].
        padded: fc.boolean(),
      })
      .map(({ topic, flags, id, padded }) => {
        const qos = (flags >> 1) & 3;
        const body = Buffer.concat([
          Buffer.from([topic.length >> 8, topic.length & 0xff]),
          Buffer.from(topic),
          qos > 0 ? Buffer.from([0, id]) : Buffer.alloc(0),
          v === 5 ? Buffer.from([0]) : Buffer.alloc(0), // no properties: the fast path's case
          Buffer.from('x'),
        ]);
        const length = padded ? [body.length | 0x80, 0] : [body.length];
        return Buffer.concat([Buffer.from([0x30 | flags, ...length]), body]);
      });

  for (const v of [4, 5] as const)
    test(`v${v}: the fast path accepts and refuses exactly what the strict mqtt-packet parser does`, () => {
      fc.assert(
        fc.property(fc.array(rawPublishArb(v), { minLength: 1, maxLength: 6 }), (list) => {
          const bytes = Buffer.concat(list);
          const ref: Packet[] = [];
          const refErrors: string[] = [];
          const rp = acquireParser(
            {
              onParsedPacket: (p) => void ref.push(p),
              onParseFailure: (e) => void refErrors.push(e.message),
            },
            v,
          );
          rp.parse(bytes);
          releaseParser(rp);
          const got: Packet[] = [];
          const errors: string[] = [];
          const c = new Connection(
            new PassThrough(),
            { remoteAddress: 'x', transport: 'tcp' },
            host(got, errors),
          );
          c.state = 'connected';
          c.setVersion(v);
          c.onData(bytes);
          assert.deepEqual(errors, refErrors);
          assert.deepEqual(got.map(norm), ref.map(norm));
        }),
        { numRuns: 300 },
      );
    });
});
