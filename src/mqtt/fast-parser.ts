/**
 * The hand-written PUBLISH/PUBACK parser of the hot path (`parseFast`), used by connection.ts
 * while no mqtt-packet parser holds a partial packet. `fast-parser.test.ts` checks it against
 * mqtt-packet on random bytes.
 */
import type { IPublishPacket } from 'mqtt-packet';
import type { Connection } from './connection.js';

const FAST_TAIL_MAX = 16 * 1024;

/**
 * Hand-written parser for the hot path (measured: mqtt-packet's parser, its BufferList and debug
 * calls were about a quarter of the broker's CPU for small QoS 0/1 messages). Parses complete
 * PUBLISH packets (MQTT 5: only without properties) and 4-byte PUBACKs at the start of `buf`,
 * producing the same packet objects as mqtt-packet. Returns the number of bytes consumed, or, when
 * it stopped on a small packet cut by the end of `buf` (to be completed by the next chunk),
 * `-(consumed + 1)`: one number, nothing allocated per chunk.
 * Anything else — other packet types, bad flags, QoS 3, MQTT 5 properties, a topic that does not
 * decode cleanly (U+FFFD) or holds U+0000, an incomplete or too large packet — stops it:
 * mqtt-packet takes over from there (and reports errors as before). Packet-level rules (DUP on
 * QoS 0, packet id 0 …) are checked after either parser, in validate.ts.
 */
export function parseFast(c: Connection, buf: Buffer): number {
  const len = buf.length;
  const v5 = c.version === 5;
  let pos = 0;
  let incomplete = true;
  while (c.state === 'connected') {
    if (pos + 2 > len) return pos === len ? pos : -pos - 1;
    incomplete = false;
    const b0 = buf[pos]!;
    if (b0 === 0x40) {
      // PUBACK: remaining length 2 (MQTT 5 success without reason code is the same 4 bytes).
      if (buf[pos + 1] !== 2) break;
      if (pos + 4 > len) {
        incomplete = true;
        break;
      }
      const messageId = (buf[pos + 2]! << 8) | buf[pos + 3]!;
      pos += 4;
      c.onParsedPacket(
        v5 ? { cmd: 'puback', length: 2, messageId, reasonCode: 0 } : { cmd: 'puback', length: 2, messageId },
      );
      continue;
    }
    if (b0 >> 4 !== 3) break;
    const qos = (b0 >> 1) & 3;
    if (qos === 3) break;
    // Remaining length (variable byte integer, at most 4 bytes).
    let rem = 0;
    let mul = 1;
    let i = pos + 1;
    let done = false;
    for (let k = 0; k < 4 && i < len; k++) {
      const d = buf[i++]!;
      rem += (d & 0x7f) * mul;
      mul *= 128;
      if ((d & 0x80) === 0) {
        done = true;
        break;
      }
    }
    if (!done) {
      if (i >= len && i - pos < 5) incomplete = true;
      break;
    }
    // Not in its shortest form [MQTT-1.5.5-1]: left to mqtt-packet (strict-parser.ts refuses it).
    if (mul > 128 && rem * 128 < mul) break;
    const end = i + rem;
    if (rem > c.maxInPacket) break;
    if (end > len) {
      // Cut by the chunk boundary: wait for the rest here unless it is big (no quadratic copies).
      if (end - pos <= FAST_TAIL_MAX) incomplete = true;
      break;
    }
    if (i + 2 > end) break;
    const topicLen = (buf[i]! << 8) | buf[i + 1]!;
    let at = i + 2 + topicLen;
    if (at + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) > end) break;
    const topic = buf.toString('utf8', i + 2, at);
    // Bytes decoded as U+FFFD (invalid UTF-8, or a real U+FFFD) or U+0000: mqtt-packet with
    // strict-parser.ts decides [MQTT-1.5.4-1/2].
    if (topic.includes('\uFFFD') || topic.includes('\u0000')) break;
    let messageId: number | undefined;
    if (qos > 0) {
      messageId = (buf[at]! << 8) | buf[at + 1]!;
      at += 2;
    }
    if (v5) {
      if (buf[at] !== 0) break; // properties: mqtt-packet parses them
      at += 1;
    }
    const p = {
      cmd: 'publish',
      retain: (b0 & 1) !== 0,
      qos,
      dup: (b0 & 8) !== 0,
      length: rem,
      topic,
      payload: buf.subarray(at, end),
    } as IPublishPacket;
    if (messageId !== undefined) p.messageId = messageId;
    pos = end;
    c.onParsedPacket(p);
  }
  return incomplete ? -pos - 1 : pos;
}
