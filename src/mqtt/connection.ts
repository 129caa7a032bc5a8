/**
 * One network connection: framing through an mqtt-packet parser, batched writes (cork on the
 * first write of a tick, uncork once per tick for the whole broker), socket backpressure and the
 * connection lifecycle. Protocol decisions are the broker's (`ConnectionHost`).
 */
import type { Duplex } from 'node:stream';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import type { DisconnectReason } from '../core/index.js';
import type { ClientInfo, ConnectionMeta } from './api.js';
import { encode } from './encode.js';
import {
  acquireParser,
  parserIdle,
  pendingLength,
  releaseParser,
  type ParserOwner,
  type PooledParser,
} from './parser-pool.js';
import type { Session } from './session.js';
import type { OutboundAliases } from './topic-alias-out.js';

/**
 * - `awaiting_connect`: socket open, no CONNECT yet [MQTT-3.1.0-1]
 * - `connecting`: CONNECT received, authentication running
 * - `connected`: CONNACK with success sent
 * - `closed`: closing or closed; nothing more is read or written
 */
export type ConnectionState = 'awaiting_connect' | 'connecting' | 'connected' | 'closed';

export interface ConnectionHost {
  readonly maxPacketSize: number;
  now(): number;
  onPacket(conn: Connection, packet: Packet): void;
  onParseError(conn: Connection, err: Error): void;
  onHandlerError(conn: Connection, err: unknown): void;
  onPacketTooLarge(conn: Connection, size: number): void;
  onClosed(conn: Connection, reason: DisconnectReason, wasConnected: boolean, detail?: string): void;
  onWritable(conn: Connection): void;
  scheduleUncork(conn: Connection): void;
  countBytes(inBytes: number, outBytes: number): void;
}

/** Bytes buffered towards a client before it counts as not keeping up (backpressure). */
const OUT_LIMIT = 1024 * 1024;

interface PendingAck {
  packet: Packet | undefined;
}

const CONN = Symbol('tsunagu.mqtt.connection');
type OwnedStream = Duplex & { [CONN]?: Connection };

// Stream listeners shared by every connection (no per-connection closures: idle memory).
function onStreamData(this: OwnedStream, chunk: Buffer): void {
  this[CONN]?.onData(chunk);
}
function onStreamDrain(this: OwnedStream): void {
  this[CONN]?.onDrain();
}
function onStreamError(this: OwnedStream): void {
  this[CONN]?.close('socket_error', undefined, 'socket error');
}
function onStreamEnd(this: OwnedStream): void {
  const c = this[CONN];
  c?.close(c.graceful ? 'client_disconnect' : 'socket_error');
}

export class Connection implements ParserOwner {
  state: ConnectionState = 'awaiting_connect';
  /** Protocol version from CONNECT; undefined before. */
  version: 3 | 4 | 5 = 4;
  private versionKnown = false;
  info: ClientInfo | undefined;
  session: Session | undefined;
  /** Keep-alive in ms (0 = none); closed after 1.5× without traffic [MQTT-3.1.2-24]. */
  keepaliveMs = 0;
  lastSeen: number;
  /** The socket's buffer is full: stop sending until 'drain'. */
  paused = false;
  corked = false;
  /** Client's Receive Maximum capped by limits.maxInflight. */
  window = 65535;
  /** Client's Maximum Packet Size (MQTT 5). */
  maxOutPacket = Infinity;
  /** limits.maxPacketSize (bigger packets are left to the mqtt-packet path, which refuses them). */
  readonly maxInPacket: number;
  /** Inbound topic aliases (MQTT 5), allocated on first use. */
  aliases: Map<number, string> | undefined;
  /** Outbound topic aliases (MQTT 5), when the client's Topic Alias Maximum allows them. */
  outAliases: OutboundAliases | undefined;
  /** An async step (authentication, authorization) is running: later packets wait in `backlog`. */
  blocked = false;
  backlog: Packet[] | undefined;
  /** Reading paused by flow control: a subscriber of this publisher's messages has a full queue. */
  flowBlocked = false;
  /** Acknowledgements waiting on durability or handlers, sent in order [MQTT-4.6.0-2]. */
  private acks: PendingAck[] | undefined;
  /** Set by a client DISCONNECT so the close is not treated as abnormal. */
  graceful = false;
  /** Only while a partial packet is buffered (see parser-pool.ts). */
  private parser: PooledParser | undefined;
  /** Only while a small partial PUBLISH/PUBACK is buffered by the fast path (`parseFast`). */
  private tail: Buffer | undefined;

  constructor(
    readonly stream: Duplex,
    readonly meta: ConnectionMeta,
    private readonly host: ConnectionHost,
  ) {
    this.lastSeen = host.now();
    this.maxInPacket = host.maxPacketSize;
    (stream as OwnedStream)[CONN] = this;
    stream.on('data', onStreamData);
    stream.on('drain', onStreamDrain);
    stream.on('error', onStreamError);
    stream.on('end', onStreamEnd);
    stream.on('close', onStreamEnd);
  }

  onParsedPacket(p: Packet): void {
    if (this.state === 'closed') return;
    if (p.length !== undefined && p.length > this.host.maxPacketSize)
      return this.host.onPacketTooLarge(this, p.length);
    try {
      this.host.onPacket(this, p);
    } catch (err) {
      // A bug must cost one connection, never the process.
      this.host.onHandlerError(this, err);
    }
  }

  onParseFailure(err: Error): void {
    if (this.state !== 'closed') this.host.onParseError(this, err);
  }

  onDrain(): void {
    this.paused = false;
    if (this.state === 'connected') this.host.onWritable(this);
  }

  onData(data: Buffer): void {
    if (this.state === 'closed') return;
    this.lastSeen = this.host.now();
    this.host.countBytes(data.length, 0);
    let chunk = data;
    if (this.parser === undefined && this.state === 'connected') {
      // PUBLISH/PUBACK packets are parsed here; a small packet cut by the chunk boundary waits in
      // `tail`. The first packet of another kind (or a big partial one) and everything after it
      // go to mqtt-packet.
      if (this.tail) {
        chunk = Buffer.concat([this.tail, data]);
        this.tail = undefined;
      }
      const r = parseFast(this, chunk);
      const incomplete = r < 0;
      const used = incomplete ? -r - 1 : r;
      if (used === chunk.length || (this.state as ConnectionState) === 'closed') return;
      if (incomplete) {
        this.tail = chunk.subarray(used);
        return;
      }
      if (used > 0) chunk = chunk.subarray(used);
    }
    const p = this.parser ?? acquireParser(this, this.versionKnown ? this.version : undefined);
    const leftover = p.parse(chunk);
    if (parserIdle(p, leftover)) {
      this.parser = undefined;
      releaseParser(p);
      return;
    }
    this.parser = p;
    // A packet still being received: refuse it as soon as its announced length is too big.
    const pending = pendingLength(p);
    if ((this.state as ConnectionState) !== 'closed' && pending > this.host.maxPacketSize)
      this.host.onPacketTooLarge(this, pending);
  }

  /** Fix the protocol version (after CONNECT). */
  setVersion(v: 3 | 4 | 5): void {
    this.version = v;
    this.versionKnown = true;
    // The lent parser (if any) learnt the version from the CONNECT packet already.
  }

  send(packet: Packet): void {
    if (this.state === 'closed') return;
    const buf = encode(packet, this.version);
    if (buf) this.writeRaw(buf);
  }

  writeRaw(buf: Buffer): void {
    if (this.state === 'closed') return;
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      this.host.scheduleUncork(this);
    }
    this.host.countBytes(0, buf.length);
    // While corked, write() reports a full buffer as soon as the high-water mark (16 KiB) is
    // passed; only a buffer far beyond it means this client cannot keep up.
    if (!this.stream.write(buf) && this.stream.writableLength > OUT_LIMIT) this.paused = true;
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.stream.uncork();
    // Still far above the high-water mark after handing the batch to the socket: the client is
    // not reading. Stop sending to it until 'drain' (its messages queue, bounded by
    // limits.maxQueued). 'drain' is guaranteed: a write past the high-water mark returned false.
    if (this.stream.writableLength > OUT_LIMIT) this.paused = true;
  }

  /**
   * Queue an acknowledgement that becomes ready later (`ready()`), keeping order with acks that
   * are ready now. Returns the handle to complete.
   */
  deferAck(): PendingAck {
    const a: PendingAck = { packet: undefined };
    (this.acks ??= []).push(a);
    return a;
  }

  /** Send `packet` now, or after the deferred acks before it. */
  ack(packet: Packet): void {
    if (!this.acks || this.acks.length === 0) return this.send(packet);
    this.acks.push({ packet });
  }

  completeAck(a: PendingAck, packet: Packet): void {
    a.packet = packet;
    const q = this.acks;
    if (!q) return;
    while (q.length > 0 && q[0]!.packet) this.send(q.shift()!.packet!);
  }

  /** Pause reading while an async step runs; packets already parsed wait in the backlog. */
  block(): void {
    this.blocked = true;
    this.stream.pause();
  }

  unblock(): void {
    this.blocked = false;
    if (this.state !== 'closed') this.stream.resume();
  }

  /**
   * Close the connection. MQTT 5 clients past CONNECT get a DISCONNECT with `reasonCode` first
   * (when given). Idempotent; the broker's `onClosed` runs once.
   */
  close(reason: DisconnectReason, reasonCode?: number, detail?: string): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    if (reasonCode !== undefined && this.version === 5 && wasConnected)
      // A Reason String is allowed on DISCONNECT whatever Request Problem Information says [MQTT-3.1.2-29].
      this.send(
        detail === undefined
          ? { cmd: 'disconnect', reasonCode }
          : { cmd: 'disconnect', reasonCode, properties: { reasonString: detail } },
      );
    this.state = 'closed';
    if (this.parser) {
      const p = this.parser;
      this.parser = undefined;
      // A parser with a partial packet is dropped, not pooled.
      p.owner = undefined;
    }
    this.uncork();
    const s = this.stream;
    s.end();
    // A peer that never reads must not keep the socket: destroy after a grace period.
    if (!s.destroyed) setTimeout(() => s.destroy(), 2000).unref();
    this.host.onClosed(this, reason, wasConnected, detail);
  }
}

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
