/**
 * One network connection: framing through an mqtt-packet parser, batched writes (cork on the
 * first write of a tick, uncork once per tick for the whole broker), socket backpressure and the
 * connection lifecycle. Protocol decisions are the broker's (`ConnectionHost`).
 */
import type { Duplex } from 'node:stream';
import type { Packet } from 'mqtt-packet';
import type { DisconnectReason } from '../core/index.js';
import type { ClientInfo, ConnectionMeta } from './api.js';
import { encode } from './encode.js';
import { parseFast } from './fast-parser.js';
import {
  acquireParser,
  parserIdle,
  pendingLength,
  releaseParser,
  type ParserOwner,
  type PooledParser,
} from './parser-pool.js';
import type { Qos2Unacked } from './qos2-resend.js';
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
  /**
   * Milliseconds on the host's own time base, for `lastSeen`: a small integer (an epoch time in
   * a field costs every connection a 16-byte box: idle memory). The host moves the base forward
   * and every `lastSeen` with it (the sweep, sweep.ts).
   */
  seenNow(): number;
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
  /** A QoS 2 PUBLISH waiting for its PUBREC: remembered at close if it was never sent. */
  qos2?: Qos2Unacked;
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

type EndListener = (this: OwnedStream) => void;
/** Node's own 'end' listener → one shared function calling it and then `onStreamEnd`. */
const endWith = new Map<EndListener, EndListener>();
const END_WITH_MAX = 8;

/**
 * Listen for 'end'. A `net.Socket` has one 'end' listener of its own (the same function for every
 * socket); a second one turns the socket's `_events.end` into an array (64 bytes per connection:
 * idle memory). So that listener is replaced by a shared function that calls it, then ours — the
 * order two listeners would run in.
 */
function listenEnd(stream: OwnedStream): void {
  const own = stream.rawListeners('end');
  const theirs = own.length === 1 ? (own[0] as EndListener & { listener?: unknown }) : undefined;
  // A `once` wrapper (it has `listener`) must stay a once listener: left alone.
  if (theirs === undefined || theirs.listener !== undefined) {
    stream.on('end', onStreamEnd);
    return;
  }
  let both = endWith.get(theirs);
  if (both === undefined) {
    if (endWith.size >= END_WITH_MAX) {
      stream.on('end', onStreamEnd);
      return;
    }
    both = function (this: OwnedStream): void {
      theirs.call(this);
      onStreamEnd.call(this);
    };
    endWith.set(theirs, both);
  }
  stream.removeListener('end', theirs);
  stream.on('end', both);
}

/** Bits of `Connection.flags` (one field instead of six booleans: idle memory). */
const VERSION_KNOWN = 1;
const PAUSED = 2;
const CORKED = 4;
const BLOCKED = 8;
const FLOW_BLOCKED = 16;
const GRACEFUL = 32;
/** `meta` is the client's `info` (negotiated at CONNECT). */
const HAS_INFO = 64;

/** The largest packet MQTT can carry (remaining length 268,435,455 + 5 header bytes). */
const PROTOCOL_MAX_PACKET = 268_435_460;

/** Fields an idle connection never uses, in one object made on first write (idle memory). */
class Uncommon {
  aliases: Map<number, string> | undefined = undefined;
  maxOutPacket = PROTOCOL_MAX_PACKET;
  outAliases: OutboundAliases | undefined = undefined;
  backlog: Packet[] | undefined = undefined;
  acks: PendingAck[] | undefined = undefined;
}

export class Connection implements ParserOwner {
  /** Plain fields, not bits of `flags`: read several times per message (hot path). */
  state: ConnectionState = 'awaiting_connect';
  /** Protocol version from CONNECT; 4 before. */
  version: 3 | 4 | 5 = 4;
  /** VERSION_KNOWN, PAUSED, … (accessors below). */
  private flags = 0;
  session: Session | undefined;
  /** The last packet (or the connection's start), on the host's `seenNow()` scale. */
  lastSeen: number;
  /** Client's Receive Maximum capped by limits.maxInflight. */
  window = 65535;
  private uncommon: Uncommon | undefined;
  /** Only while a partial packet is buffered (see parser-pool.ts). */
  private parser: PooledParser | undefined;
  /** Only while a small partial PUBLISH/PUBACK is buffered by the fast path (`parseFast`). */
  private tail: Buffer | undefined;

  constructor(
    readonly stream: Duplex,
    /**
     * What the listener knew; from CONNECT the client's `info` (a superset) takes its place, and
     * `info` reads it once negotiated (one field for both: idle memory).
     */
    public meta: ConnectionMeta,
    private readonly host: ConnectionHost,
  ) {
    this.lastSeen = host.seenNow();
    (stream as OwnedStream)[CONN] = this;
    stream.on('data', onStreamData);
    stream.on('drain', onStreamDrain);
    stream.on('error', onStreamError);
    listenEnd(stream);
    stream.on('close', onStreamEnd);
  }

  private flag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
  /**
   * Client's Maximum Packet Size (MQTT 5); the protocol's maximum when it sent none (kept with
   * the uncommon fields: most clients send none).
   */
  get maxOutPacket(): number {
    return this.uncommon?.maxOutPacket ?? PROTOCOL_MAX_PACKET;
  }
  set maxOutPacket(v: number) {
    if (v !== PROTOCOL_MAX_PACKET || this.uncommon !== undefined) this.setUncommon('maxOutPacket', v);
  }
  /**
   * Keep-alive in ms (0 = none; the negotiated one, from `info`); closed after 1.5× without
   * traffic [MQTT-3.1.2-24].
   */
  get keepaliveMs(): number {
    return (this.flags & HAS_INFO) !== 0 ? (this.meta as ClientInfo).keepalive * 1000 : 0;
  }
  /** The client as it connected; undefined until CONNECT is negotiated. */
  get info(): ClientInfo | undefined {
    return (this.flags & HAS_INFO) !== 0 ? (this.meta as ClientInfo) : undefined;
  }
  set info(v: ClientInfo | undefined) {
    if (v !== undefined) this.meta = v;
    this.flag(HAS_INFO, v !== undefined);
  }
  private setUncommon<K extends keyof Uncommon>(k: K, v: Uncommon[K]): void {
    if (v === undefined && this.uncommon === undefined) return;
    (this.uncommon ??= new Uncommon())[k] = v;
  }
  /** Inbound topic aliases (MQTT 5), allocated on first use. */
  get aliases(): Map<number, string> | undefined {
    return this.uncommon?.aliases;
  }
  set aliases(v: Map<number, string> | undefined) {
    this.setUncommon('aliases', v);
  }
  /** Outbound topic aliases (MQTT 5), when the client's Topic Alias Maximum allows them. */
  get outAliases(): OutboundAliases | undefined {
    return this.uncommon?.outAliases;
  }
  set outAliases(v: OutboundAliases | undefined) {
    this.setUncommon('outAliases', v);
  }
  /** Packets parsed while `blocked`, handled by `resume`. */
  get backlog(): Packet[] | undefined {
    return this.uncommon?.backlog;
  }
  set backlog(v: Packet[] | undefined) {
    this.setUncommon('backlog', v);
  }
  /** Acknowledgements waiting on durability or handlers, sent in order [MQTT-4.6.0-2]. */
  private get acks(): PendingAck[] | undefined {
    return this.uncommon?.acks;
  }
  private set acks(v: PendingAck[] | undefined) {
    this.setUncommon('acks', v);
  }
  private get versionKnown(): boolean {
    return (this.flags & VERSION_KNOWN) !== 0;
  }
  /** The socket's buffer is full: stop sending until 'drain'. */
  get paused(): boolean {
    return (this.flags & PAUSED) !== 0;
  }
  set paused(on: boolean) {
    this.flag(PAUSED, on);
  }
  get corked(): boolean {
    return (this.flags & CORKED) !== 0;
  }
  set corked(on: boolean) {
    this.flag(CORKED, on);
  }
  /** An async step (authentication, authorization) is running: later packets wait in `backlog`. */
  get blocked(): boolean {
    return (this.flags & BLOCKED) !== 0;
  }
  set blocked(on: boolean) {
    this.flag(BLOCKED, on);
  }
  /** Reading paused by flow control: a subscriber of this publisher's messages has a full queue. */
  get flowBlocked(): boolean {
    return (this.flags & FLOW_BLOCKED) !== 0;
  }
  set flowBlocked(on: boolean) {
    this.flag(FLOW_BLOCKED, on);
  }
  /** Set by a client DISCONNECT so the close is not treated as abnormal. */
  get graceful(): boolean {
    return (this.flags & GRACEFUL) !== 0;
  }
  set graceful(on: boolean) {
    this.flag(GRACEFUL, on);
  }
  /** limits.maxPacketSize (bigger packets are left to the mqtt-packet path, which refuses them). */
  get maxInPacket(): number {
    return this.host.maxPacketSize;
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
    this.lastSeen = this.host.seenNow();
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
    this.flag(VERSION_KNOWN, true);
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
  deferAck(qos2?: Qos2Unacked): PendingAck {
    const a: PendingAck = qos2 ? { packet: undefined, qos2 } : { packet: undefined };
    (this.acks ??= []).push(a);
    return a;
  }

  /** The QoS 2 PUBLISHes whose PUBREC is not sent yet (ready or not): read when the connection closes. */
  unsentQos2(): Qos2Unacked[] {
    const out: Qos2Unacked[] = [];
    for (const a of this.acks ?? []) if (a.qos2) out.push(a.qos2);
    return out;
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
