/**
 * The broker core: sessions, routing, delivery with QoS flows and flow control, retained
 * messages, wills, persistence and the BrokerApi. Packet handlers live in `handlers/`, socket
 * handling in `connection.ts`, listeners in `listeners.ts`.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Packet } from 'mqtt-packet';
import type { Clock } from '../core/clock.js';
import type { BrokerLimits } from '../core/config.js';
import type { DisconnectReason } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { Database } from '../store/database.js';
import type {
  Broker,
  BrokerHooks,
  BrokerMessage,
  BrokerStats,
  ClientInfo,
  ConnectionMeta,
  MessageHandler,
  PublishRequest,
  QoS,
} from './api.js';
import { Connection, type ConnectionHost } from './connection.js';
import { encode, encodePublishFast, publishPacket } from './encode.js';
import { MqttErrors } from './errors.js';
import { authorizeWill } from './handlers/authorize.js';
import { sendAfterCommit } from './durable-send.js';
import { dispatch } from './handlers/index.js';
import { GroupCommit, type BrokerPersistence, type PersistOp, type StoredSession } from './persistence.js';
import { PostgresPersistence } from './persistence-pg.js';
import { SqlitePersistence } from './persistence-sqlite.js';
import { RC } from './reason-codes.js';
import { restoreState } from './restore.js';
import { encodeAliased, type OutboundAliases } from './topic-alias-out.js';
import { RetainedIndex } from './retained.js';
import { Session } from './session.js';
import { dropStoredWill, fireWill, markWillDisconnected, restoreWills, scheduleWill } from './wills.js';
import { publishSys } from './sys.js';
import { parseFilter, topicNameError } from './topics.js';
import { SubscriptionTrie } from './trie.js';
import type { Message, Outgoing, Subscription, Will } from './types.js';

export interface BrokerOptions {
  db: Database;
  clock: Clock;
  log: Logger;
  limits: BrokerLimits;
  allowAnonymous: boolean;
  nodeId: string;
  /** Override the persistence (tests); default: SQLite for a SQLite db, memory otherwise. */
  persistence?: BrokerPersistence;
  /** $SYS publish interval in ms (default 10 s; 0 = off). */
  sysIntervalMs?: number;
}

interface HandlerEntry {
  filter: string;
  handler: MessageHandler;
}

/**
 * - `new`: created, persistence not loaded
 * - `running`: `start()` done
 * - `closing`: `close()` running: connections are being dropped, no wills are published
 * - `closed`: everything flushed
 */
type BrokerState = 'new' | 'running' | 'closing' | 'closed';

const SWEEP_MS = 1000;
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Flow control: a subscriber with a full queue holds its publishers only while it keeps
 * acknowledging (or its socket keeps draining); after this long without progress it counts as
 * stalled, its publishers go on and its new messages are dropped (counted in publishDropped).
 * Short on purpose: a subscriber that stops reading may hold up everyone publishing to it for at
 * most this long (checked by the 1 s sweep, so 1–2 s) — the "must not stall anyone else".
 */
export const STALL_MS = 1000;

export class BrokerImpl implements Broker, ConnectionHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly limits: BrokerLimits;
  readonly maxPacketSize: number;
  readonly nodeId: string;
  hooks: BrokerHooks;
  readonly sessions = new Map<string, Session>();
  readonly conns = new Set<Connection>();
  readonly trie = new SubscriptionTrie<HandlerEntry>();
  readonly retained = new RetainedIndex();
  /** Persistent sessions without a connection (checked for expiry by the sweep). */
  readonly offline = new Set<Session>();
  readonly persistence: BrokerPersistence;
  readonly writer: GroupCommit;
  /** Counts persistence operations; routing compares it before/after to know if an ack must wait. */
  opsPushed = 0;
  connectedCount = 0;
  state: BrokerState = 'new';
  readonly startedAt: number;
  readonly counters = {
    messagesReceived: 0,
    messagesSent: 0,
    bytesReceived: 0,
    bytesSent: 0,
    publishDropped: 0,
    willsDenied: 0,
  };
  private seq = 1;
  /** Wills due at restart, published by `publishRestoredWills()` (or the first sweep). */
  private restoredWills: (() => void)[] = [];
  /** Sessions holding publishers (queue full, still draining). */
  readonly congested = new Set<Session>();
  /** Room promises met by the message being routed (flow control), see `holdPublisher`. */
  private flowWaits: Promise<void>[] | undefined;
  /** `route()` calls running (a handler may publish while routing). */
  private routing = 0;
  /** The flow-control wait of the last `route()` call, taken by the publish handler. */
  private lastFlowWait: Promise<void> | undefined;
  private uncorkList: Connection[] = [];
  private uncorkScheduled = false;
  private connectRate = new Map<string, { second: number; count: number }>();
  private stopSweep: (() => void) | undefined;
  private stopSys: (() => void) | undefined;
  private readonly sysIntervalMs: number;
  /** Encode-once cache for QoS 0 fan-out: valid while `encMsg` is the message being routed. */
  private encMsg: Message | undefined;
  private encCache: (Buffer | undefined)[] = [undefined, undefined, undefined, undefined];

  constructor(opts: BrokerOptions) {
    this.clock = opts.clock;
    this.log = opts.log;
    this.limits = opts.limits;
    this.nodeId = opts.nodeId;
    this.maxPacketSize = opts.limits.maxPacketSize;
    this.sysIntervalMs = opts.sysIntervalMs ?? 10_000;
    this.startedAt = opts.clock.now();
    this.persistence =
      opts.persistence ??
      (opts.db.kind === 'sqlite' ? new SqlitePersistence(opts.db) : new PostgresPersistence(opts.db));
    this.writer = new GroupCommit(this.persistence, (err) =>
      this.log.error({ err }, 'mqtt: persisting broker state failed'),
    );
    const allowAnonymous = opts.allowAnonymous;
    this.hooks = {
      authenticate: (_c, username) =>
        allowAnonymous
          ? { ok: true }
          : { ok: false, reasonCode: username === undefined ? RC.notAuthorized : RC.badUserNameOrPassword },
      authorizePublish: () => true,
      authorizeSubscribe: () => true,
      onConnect: () => undefined,
      onDisconnect: () => undefined,
    };
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    await this.persistence.init();
    const st = await this.persistence.load();
    this.seq = restoreState(this, st, this.clock.now(), this.seq);
    this.state = 'running';
    this.restoredWills = restoreWills(this, st.wills, this.clock.now());
    this.scheduleSweep();
    if (this.sysIntervalMs > 0) this.scheduleSys();
    this.log.info(
      { sessions: st.sessions.length, retained: st.retained.length, persistence: this.persistence.kind },
      'mqtt broker started',
    );
  }

  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    this.stopSweep?.();
    this.stopSys?.();
    for (const c of [...this.conns]) c.close('server_shutdown', RC.serverShuttingDown);
    // A stopping broker publishes no wills: they stay stored and are published after restart.
    for (const s of this.sessions.values()) {
      s.cancelWill?.();
      s.cancelWill = undefined;
    }
    await this.writer.drain();
    this.state = 'closed';
  }

  handleConnection(stream: Duplex, meta: ConnectionMeta): void {
    if (this.state === 'closing' || this.state === 'closed') {
      stream.destroy();
      return;
    }
    stream.on('error', () => undefined);
    this.conns.add(new Connection(stream, meta, this));
  }

  // ---- ConnectionHost ----------------------------------------------------------------------

  now(): number {
    return this.clock.now();
  }

  onPacket(conn: Connection, packet: Packet): void {
    if (conn.blocked) {
      (conn.backlog ??= []).push(packet);
      return;
    }
    dispatch(this, conn, packet);
  }

  /** Continue after an async step: unblock the connection and process what arrived meanwhile. */
  resume(conn: Connection): void {
    // Held by flow control: `holdConnection` resumes it once the subscriber has room.
    if (conn.flowBlocked) return;
    conn.unblock();
    const q = conn.backlog;
    while (q && q.length > 0 && !conn.blocked && conn.state !== 'closed') dispatch(this, conn, q.shift()!);
  }

  onParseError(conn: Connection, err: Error): void {
    if (conn.state === 'awaiting_connect' && err.message === 'Invalid protocol version') {
      // [MQTT-3.1.2-2] unsupported protocol level: CONNACK 0x01 (3.1.1 encoding) and close.
      conn.writeRaw(Buffer.from([0x20, 0x02, 0x00, 0x01]));
      conn.close('protocol_error');
      return;
    }
    this.log.warn(
      { remoteAddress: conn.meta.remoteAddress, clientId: conn.info?.clientId, err: err.message },
      'mqtt: malformed packet, disconnecting',
    );
    conn.close('protocol_error', RC.malformed, `malformed packet: ${err.message}`);
  }

  onHandlerError(conn: Connection, err: unknown): void {
    this.log.error({ err, clientId: conn.info?.clientId }, 'mqtt: packet handler failed, disconnecting');
    conn.close('protocol_error', RC.implementationSpecific, 'internal error');
  }

  onPacketTooLarge(conn: Connection, size: number): void {
    this.log.warn(
      { remoteAddress: conn.meta.remoteAddress, clientId: conn.info?.clientId, size },
      'mqtt: packet too large, disconnecting',
    );
    conn.close('protocol_error', RC.packetTooLarge, `packet of ${size} bytes exceeds ${this.maxPacketSize}`);
  }

  /** Out-of-order or invalid packet: log one line, MQTT 5 DISCONNECT 0x82, close. */
  protocolError(conn: Connection, why: string, reasonCode: number = RC.protocolError): void {
    this.log.warn(
      { remoteAddress: conn.meta.remoteAddress, clientId: conn.info?.clientId, why },
      'mqtt: protocol error, disconnecting',
    );
    conn.close('protocol_error', reasonCode, why);
  }

  onClosed(conn: Connection, reason: DisconnectReason, wasConnected: boolean, detail?: string): void {
    this.conns.delete(conn);
    if (!wasConnected) return;
    this.connectedCount--;
    const info = conn.info!;
    const s = conn.session;
    if (s && s.conn === conn) {
      s.conn = undefined;
      // Its queued messages stay with the session (or end with it): publishers go on.
      this.releaseRoom(s);
      // Discarded by a normal DISCONNECT [MQTT-3.14.4-3]; a stopping broker keeps it stored.
      if (!s.will && this.state === 'running') dropStoredWill(this, s);
      this.handleWillOnClose(s);
      if (!s.persistent) this.endSession(s);
      else {
        // QoS 0 messages are not kept for an offline session.
        s.queue.dropQos0();
        s.disconnectedAt = this.clock.now();
        this.offline.add(s);
        this.persist({ op: 'session.put', session: this.storedSession(s) });
        s.stored = true;
      }
    }
    try {
      this.hooks.onDisconnect(info, reason, detail === undefined ? undefined : { message: detail });
    } catch (err) {
      this.log.error({ err }, 'mqtt: onDisconnect hook failed');
    }
  }

  onWritable(conn: Connection): void {
    const s = conn.session;
    if (!s) return;
    s.progressAt = this.clock.now();
    this.pump(s);
  }

  scheduleUncork(conn: Connection): void {
    this.uncorkList.push(conn);
    if (!this.uncorkScheduled) {
      this.uncorkScheduled = true;
      setImmediate(this.uncorkAll);
    }
  }

  private uncorkAll = (): void => {
    this.uncorkScheduled = false;
    const list = this.uncorkList;
    this.uncorkList = [];
    for (const c of list) c.uncork();
  };

  countBytes(inBytes: number, outBytes: number): void {
    this.counters.bytesReceived += inBytes;
    this.counters.bytesSent += outBytes;
  }

  // ---- connect support -----------------------------------------------------------------------

  /** Connect attempts per second per remote address (limits.connectRatePerIp). */
  connectRateExceeded(ip: string): boolean {
    const second = Math.floor(this.clock.now() / 1000);
    let e = this.connectRate.get(ip);
    if (!e || e.second !== second) {
      e = { second, count: 0 };
      this.connectRate.set(ip, e);
    }
    return ++e.count > this.limits.connectRatePerIp;
  }

  assignClientId(): string {
    return `tsunagu-${randomBytes(8).toString('hex')}`;
  }

  newSession(clientId: string): Session {
    const s = new Session(clientId);
    this.sessions.set(clientId, s);
    return s;
  }

  storedSession(s: Session): StoredSession {
    return {
      clientId: s.clientId,
      expiryInterval: s.expiryInterval,
      disconnectedAt: s.conn ? null : s.disconnectedAt,
      protocolVersion: s.protocolVersion,
    };
  }

  /** End a session: drop subscriptions and messages; a pending delayed will is sent now. */
  endSession(s: Session): void {
    if (s.cancelWill) {
      s.cancelWill();
      s.cancelWill = undefined;
      fireWill(this, s);
    }
    if (this.state === 'running') dropStoredWill(this, s);
    for (const sub of s.subs.values()) this.trie.remove(sub);
    s.subs.clear();
    s.queue.clear();
    s.clearFlights();
    this.releaseRoom(s);
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
    this.offline.delete(s);
    if (s.stored) {
      this.persist({ op: 'session.delete', clientId: s.clientId });
      s.stored = false;
    }
  }

  /** Abnormal close: publish the will now, or after its delay while the session lives [MQTT-3.1.3-9]. */
  private handleWillOnClose(s: Session): void {
    const w = s.will;
    if (!w || this.state !== 'running') {
      if (this.state !== 'running') s.will = undefined;
      return;
    }
    if (w.delay > 0 && s.persistent) {
      markWillDisconnected(this, s, w);
      scheduleWill(this, s, Math.min(w.delay, s.expiryInterval) * 1000);
      return;
    }
    fireWill(this, s);
  }

  publishWill(clientId: string, w: Will, authorized = false): void {
    // Authorized again when due, with the same check as PUBLISH (the ACL may have changed).
    if (!authorized) return authorizeWill(this, clientId, w);
    const msg: Message = {
      topic: w.topic,
      payload: w.payload,
      qos: w.qos,
      retain: w.retain,
      properties: w.properties,
      publisherId: clientId,
      expiresAt: w.expiryInterval === undefined ? undefined : this.clock.now() + w.expiryInterval * 1000,
    };
    this.counters.messagesReceived++;
    void this.route(msg);
  }

  // ---- routing and delivery ---------------------------------------------------------------

  persist(op: PersistOp): void {
    this.opsPushed++;
    this.writer.push(op);
  }

  /**
   * Route a message to every matching subscription and server-side handler. Returns a promise
   * when the publisher's acknowledgement must wait (durable writes, handler promises).
   */
  route(msg: Message): Promise<void> | undefined {
    const opsBefore = this.opsPushed;
    // A server-side handler may publish while we route: keep the outer call's flow waits.
    const outerFlow = this.flowWaits;
    this.flowWaits = undefined;
    this.routing++;
    if (msg.retain) this.storeRetained(msg);
    const m = this.trie.match(msg.topic);
    this.encMsg = msg;
    this.encCache[0] = this.encCache[1] = this.encCache[2] = this.encCache[3] = undefined;
    const subs = m.subs;
    if (m.overlap) this.deliverOverlapping(subs, msg);
    else
      for (let i = 0; i < subs.length; i++) {
        const s = subs[i]!;
        if (s.nl && s.clientId === msg.publisherId) continue;
        this.deliverTo(
          s.clientId,
          msg,
          s.qos < msg.qos ? s.qos : msg.qos,
          s.rap && msg.retain,
          s.subId === undefined ? undefined : [s.subId],
        );
      }
    for (const g of m.shared) this.deliverShared(g.members, g, msg);
    this.encMsg = undefined;
    let waits: Promise<void>[] | undefined;
    const flow = this.flowWaits as Promise<void>[] | undefined; // set by deliverTo meanwhile
    this.flowWaits = outerFlow;
    this.routing--;
    let flowWait: Promise<void> | undefined;
    if (flow) {
      flowWait = flow.length === 1 ? flow[0]! : Promise.all(flow).then(() => undefined);
      waits = [flowWait];
    }
    this.lastFlowWait = flowWait;
    if (m.handlers.length > 0) {
      const bm: BrokerMessage = {
        topic: msg.topic,
        payload: msg.payload,
        qos: msg.qos,
        retain: msg.retain,
        ...(msg.properties ? { properties: msg.properties } : {}),
        ...(msg.publisherId !== undefined ? { clientId: msg.publisherId } : {}),
      };
      for (const h of m.handlers as HandlerEntry[]) {
        try {
          const r = h.handler(bm);
          if (r)
            (waits ??= []).push(
              r.catch((err: unknown) =>
                this.log.error({ err, filter: h.filter }, 'mqtt: server-side subscriber failed'),
              ),
            );
        } catch (err) {
          this.log.error({ err, filter: h.filter }, 'mqtt: server-side subscriber failed');
        }
      }
    }
    if (this.opsPushed !== opsBefore && msg.qos > 0) (waits ??= []).push(this.writer.flushed());
    if (!waits) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /**
   * Several subscriptions of one client match: one copy at the highest granted QoS, with every
   * matching subscription identifier (MQTT 5 §3.3.4; 3.1.1 [MQTT-3.3.5-1]).
   */
  private deliverOverlapping(subs: Subscription[], msg: Message): void {
    const per = new Map<string, { qos: QoS; retain: boolean; ids: number[] | undefined }>();
    for (const s of subs) {
      if (s.nl && s.clientId === msg.publisherId) continue;
      const q = s.qos < msg.qos ? s.qos : msg.qos;
      const e = per.get(s.clientId);
      if (!e)
        per.set(s.clientId, {
          qos: q,
          retain: s.rap && msg.retain,
          ids: s.subId === undefined ? undefined : [s.subId],
        });
      else {
        if (q > e.qos) e.qos = q;
        if (s.rap && msg.retain) e.retain = true;
        if (s.subId !== undefined) (e.ids ??= []).push(s.subId);
      }
    }
    for (const [clientId, e] of per) this.deliverTo(clientId, msg, e.qos, e.retain, e.ids);
  }

  /** Shared subscription: one member per group, round robin, preferring connected members. */
  private deliverShared(members: Subscription[], g: { next: number }, msg: Message): void {
    const n = members.length;
    if (n === 0) return;
    let pick: Subscription | undefined;
    for (let i = 0; i < n; i++) {
      const cand = members[(g.next + i) % n]!;
      const conn = this.sessions.get(cand.clientId)?.conn;
      if (conn && conn.state === 'connected') {
        pick = cand;
        g.next = (g.next + i + 1) % n;
        break;
      }
    }
    if (!pick) {
      pick = members[g.next % n]!;
      g.next = (g.next + 1) % n;
    }
    if (pick.nl && pick.clientId === msg.publisherId) return;
    this.deliverTo(
      pick.clientId,
      msg,
      pick.qos < msg.qos ? pick.qos : msg.qos,
      pick.rap && msg.retain,
      pick.subId === undefined ? undefined : [pick.subId],
    );
  }

  /**
   * The flow-control wait of the last `route()` (undefined when no subscriber's queue was full):
   * the publisher stops being read until it resolves.
   */
  takeFlowWait(): Promise<void> | undefined {
    const w = this.lastFlowWait;
    this.lastFlowWait = undefined;
    return w;
  }

  /** Stop reading `c` until `wait` resolves (its packets already parsed wait in the backlog). */
  holdConnection(c: Connection, wait: Promise<void>): void {
    if (c.flowBlocked) return;
    c.flowBlocked = true;
    c.block();
    void wait.then(() => {
      c.flowBlocked = false;
      if (c.state !== 'closed') this.resume(c);
    });
  }

  deliverTo(clientId: string, msg: Message, qos: QoS, retain: boolean, subIds: number[] | undefined): void {
    const s = this.sessions.get(clientId);
    if (!s) return;
    const c = s.conn;
    const online = c !== undefined && c.state === 'connected' && !c.paused && s.queue.length === 0;
    if (qos === 0) {
      if (online) this.sendQos0(c, msg, retain, subIds);
      else if (c) {
        // A backlog starts (socket full): flow control measures progress from here.
        if (s.queue.length === 0 && s.inflightCount === 0) s.progressAt = this.clock.now();
        this.enqueue(s, {
          seq: 0,
          msg,
          qos: 0,
          retain,
          subIds,
          packetId: 0,
          state: 'queued',
          persisted: false,
        });
      }
      // Offline sessions do not keep QoS 0 messages.
      return;
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
      if (s.inflightCount === 0) s.progressAt = this.clock.now();
      o.packetId = s.allocatePacketId();
      o.state = 'sent';
      s.inflight.set(o.packetId, o);
      if (s.persistent) this.persistNew(s, o);
      this.sendPublish(s, c, o, false);
      return;
    }
    if (!this.makeRoom(s)) return;
    if (s.persistent) this.persistNew(s, o);
    s.queue.push(o);
  }

  private persistNew(s: Session, o: Outgoing): void {
    o.persisted = true;
    const m = o.msg;
    this.persist({
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
  private makeRoom(s: Session): boolean {
    if (s.queue.length < this.limits.maxQueued) return true;
    if (this.holdPublisher(s)) return true;
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
  private holdPublisher(s: Session): boolean {
    const c = s.conn;
    if (!c || c.state !== 'connected') return false;
    if (s.queue.length >= 2 * this.limits.maxQueued) return false;
    if (this.clock.now() - s.progressAt > STALL_MS) return false;
    if (!s.roomWait) {
      s.roomWait = new Promise<void>((resolve) => (s.roomResolve = resolve));
      this.congested.add(s);
    }
    // Outside routing (retained messages for a new subscription) there is no publisher to hold.
    if (this.routing > 0) {
      const fw = (this.flowWaits ??= []);
      if (!fw.includes(s.roomWait)) fw.push(s.roomWait);
    }
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

  private enqueue(s: Session, o: Outgoing): void {
    if (this.makeRoom(s)) s.queue.push(o);
  }

  private sendQos0(c: Connection, msg: Message, retain: boolean, subIds: number[] | undefined): void {
    if (msg.expiresAt !== undefined && msg.expiresAt <= this.clock.now()) return;
    let buf: Buffer | undefined;
    if (c.outAliases) return this.writeAliased(c, c.outAliases, msg, 0, retain, false, 0, subIds, false);
    // The same bytes go to every subscriber with the same protocol family and retain flag.
    const shareable = subIds === undefined && msg.expiresAt === undefined && this.encMsg === msg;
    const slot = (c.version === 5 ? 2 : 0) + (retain ? 1 : 0);
    if (shareable) buf = this.encCache[slot];
    if (!buf) {
      buf =
        c.version !== 5 ||
        (msg.properties === undefined && subIds === undefined && msg.expiresAt === undefined)
          ? encodePublishFast(msg.topic, msg.payload, 0, retain, false, 0, c.version === 5)
          : encode(publishPacket(msg, 0, retain, false, 0, c.version, subIds, this.clock.now()), c.version);
      if (!buf) return;
      if (shareable) this.encCache[slot] = buf;
    }
    if (buf.length > c.maxOutPacket) {
      this.counters.publishDropped++;
      return;
    }
    this.counters.messagesSent++;
    c.writeRaw(buf);
  }

  /** Send (or resend with DUP [MQTT-4.4.0-1]) an in-flight QoS 1/2 PUBLISH. */
  sendPublish(s: Session, c: Connection, o: Outgoing, dup: boolean): void {
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
        () => this.finish(s, o),
      );
    const buf =
      c.version !== 5 || (m.properties === undefined && o.subIds === undefined && m.expiresAt === undefined)
        ? encodePublishFast(m.topic, m.payload, o.qos, o.retain, dup, o.packetId, c.version === 5)
        : encode(publishPacket(m, o.qos, o.retain, dup, o.packetId, c.version, o.subIds, now), c.version);
    // [MQTT-3.1.2-25] never send a packet larger than the client's Maximum Packet Size.
    if (!buf || buf.length > c.maxOutPacket) {
      this.counters.publishDropped++;
      return this.finish(s, o);
    }
    this.counters.messagesSent++;
    if (o.persisted) sendAfterCommit(this, s, c, buf);
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
    if (s && (persisted || (s.held !== undefined && s.heldConn === c))) sendAfterCommit(this, s, c, buf);
    else c.writeRaw(buf);
  }

  /** A message is done for this session (acknowledged, expired or dropped). */
  finish(s: Session, o: Outgoing): void {
    if (o.packetId !== 0 && s.inflight.get(o.packetId) === o) s.inflight.delete(o.packetId);
    if (o.persisted) this.persist({ op: 'msg.delete', clientId: s.clientId, seq: o.seq });
  }

  /** Send queued messages while the window and the socket allow. */
  pump(s: Session): void {
    const c = s.conn;
    if (!c || c.state !== 'connected') return;
    const q = s.queue;
    const now = this.clock.now();
    while (!c.paused) {
      const o = q.peek();
      if (!o) break;
      if (o.qos === 0) {
        q.shift();
        this.sendQos0(c, o.msg, o.retain, o.subIds);
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
        this.persist({
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

  // ---- retained ---------------------------------------------------------------------------

  private storeRetained(msg: Message): void {
    const durable = !msg.topic.startsWith('$SYS/');
    if (msg.payload.length === 0) {
      // [MQTT-3.3.1-10/11] an empty retained message removes the retained message for the topic.
      if (this.retained.delete(msg.topic) && durable)
        this.persist({ op: 'retained.delete', topic: msg.topic });
      return;
    }
    this.retained.set(msg.topic, msg);
    if (durable)
      this.persist({
        op: 'retained.put',
        msg: {
          topic: msg.topic,
          payload: msg.payload,
          qos: msg.qos,
          properties: msg.properties,
          expiresAt: msg.expiresAt,
        },
      });
  }

  /** Retained messages for a new subscription, sent with RETAIN set [MQTT-3.3.1-8]. */
  sendRetained(s: Session, sub: Subscription): void {
    const now = this.clock.now();
    for (const m of this.retained.match(sub.filter)) {
      if (m.expiresAt !== undefined && m.expiresAt <= now) {
        this.retained.delete(m.topic);
        continue;
      }
      this.deliverTo(
        s.clientId,
        m,
        sub.qos < m.qos ? sub.qos : m.qos,
        true,
        sub.subId === undefined ? undefined : [sub.subId],
      );
    }
  }

  // ---- subscriptions ------------------------------------------------------------------------

  addSubscription(s: Session, sub: Subscription): void {
    const old = s.subs.get(sub.raw);
    if (old) this.trie.remove(old);
    s.subs.set(sub.raw, sub);
    this.trie.add(sub);
    if (s.persistent)
      this.persist({
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

  removeSubscription(s: Session, raw: string): boolean {
    const old = s.subs.get(raw);
    if (!old) return false;
    s.subs.delete(raw);
    this.trie.remove(old);
    if (s.persistent) this.persist({ op: 'sub.delete', clientId: s.clientId, raw });
    return true;
  }

  // ---- timers -------------------------------------------------------------------------------

  private scheduleSweep(): void {
    this.stopSweep = this.clock.setTimer(SWEEP_MS, () => {
      this.sweep();
      if (this.state === 'running') this.scheduleSweep();
    });
  }

  /**
   * Publish the wills of clients that were connected when the broker stopped or crashed (and
   * whose delay has passed). Call once the platform's server-side subscribers are wired; the
   * first sweep does it otherwise.
   */
  publishRestoredWills(): void {
    const due = this.restoredWills;
    this.restoredWills = [];
    for (const f of due) f();
  }

  /** One shared timer for every keep-alive, connect timeout and session expiry (no per-client timers). */
  sweep(): void {
    if (this.restoredWills.length > 0) this.publishRestoredWills();
    const now = this.clock.now();
    let late: Connection[] | undefined;
    for (const c of this.conns) {
      if (c.state === 'connected' && c.flowBlocked) c.lastSeen = now;
      else if (this.timedOut(c, now)) (late ??= []).push(c);
    }
    // Timers run before the loop polls sockets: on a busy broker, bytes a client sent in time may
    // still wait unread in the kernel. Judge again after the next poll phase has read them, so a
    // reconnect storm is not cut off by the broker's own lag.
    if (late) setImmediate(() => this.closeTimedOut(late));
    for (const s of this.congested) {
      if (now - s.progressAt <= STALL_MS) continue;
      // The subscriber stopped acknowledging: its publishers go on, its new QoS 1/2 messages
      // are dropped (counted) while its queue stays full.
      this.log.warn({ clientId: s.clientId, queued: s.queue.length }, 'mqtt: subscriber stalled, queue full');
      this.releaseRoom(s);
    }
    for (const s of this.offline) {
      if (s.disconnectedAt !== null && now >= s.disconnectedAt + s.expiryInterval * 1000) this.endSession(s);
    }
    const second = Math.floor(now / 1000);
    for (const [ip, e] of this.connectRate) if (e.second !== second) this.connectRate.delete(ip);
  }

  /**
   * [MQTT-3.1.2-24] one and a half times the keep-alive without a packet; a socket that sent no
   * CONNECT within CONNECT_TIMEOUT_MS. A connection the broker itself stopped reading (flow
   * control) is not timed out for it.
   */
  private timedOut(c: Connection, now: number): boolean {
    if (c.state === 'connected')
      return !c.flowBlocked && c.keepaliveMs > 0 && now - c.lastSeen > c.keepaliveMs * 1.5;
    return c.state === 'awaiting_connect' && now - c.lastSeen > CONNECT_TIMEOUT_MS;
  }

  private closeTimedOut(conns: Connection[]): void {
    const now = this.clock.now();
    for (const c of conns) {
      if (!this.timedOut(c, now)) continue;
      if (c.state === 'connected') c.close('keepalive_timeout', RC.keepAliveTimeout, 'keep-alive timeout');
      else c.close('keepalive_timeout');
    }
  }

  private scheduleSys(): void {
    this.stopSys = this.clock.setTimer(this.sysIntervalMs, () => {
      publishSys(this);
      if (this.state === 'running') this.scheduleSys();
    });
  }

  // ---- BrokerApi ----------------------------------------------------------------------------

  async publish(req: PublishRequest): Promise<void> {
    if (this.state === 'closed') throw MqttErrors.notStarted('closed');
    const why = topicNameError(req.topic, { maxTopicLength: Infinity, maxTopicLevels: Infinity });
    if (why) throw MqttErrors.invalidTopic(req.topic, 'not a valid topic name');
    const props = req.properties;
    const expiry = props?.messageExpiryInterval;
    let properties = props;
    if (expiry !== undefined) {
      properties = { ...props };
      delete properties.messageExpiryInterval;
      if (Object.keys(properties).length === 0) properties = undefined;
    }
    const msg: Message = {
      topic: req.topic,
      payload: typeof req.payload === 'string' ? Buffer.from(req.payload) : req.payload,
      qos: req.qos ?? 0,
      retain: req.retain ?? false,
      properties,
      publisherId: undefined,
      expiresAt: expiry !== undefined ? this.clock.now() + expiry * 1000 : undefined,
    };
    const wait = this.route(msg);
    if (wait) await wait;
  }

  subscribe(filter: string, handler: MessageHandler): () => void {
    const parsed = parseFilter(filter, { maxTopicLength: Infinity, maxTopicLevels: Infinity });
    if (!parsed || parsed.group !== undefined) throw MqttErrors.invalidFilter(filter);
    const entry: HandlerEntry = { filter, handler };
    this.trie.addHandler(filter, entry);
    return () => this.trie.removeHandler(filter, entry);
  }

  disconnect(
    clientId: string,
    reasonCode: number = RC.administrativeAction,
    reason: DisconnectReason = 'administrative',
  ): boolean {
    const c = this.sessions.get(clientId)?.conn;
    if (!c || c.state !== 'connected') return false;
    c.close(reason, reasonCode, 'disconnected by the platform');
    return true;
  }

  isConnected(clientId: string): boolean {
    return this.sessions.get(clientId)?.conn?.state === 'connected';
  }

  clientInfo(clientId: string): ClientInfo | undefined {
    const c = this.sessions.get(clientId)?.conn;
    return c?.state === 'connected' ? c.info : undefined;
  }

  setHooks(hooks: Partial<BrokerHooks>): void {
    for (const [k, v] of Object.entries(hooks))
      if (v !== undefined) (this.hooks as unknown as Record<string, unknown>)[k] = v;
  }

  stats(): BrokerStats {
    let inflight = 0;
    let queued = 0;
    for (const s of this.sessions.values()) {
      inflight += s.inflightCount;
      queued += s.queue.length;
    }
    return {
      clientsConnected: this.connectedCount,
      clientsTotal: this.sessions.size,
      messagesReceived: this.counters.messagesReceived,
      messagesSent: this.counters.messagesSent,
      bytesReceived: this.counters.bytesReceived,
      bytesSent: this.counters.bytesSent,
      publishDropped: this.counters.publishDropped,
      willsDenied: this.counters.willsDenied,
      retainedCount: this.retained.size,
      subscriptionsCount: this.trie.size,
      inflightCount: inflight,
      queuedCount: queued,
    };
  }
}
