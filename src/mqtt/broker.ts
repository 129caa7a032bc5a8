/**
 * The broker: lifecycle, the connection host, the BrokerApi, and the rooms it is built from
 * (host.ts lists them): sessions, delivery, fan-out, retained, wills and sweep. Packet handlers
 * live in `handlers/` and see the broker only as a `BrokerHost`; socket handling is in
 * `connection.ts`, listeners in `listeners.ts`.
 */
import type { Duplex } from 'node:stream';
import type { Packet } from 'mqtt-packet';
import type { BrokerLimits, Clock, DisconnectReason, Logger } from '../core/index.js';
import type { Database } from '../store/index.js';
import type {
  Broker,
  BrokerHooks,
  BrokerStats,
  ClientInfo,
  ConnectionMeta,
  MessageHandler,
  PublishRequest,
  PublishResult,
} from './api.js';
import { AddressTable } from './addresses.js';
import { Connection, type ConnectionHost } from './connection.js';
import { UncorkBatch } from './uncork.js';
import { Delivery } from './delivery.js';
import { MqttErrors } from './errors.js';
import { LocalFanOut, type FanOut, type FanOutFactory, type RouteScope } from './fan-out.js';
import { authorizeWill } from './handlers/authorize.js';
import { dispatch } from './handlers/index.js';
import { claimSession, fanOutHost, stateAtStart } from './handover.js';
import type { BrokerCounters, BrokerHost } from './host.js';
import { GroupCommit, type BrokerPersistence, type PersistOp } from './persistence.js';
import { PostgresPersistence } from './persistence-pg.js';
import { SqlitePersistence } from './persistence-sqlite.js';
import { Qos2Resends } from './qos2-resend.js';
import { RC } from './reason-codes.js';
import { restoreState } from './restore.js';
import { RetainedRoom } from './retained-room.js';
import { Route, type RouteResult } from './route.js';
import { SessionRoom, type SessionRoomHost } from './sessions.js';
import { Sweeper, type SweepHost } from './sweep.js';
import { defaultHooks, publishResult, requestMessage } from './platform-api.js';
import { publishSys } from './sys.js';
import { parseFilter } from './topics.js';
import type { Message } from './types.js';
import { parseErrorReason } from './validate.js';
import { WillRoom } from './wills.js';
import { routeTraced } from './trace.js';

export { STALL_MS } from './delivery.js';

/** How far back a rebased `lastSeen` keeps its value (far beyond any keep-alive's 1.5×). */
const SEEN_FLOOR_MS = 2 ** 30;

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
  /** Wrap the local fan-out (a cluster fan-out, issue 13); default: local delivery only. */
  fanOut?: FanOutFactory;
}

/**
 * - `new`: created, persistence not loaded
 * - `running`: `start()` done
 * - `closing`: `close()` running: connections are being dropped, no wills are published
 * - `closed`: everything flushed
 */
type BrokerState = 'new' | 'running' | 'closing' | 'closed';

export class BrokerImpl implements Broker, ConnectionHost, BrokerHost, SessionRoomHost, SweepHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly limits: BrokerLimits;
  readonly maxPacketSize: number;
  readonly nodeId: string;
  readonly hooks: BrokerHooks;
  readonly persistence: BrokerPersistence;
  readonly writer: GroupCommit;
  readonly counters: BrokerCounters = {
    messagesReceived: 0,
    messagesSent: 0,
    bytesReceived: 0,
    bytesSent: 0,
    publishDropped: 0,
    platformDropped: 0,
    willsDenied: 0,
  };
  readonly delivery: Delivery;
  readonly sessions: SessionRoom;
  readonly fanOut: FanOut;
  readonly retained: RetainedRoom;
  readonly wills: WillRoom;
  readonly resends = new Qos2Resends(() => this.clock.now());
  private readonly sweeper: Sweeper;
  /** Counts persistence operations; compared before/after a step to know if an ack must wait. */
  opsPushed = 0;
  private state: BrokerState = 'new';
  readonly startedAt: number;
  /** Epoch ms where `seenNow()` is 0. */
  private seenBase: number;
  private readonly uncorks = new UncorkBatch();
  private readonly addresses = new AddressTable();

  constructor(opts: BrokerOptions) {
    this.clock = opts.clock;
    this.log = opts.log;
    this.limits = opts.limits;
    this.nodeId = opts.nodeId;
    this.maxPacketSize = opts.limits.maxPacketSize;
    this.startedAt = opts.clock.now();
    this.seenBase = this.startedAt;
    this.persistence =
      opts.persistence ??
      (opts.db.kind === 'sqlite' ? new SqlitePersistence(opts.db) : new PostgresPersistence(opts.db));
    this.writer = new GroupCommit(this.persistence, (err) =>
      this.log.error({ err }, 'mqtt: persisting broker state failed'),
    );
    this.hooks = defaultHooks(opts.allowAnonymous);
    this.delivery = new Delivery(this.clock, this.limits, this.counters, this);
    this.sessions = new SessionRoom(this);
    const local = new LocalFanOut(this.sessions.byId, this.delivery, this.log);
    this.fanOut = opts.fanOut
      ? opts.fanOut(
          local,
          fanOutHost(this, (m) => this.retained.keep(m)),
        )
      : local;
    this.delivery.recordIds = this.sharedSessions;
    this.retained = new RetainedRoom(this.clock, this, this.delivery);
    this.wills = new WillRoom(
      this.clock,
      this.sessions.byId,
      this,
      (clientId, w, publish) => authorizeWill(this, clientId, w, publish),
      (msg) => (this.counters.messagesReceived++, this.route(msg)),
      () => this.running,
      (err, topic) => this.log.warn({ err, topic }, 'mqtt: a will was not confirmed by every node'),
    );
    this.sweeper = new Sweeper(this, this.limits.connectRatePerIp, opts.sysIntervalMs ?? 10_000);
  }

  get running(): boolean {
    return this.state === 'running';
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    await this.persistence.init();
    const st = stateAtStart(this.fanOut, await this.persistence.load());
    const now = this.clock.now();
    this.delivery.seq = restoreState(
      {
        sessions: this.sessions.byId,
        offline: this.sessions.offline,
        fanOut: this.fanOut,
        retained: this.retained.index,
      },
      st,
      now,
      this.delivery.seq,
    );
    this.state = 'running';
    this.wills.restore(st.wills, now);
    this.sweeper.start();
    this.log.info(
      { sessions: st.sessions.length, retained: st.retained.length, persistence: this.persistence.kind },
      'mqtt broker started',
    );
  }

  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    this.sweeper.stop();
    for (const c of [...this.connections()]) c.close('server_shutdown', RC.serverShuttingDown);
    // A stopping broker publishes no wills: they stay stored and are published after restart.
    for (const s of this.sessions.byId.values()) this.wills.cancelDelayed(s);
    await this.writer.drain();
    this.state = 'closed';
  }

  handleConnection(stream: Duplex, meta: ConnectionMeta): void {
    if (this.state === 'closing' || this.state === 'closed') {
      stream.destroy();
      return;
    }
    // One string per address, shared by its connections (addresses.ts: idle memory).
    meta.remoteAddress = this.addresses.share(meta.remoteAddress);
    // Connection listens for 'error' itself (no per-connection closure here: idle memory).
    this.sessions.admit(new Connection(stream, meta, this));
  }

  /** Every open connection (the sweep, shutdown, tests). */
  connections(): IterableIterator<Connection> {
    return this.sessions.connections();
  }

  /**
   * Publish the wills of clients that were connected when the broker stopped or crashed (and
   * whose delay has passed). Call once the platform's server-side subscribers are wired; the
   * first sweep does it otherwise.
   */
  publishRestoredWills(): void {
    this.wills.publishRestored();
  }

  /** The timers' work, run now (tests with a manual clock drive it through the clock instead). */
  sweep(): void {
    this.sweeper.sweep();
  }

  publishSys(): void {
    publishSys(this);
  }

  // ---- ConnectionHost ----------------------------------------------------------------------

  now(): number {
    return this.clock.now();
  }

  seenNow(): number {
    return this.clock.now() - this.seenBase;
  }

  /** Move the `seenNow()` base to now, every connection's `lastSeen` with it (kept small integers). */
  rebaseSeen(): void {
    const shift = this.seenNow();
    this.seenBase += shift;
    // Older than any keep-alive (65,535 s × 1.5) or connect timeout can tell apart: clamped.
    for (const c of this.connections()) c.lastSeen = Math.max(c.lastSeen - shift, -SEEN_FLOOR_MS);
  }

  onPacket(conn: Connection, packet: Packet): void {
    if (conn.blocked) {
      (conn.backlog ??= []).push(packet);
      return;
    }
    dispatch(this, conn, packet);
  }

  resume(conn: Connection): void {
    // Held by flow control: `holdConnection` resumes it once the subscriber has room.
    if (conn.flowBlocked) return;
    conn.unblock();
    const q = conn.backlog;
    while (q && q.length > 0 && !conn.blocked && conn.state !== 'closed') dispatch(this, conn, q.shift()!);
  }

  holdConnection(c: Connection, wait: Promise<void>): void {
    if (c.flowBlocked) return;
    c.flowBlocked = true;
    c.block();
    void wait.then(() => {
      c.flowBlocked = false;
      if (c.state !== 'closed') this.resume(c);
    });
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
    const rc = parseErrorReason(err);
    conn.close(
      'protocol_error',
      rc,
      `${rc === RC.malformed ? 'malformed packet' : 'protocol error'}: ${err.message}`,
    );
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

  protocolError(conn: Connection, why: string, reasonCode: number = RC.protocolError): void {
    this.log.warn(
      { remoteAddress: conn.meta.remoteAddress, clientId: conn.info?.clientId, why },
      'mqtt: protocol error, disconnecting',
    );
    conn.close('protocol_error', reasonCode, why);
  }

  onClosed(conn: Connection, reason: DisconnectReason, wasConnected: boolean, detail?: string): void {
    if (!wasConnected) return this.sessions.closed(conn);
    this.sessions.countConnection(-1);
    const info = conn.info!;
    if (conn.session) this.sessions.detach(conn.session, conn);
    this.sessions.closed(conn);
    this.resends.remember(info.clientId, conn.unsentQos2());
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
    this.delivery.pump(s);
  }

  scheduleUncork(conn: Connection): void {
    this.uncorks.add(conn);
  }

  countBytes(inBytes: number, outBytes: number): void {
    this.counters.bytesReceived += inBytes;
    this.counters.bytesSent += outBytes;
  }

  // ---- BrokerHost ----------------------------------------------------------------------------

  connectRateExceeded(ip: string): boolean {
    return this.sweeper.connectRateExceeded(ip);
  }

  claimSession(clientId: string, clean: boolean): Promise<void> | undefined {
    return claimSession(this, clientId, clean);
  }

  get sharedSessions(): boolean {
    return this.fanOut.claimSession !== undefined;
  }

  persist(op: PersistOp): void {
    this.opsPushed++;
    this.writer.push(op);
  }

  /** Route a message (in an `mqtt deliver` span when sampled, trace.ts). */
  route(msg: Message, scope?: RouteScope): RouteResult {
    return routeTraced(msg, scope === undefined ? this.routeNow : (m) => this.routeNow(m, scope));
  }

  /** Keep it if retained, fan it out, say what was done (copies, drops, flow wait, when to ack). */
  private readonly routeNow = (msg: Message, scope?: RouteScope): Route => {
    const opsBefore = this.opsPushed;
    const r = new Route(msg);
    if (msg.retain && scope?.resend === undefined) this.retained.store(msg); // stored at the first attempt
    this.fanOut.route(r, scope);
    if (this.opsPushed !== opsBefore && msg.qos > 0) r.waitFor(this.writer.flushed());
    return r;
  };

  // ---- BrokerApi ----------------------------------------------------------------------------

  async publish(req: PublishRequest): Promise<PublishResult> {
    if (this.state === 'closed') throw MqttErrors.notStarted('closed');
    return publishResult(this.route(requestMessage(req, this.clock.now())), this.counters);
  }

  subscribe(filter: string, handler: MessageHandler): () => void {
    const parsed = parseFilter(filter, { maxTopicLength: Infinity, maxTopicLevels: Infinity });
    if (!parsed || parsed.group !== undefined) throw MqttErrors.invalidFilter(filter);
    return this.fanOut.addHandler(filter, handler);
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
    const { inflight, queued } = this.sessions.totals();
    return {
      clientsConnected: this.sessions.connectedCount,
      clientsTotal: this.sessions.size,
      messagesReceived: this.counters.messagesReceived,
      messagesSent: this.counters.messagesSent,
      bytesReceived: this.counters.bytesReceived,
      bytesSent: this.counters.bytesSent,
      publishDropped: this.counters.publishDropped,
      platformDropped: this.counters.platformDropped,
      willsDenied: this.counters.willsDenied,
      retainedCount: this.retained.size,
      subscriptionsCount: this.fanOut.subscriptionCount,
      inflightCount: inflight,
      queuedCount: queued,
    };
  }
}
