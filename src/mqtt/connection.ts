/**
 * One network connection: framing through an mqtt-packet parser, batched writes (cork on the
 * first write of a tick, uncork once per tick for the whole broker), socket backpressure and the
 * connection lifecycle. Protocol decisions are the broker's (`ConnectionHost`).
 */
import type { Duplex } from 'node:stream';
import { generate, parser as createParser, type Packet, type Parser } from 'mqtt-packet';
import type { DisconnectReason } from '../core/events.js';
import type { ClientInfo, ConnectionMeta } from './api.js';
import type { Session } from './session.js';

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

export class Connection {
  state: ConnectionState = 'awaiting_connect';
  version: 3 | 4 | 5 = 4;
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
  /** Inbound topic aliases (MQTT 5), allocated on first use. */
  aliases: Map<number, string> | undefined;
  /** An async step (authentication, authorization) is running: later packets wait in `backlog`. */
  blocked = false;
  backlog: Packet[] | undefined;
  /** Acknowledgements waiting on durability or handlers, sent in order [MQTT-4.6.0-2]. */
  private acks: PendingAck[] | undefined;
  /** Set by a client DISCONNECT so the close is not treated as abnormal. */
  graceful = false;
  private parser: Parser;

  constructor(
    readonly stream: Duplex,
    readonly meta: ConnectionMeta,
    private readonly host: ConnectionHost,
  ) {
    this.lastSeen = host.now();
    this.parser = createParser();
    this.parser.on('packet', (p: Packet) => {
      if (this.state === 'closed') return;
      if (p.length !== undefined && p.length > host.maxPacketSize)
        return host.onPacketTooLarge(this, p.length);
      try {
        host.onPacket(this, p);
      } catch (err) {
        // A bug must cost one connection, never the process.
        host.onHandlerError(this, err);
      }
    });
    this.parser.on('error', (err: Error) => {
      if (this.state !== 'closed') host.onParseError(this, err);
    });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('drain', () => {
      this.paused = false;
      if (this.state === 'connected') host.onWritable(this);
    });
    stream.on('error', () => this.close('socket_error', undefined, 'socket error'));
    stream.on('end', () => this.close(this.graceful ? 'client_disconnect' : 'socket_error'));
    stream.on('close', () => this.close(this.graceful ? 'client_disconnect' : 'socket_error'));
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.lastSeen = this.host.now();
    this.host.countBytes(chunk.length, 0);
    this.parser.parse(chunk);
    // A packet still being received: refuse it as soon as its announced length is too big.
    const pending = (this.parser as unknown as { packet: { length: number } }).packet.length;
    if ((this.state as ConnectionState) !== 'closed' && pending > this.host.maxPacketSize)
      this.host.onPacketTooLarge(this, pending);
  }

  /** Change the parser's protocol version (after CONNECT). */
  setVersion(v: 3 | 4 | 5): void {
    this.version = v;
    (this.parser as unknown as { settings: { protocolVersion: number } }).settings = { protocolVersion: v };
  }

  send(packet: Packet): void {
    if (this.state === 'closed') return;
    this.writeRaw(generate(packet, { protocolVersion: this.version }));
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
      this.send({ cmd: 'disconnect', reasonCode });
    this.state = 'closed';
    this.uncork();
    const s = this.stream;
    s.end();
    // A peer that never reads must not keep the socket: destroy after a grace period.
    if (!s.destroyed) setTimeout(() => s.destroy(), 2000).unref();
    this.host.onClosed(this, reason, wasConnected, detail);
  }
}
