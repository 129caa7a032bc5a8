/**
 * The sessions room: the session table, the persistent sessions waiting offline, attaching a
 * connection at CONNECT (takeover, clean start, resume), detaching it at close, subscriptions,
 * and ending a session. The session itself is `Session` (session.ts).
 */
import { randomBytes } from 'node:crypto';
import type { ClientInfo } from './api.js';
import type { Connection } from './connection.js';
import type { Delivery } from './delivery.js';
import type { FanOut } from './fan-out.js';
import type { StateWriter } from './host.js';
import type { StoredSession } from './persistence.js';
import { RC } from './reason-codes.js';
import { Session } from './session.js';
import type { Subscription, Will } from './types.js';
import { dropStoredWill, recordWill, type WillRoom } from './wills.js';

/** What the sessions room needs from the other rooms (the broker provides it). */
export interface SessionRoomHost extends StateWriter {
  readonly fanOut: FanOut;
  readonly wills: WillRoom;
  readonly delivery: Delivery;
  readonly running: boolean;
  now(): number;
}

export class SessionRoom {
  /** Sessions by client id. */
  readonly byId = new Map<string, Session>();
  /** Persistent sessions without a connection (checked for expiry by the sweep). */
  readonly offline = new Set<Session>();
  /**
   * Open connections not attached to a session (before CONNECT is accepted). An attached one is
   * found through its session (`conn`), not kept in a second set: one table entry less per
   * connection (idle memory, docs/benchmarks.md).
   */
  private readonly unattached = new Set<Connection>();
  private connected = 0;

  constructor(private readonly host: SessionRoomHost) {}

  /** Connections past CONNACK. */
  get connectedCount(): number {
    return this.connected;
  }

  /** A connection was accepted (CONNACK on its way), or a connected one closed. */
  countConnection(delta: 1 | -1): void {
    this.connected += delta;
  }

  /** A connection was opened (the broker's listeners). */
  admit(c: Connection): void {
    this.unattached.add(c);
  }

  /** A connection closed (after its session, if any, was detached). */
  closed(c: Connection): void {
    this.unattached.delete(c);
  }

  /** Every open connection: the unattached ones, then each session's. */
  *connections(): IterableIterator<Connection> {
    yield* this.unattached;
    for (const s of this.byId.values()) if (s.conn) yield s.conn;
  }

  /** A session lets go of a connection that is still open: it must stay reachable (sweep, close). */
  private release(s: Session): void {
    const c = s.conn;
    if (c && c.state !== 'closed') this.unattached.add(c);
  }

  get(clientId: string): Session | undefined {
    return this.byId.get(clientId);
  }

  get size(): number {
    return this.byId.size;
  }

  assignClientId(): string {
    return `tsunagu-${randomBytes(8).toString('hex')}`;
  }

  /** [MQTT-3.1.4-3] session takeover: the existing connection is closed (MQTT 5: DISCONNECT 0x8E). */
  takeOver(clientId: string): void {
    const existing = this.byId.get(clientId)?.conn;
    if (existing) existing.close('takeover', RC.sessionTakenOver, 'session taken over');
  }

  /**
   * [MQTT-3.1.2-4/5] clean start discards any existing session; otherwise it resumes (a pending
   * delayed will is cancelled [MQTT-3.1.3-9]). `present`: an existing session resumed.
   */
  open(clientId: string, cleanStart: boolean): { session: Session; present: boolean } {
    let session = this.byId.get(clientId);
    if (session && cleanStart) {
      this.end(session);
      session = undefined;
    }
    if (session) {
      this.offline.delete(session);
      this.host.wills.cancelDelayed(session);
      return { session, present: true };
    }
    session = new Session(clientId);
    this.byId.set(clientId, session);
    return { session, present: false };
  }

  /** Attach the connection: the will, the expiry, persistence of the session row. */
  attach(
    session: Session,
    c: Connection,
    will: Will | undefined,
    info: ClientInfo,
    version: 3 | 4 | 5,
    expiry: number,
  ): void {
    session.will = will;
    recordWill(this.host.wills, session, info);
    session.protocolVersion = version;
    const wasStored = session.stored;
    session.expiryInterval = expiry;
    session.disconnectedAt = null;
    if (session.conn !== c) this.release(session);
    session.conn = c;
    this.unattached.delete(c);
    c.session = session;
    if (session.persistent) {
      this.host.persist({ op: 'session.put', session: this.stored(session) });
      session.stored = true;
    } else if (wasStored) {
      this.host.persist({ op: 'session.delete', clientId: session.clientId });
      session.stored = false;
    }
  }

  /** The session's connection closed: its will, then it ends or waits offline. */
  detach(s: Session, c: Connection): void {
    if (s.conn !== c) return;
    const { host } = this;
    s.conn = undefined;
    // Its queued messages stay with the session (or end with it): publishers go on.
    host.delivery.releaseRoom(s);
    // Discarded by a normal DISCONNECT [MQTT-3.14.4-3]; a stopping broker keeps it stored.
    if (!s.will && host.running) dropStoredWill(host.wills, s);
    host.wills.onClose(s);
    if (!s.persistent) return this.end(s);
    // QoS 0 messages are not kept for an offline session.
    if (s.queued > 0) s.queue.dropQos0();
    s.disconnectedAt = host.now();
    this.offline.add(s);
    host.persist({ op: 'session.put', session: this.stored(s) });
    s.stored = true;
  }

  /** MQTT 5 DISCONNECT with a Session Expiry Interval (capped by limits). */
  setExpiry(s: Session, seconds: number): void {
    const wasPersistent = s.persistent;
    s.expiryInterval = seconds;
    if (wasPersistent && !s.persistent) {
      this.host.persist({ op: 'session.delete', clientId: s.clientId });
      s.stored = false;
    }
  }

  stored(s: Session): StoredSession {
    return {
      clientId: s.clientId,
      expiryInterval: s.expiryInterval,
      disconnectedAt: s.conn ? null : s.disconnectedAt,
      protocolVersion: s.protocolVersion,
    };
  }

  /** End a session: drop subscriptions and messages; a pending delayed will is sent now. */
  end(s: Session): void {
    const { host } = this;
    host.wills.onSessionEnd(s);
    for (const sub of s.subscriptions()) host.fanOut.removeSubscription(sub);
    s.clearSubs();
    if (s.queued > 0) s.queue.clear();
    s.clearFlights();
    host.delivery.releaseRoom(s);
    if (this.byId.get(s.clientId) === s) this.byId.delete(s.clientId);
    this.release(s);
    this.offline.delete(s);
    if (s.stored) {
      host.persist({ op: 'session.delete', clientId: s.clientId });
      s.stored = false;
    }
  }

  /**
   * Another node took the session over (cluster, handover.ts): drop it from memory only — its
   * stored rows are now the other node's — cancelling a pending delayed will [MQTT-3.1.3-9].
   */
  forget(s: Session): void {
    this.host.wills.cancelDelayed(s);
    for (const sub of s.subscriptions()) this.host.fanOut.removeSubscription(sub);
    s.clearSubs();
    s.queue.clear();
    s.clearFlights();
    this.host.delivery.releaseRoom(s);
    if (this.byId.get(s.clientId) === s) this.byId.delete(s.clientId);
    this.release(s);
    this.offline.delete(s);
    s.stored = false;
  }

  /** Offline persistent sessions past their expiry end (the sweep). */
  expire(now: number): void {
    for (const s of this.offline) {
      if (s.disconnectedAt !== null && now >= s.disconnectedAt + s.expiryInterval * 1000) this.end(s);
    }
  }

  /** Add or replace [MQTT-3.8.4-3] a subscription. */
  subscribe(s: Session, sub: Subscription): void {
    const old = s.getSub(sub.raw);
    if (old) this.host.fanOut.removeSubscription(old);
    s.setSub(sub);
    this.host.fanOut.addSubscription(sub);
    if (s.persistent)
      this.host.persist({
        op: 'sub.put',
        sub: {
          clientId: s.clientId,
          raw: sub.raw,
          qos: sub.qos,
          nl: sub.nl,
          rap: sub.rap,
          rh: sub.rh,
          subId: sub.subId,
        },
      });
  }

  unsubscribe(s: Session, raw: string): boolean {
    const old = s.getSub(raw);
    if (!old) return false;
    s.deleteSub(raw);
    this.host.fanOut.removeSubscription(old);
    if (s.persistent) this.host.persist({ op: 'sub.delete', clientId: s.clientId, raw });
    return true;
  }

  /** Messages in flight and queued over every session (stats). */
  totals(): { inflight: number; queued: number } {
    let inflight = 0;
    let queued = 0;
    for (const s of this.byId.values()) {
      inflight += s.inflightCount;
      queued += s.queued;
    }
    return { inflight, queued };
  }
}
