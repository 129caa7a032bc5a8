/**
 * Delivery to one session: QoS 0 sends (encoded once per message, see route.ts), QoS 1/2 flows
 * with packet ids and the client's window, the bounded queue, and flow control (a subscriber
 * that is full but still draining holds its publishers instead of losing messages).
 */
import type { Clock, BrokerLimits } from '../core/index.js';
import type { QoS } from './api.js';
import type { Connection } from './connection.js';
import { sendAfterCommit } from './durable-send.js';
import { encode, encodePublishFast, publishPacket } from './encode.js';
import type { BrokerCounters, StateWriter } from './host.js';
import type { Route } from './route.js';
import type { Session } from './session.js';
import { encodeAliased, type OutboundAliases } from './topic-alias-out.js';
import type { Message, Outgoing } from './types.js';

/**
 * Flow control: a subscriber with a full queue holds its publishers only while it keeps
 * acknowledging (or its socket keeps draining); after this long without progress it counts as
 * stalled, its publishers go on and its new messages are dropped (counted in publishDropped).
 * Short on purpose: a subscriber that stops reading may hold up everyone publishing to it for at
 * most this long (checked by the 1 s sweep, so 1–2 s) — the "must not stall anyone else".
 */
export const STALL_MS = 1000;

export class Delivery {
  /** Sessions holding publishers (queue full, still draining); the sweep releases stalled ones. */
  readonly congested = new Set<Session>();
  /** Next message sequence number (persistence key with the client id). */
  seq = 1;
  /**
   * Cluster (sessions in a shared store): QoS 2 message ids queued for a persistent session are
   * recorded with the queue row, and a copy routed again under an id the session has is skipped.
   */
  recordIds = false;

  constructor(
    private readonly clock: Clock,
    private readonly limits: BrokerLimits,
    private readonly counters: BrokerCounters,
    private readonly state: StateWriter,
  ) {}

  /**
   * Hand `msg` to session `s`. `route` is the routing call it belongs to (shared encoding, flow
   * waits, the delivered count); undefined outside routing (retained messages for a new
   * subscription), where there is no publisher to hold.
   */
  deliver(
    s: Session,
    msg: Message,
    qos: QoS,
    retain: boolean,
    subIds: number[] | undefined,
    route: Route | undefined,
  ): void {
    const c = s.conn;
    const online = c !== undefined && c.state === 'connected' && !c.paused && s.queued === 0;
    if (qos === 0) {
      if (online) {
        if (route) route.delivered++;
        this.sendQos0(c, msg, retain, subIds, route);
      } else if (c) {
        // A backlog starts (socket full): flow control measures progress from here.
        if (s.queued === 0 && s.inflightCount === 0) s.progressAt = this.clock.now();
        if (!this.makeRoom(s, route)) {
          route?.drop(s.clientId, 'queue_full', false);
          return;
        }
        if (route) route.delivered++;
        s.queue.push({ seq: 0, msg, qos: 0, retain, subIds, packetId: 0, state: 'queued', persisted: false });
      }
      // Offline sessions do not keep QoS 0 messages.
      return;
    }
    // Cluster: a resend under an id this session already had (queued, in flight or completed),
    // routed again after the publisher's node died before PUBREC: it has its copy.
    const id = msg.id;
    const record = id !== undefined && route !== undefined && this.recordIds && s.persistent;
    if (record) {
      const by = s.deliveredBy(id, this.clock.now());
      if (by !== undefined && by !== route.serial) {
        route.delivered++;
        return;
      }
    }
    const o: Outgoing = {
      seq: this.seq++,
      msg,
      qos,
      retain,
      subIds,
      packetId: 0,
      state: 'queued',
      persisted: false,
    };
    if (online && s.inflightCount < c.window) {
      if (route) route.delivered++;
      if (s.inflightCount === 0) s.progressAt = this.clock.now();
      o.packetId = s.allocatePacketId();
      o.state = 'sent';
      s.inflight.set(o.packetId, o);
      if (s.persistent) this.persistNew(s, o, record ? route : undefined);
      this.sendPublish(s, c, o, false, route);
      return;
    }
    if (!this.makeRoom(s, route)) {
      route?.drop(s.clientId, 'queue_full', true);
      return;
    }
    if (route) route.delivered++;
    if (s.persistent) this.persistNew(s, o, record ? route : undefined);
    s.queue.push(o);
  }

  /** `recordFor`: also record the message's id for the session (`recordIds`), in the same batch. */
  private persistNew(s: Session, o: Outgoing, recordFor?: Route): void {
    o.persisted = true;
    const m = o.msg;
    if (recordFor !== undefined && m.id !== undefined) {
      const at = this.clock.now();
      s.noteDelivered(m.id, at, recordFor.serial);
      this.state.persist({ op: 'delivered.put', delivered: { clientId: s.clientId, msgId: m.id, at } });
    }
    this.state.persist({
      op: 'msg.put',
      msg: {
        clientId: s.clientId,
        seq: o.seq,
        topic: m.topic,
        payload: m.payload,
        qos: o.qos,
        retain: o.retain,
        properties: m.properties,
        publisherId: m.publisherId,
        expiresAt: m.expiresAt,
        subIds: o.subIds,
        packetId: o.packetId,
        state: o.state,
      },
    });
  }

  /**
   * Bounded queue (limits.maxQueued). For a connected subscriber that is still draining the
   * message is queued beyond the limit and its publisher is held (`holdPublisher`); otherwise the
   * oldest queued QoS 0 message is dropped to make room, and without one the new message is
   * dropped. false = no room; every drop is counted in publishDropped.
   */
  private makeRoom(s: Session, route: Route | undefined): boolean {
    if (s.queued < this.limits.maxQueued) return true;
    if (this.holdPublisher(s, route)) return true;
    this.counters.publishDropped++;
    return s.queue.dropOldestQos0();
  }

  /**
   * Flow control ("never lose what was acknowledged", and no QoS 0 loss for a subscriber that
   * keeps up): the message is kept, the publisher's socket is not read and its acknowledgement
   * waits until the queue is below limits.maxQueued again. Only for a connected subscriber that
   * made progress within STALL_MS, and never beyond 2 × maxQueued (several publishers, or
   * BrokerApi callers that do not await).
   */
  private holdPublisher(s: Session, route: Route | undefined): boolean {
    const c = s.conn;
    if (!c || c.state !== 'connected') return false;
    if (s.queued >= 2 * this.limits.maxQueued) return false;
    if (this.clock.now() - s.progressAt > STALL_MS) return false;
    if (!s.roomWait) {
      s.roomWait = new Promise<void>((resolve) => (s.roomResolve = resolve));
      this.congested.add(s);
    }
    // Outside routing (retained messages for a new subscription) there is no publisher to hold.
    if (route) route.holdFor(s.roomWait);
    return true;
  }

  /** Let publishers held by `s` go on (room again, subscriber gone or stalled). */
  releaseRoom(s: Session): void {
    const r = s.roomResolve;
    if (!r) return;
    s.roomResolve = undefined;
    s.roomWait = undefined;
    this.congested.delete(s);
    r();
  }

  private sendQos0(
    c: Connection,
    msg: Message,
    retain: boolean,
    subIds: number[] | undefined,
    route: Route | undefined,
  ): void {
    if (msg.expiresAt !== undefined && msg.expiresAt <= this.clock.now()) return;
    let buf: Buffer | undefined;
    if (c.outAliases)
      return this.writeAliased(c, c.outAliases, msg, 0, retain, false, 0, subIds, false, () =>
        route?.drop(c.session?.clientId ?? '', 'too_large', false),
      );
    // The same bytes go to every subscriber with the same protocol family and retain flag.
    const shared =
      route !== undefined && subIds === undefined && msg.expiresAt === undefined ? route : undefined;
    const slot = (c.version === 5 ? 2 : 0) + (retain ? 1 : 0);
    if (shared) buf = shared.encoded(slot);
    if (!buf) {
      buf =
        c.version !== 5 ||
        (msg.properties === undefined && subIds === undefined && msg.expiresAt === undefined)
          ? encodePublishFast(msg.topic, msg.payload, 0, retain, false, 0, c.version === 5)
          : encode(publishPacket(msg, 0, retain, false, 0, c.version, subIds, this.clock.now()), c.version);
      if (!buf) return;
      if (shared) shared.keepEncoded(slot, buf);
    }
    if (buf.length > c.maxOutPacket) {
      this.counters.publishDropped++;
      route?.drop(c.session?.clientId ?? '', 'too_large', false);
      return;
    }
    this.counters.messagesSent++;
    c.writeRaw(buf);
  }

  /** Send (or resend with DUP [MQTT-4.4.0-1]) an in-flight QoS 1/2 PUBLISH. */
  sendPublish(s: Session, c: Connection, o: Outgoing, dup: boolean, route?: Route): void {
    const now = this.clock.now();
    if (o.msg.expiresAt !== undefined && o.msg.expiresAt <= now) return this.finish(s, o);
    const m = o.msg;
    if (c.outAliases)
      return this.writeAliased(
        c,
        c.outAliases,
        m,
        o.qos,
        o.retain,
        dup,
        o.packetId,
        o.subIds,
        o.persisted,
        () => {
          route?.drop(s.clientId, 'too_large', false);
          this.finish(s, o);
        },
      );
    const buf =
      c.version !== 5 || (m.properties === undefined && o.subIds === undefined && m.expiresAt === undefined)
        ? encodePublishFast(m.topic, m.payload, o.qos, o.retain, dup, o.packetId, c.version === 5)
        : encode(publishPacket(m, o.qos, o.retain, dup, o.packetId, c.version, o.subIds, now), c.version);
    // [MQTT-3.1.2-25] never send a packet larger than the client's Maximum Packet Size.
    if (!buf || buf.length > c.maxOutPacket) {
      this.counters.publishDropped++;
      route?.drop(s.clientId, 'too_large', false);
      return this.finish(s, o);
    }
    this.counters.messagesSent++;
    if (o.persisted) sendAfterCommit(this.state, s, c, buf);
    else c.writeRaw(buf);
  }

  /** A delivery to a client that accepts topic aliases (never shares encoded bytes). */
  private writeAliased(
    c: Connection,
    aliases: OutboundAliases,
    msg: Message,
    qos: QoS,
    retain: boolean,
    dup: boolean,
    packetId: number,
    subIds: number[] | undefined,
    persisted: boolean,
    onDrop?: () => void,
  ): void {
    const buf = encodeAliased(aliases, msg, qos, retain, dup, packetId, subIds, this.clock.now());
    // [MQTT-3.1.2-25] never send a packet larger than the client's Maximum Packet Size.
    if (!buf || buf.length > c.maxOutPacket) {
      this.counters.publishDropped++;
      onDrop?.();
      return;
    }
    this.counters.messagesSent++;
    // Aliases are assigned in encoding order, so packets must reach the client in that order:
    // while earlier ones wait for their commit (durable-send.ts), this one waits behind them.
    const s = c.session;
    if (s && (persisted || (s.held !== undefined && s.heldConn === c)))
      sendAfterCommit(this.state, s, c, buf);
    else c.writeRaw(buf);
  }

  /** A message is done for this session (acknowledged, expired or dropped). */
  finish(s: Session, o: Outgoing): void {
    if (o.packetId !== 0 && s.inflight.get(o.packetId) === o) s.inflight.delete(o.packetId);
    if (o.persisted) this.state.persist({ op: 'msg.delete', clientId: s.clientId, seq: o.seq });
  }

  /** Send queued messages while the window and the socket allow. */
  pump(s: Session): void {
    const c = s.conn;
    if (!c || c.state !== 'connected') return;
    if (s.queued === 0) {
      if (s.roomResolve) this.releaseRoom(s);
      return;
    }
    const q = s.queue;
    const now = this.clock.now();
    while (!c.paused) {
      const o = q.peek();
      if (!o) break;
      if (o.qos === 0) {
        q.shift();
        this.sendQos0(c, o.msg, o.retain, o.subIds, undefined);
        continue;
      }
      if (s.inflightCount >= c.window) break;
      q.shift();
      if (o.msg.expiresAt !== undefined && o.msg.expiresAt <= now) {
        this.finish(s, o);
        continue;
      }
      if (s.inflightCount === 0) s.progressAt = now;
      o.packetId = s.allocatePacketId();
      o.state = 'sent';
      s.inflight.set(o.packetId, o);
      if (o.persisted)
        this.state.persist({
          op: 'msg.update',
          clientId: s.clientId,
          seq: o.seq,
          packetId: o.packetId,
          state: 'sent',
        });
      this.sendPublish(s, c, o, false);
    }
    if (s.roomResolve && q.length < this.limits.maxQueued) this.releaseRoom(s);
  }

  /** A client acknowledged (PUBACK, PUBCOMP, refused PUBREC): the message is done, send more. */
  acknowledged(s: Session, o: Outgoing): void {
    s.progressAt = this.clock.now();
    this.finish(s, o);
    this.pump(s);
  }
}
