/**
 * What the broker keeps across restarts: persistent sessions, their subscriptions, their queued
 * and in-flight QoS 1/2 messages, inbound QoS 2 packet ids awaiting PUBREL, retained messages,
 * and the wills of clients (connected, or disconnected with a delayed will pending).
 * Writes arrive as batches of operations applied atomically (one transaction per batch — group
 * commit, see `GroupCommit`). Implementations: in memory (tests), SQLite (`persistence-sqlite.ts`)
 * and PostgreSQL (`persistence-pg.ts`); all pass `persistence.contract.ts`.
 */
import type { ClientInfo, PublishProperties, QoS } from './api.js';
import type { OutgoingState } from './types.js';

export interface StoredSession {
  clientId: string;
  /** Seconds the session outlives its connection. */
  expiryInterval: number;
  /** Epoch ms of the last disconnect; null while connected. */
  disconnectedAt: number | null;
  protocolVersion: 3 | 4 | 5;
}

export interface StoredSubscription {
  clientId: string;
  raw: string;
  qos: QoS;
  nl: boolean;
  rap: boolean;
  rh: number;
  subId: number | undefined;
}

export interface StoredMessage {
  clientId: string;
  seq: number;
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
  publisherId: string | undefined;
  expiresAt: number | undefined;
  subIds: number[] | undefined;
  packetId: number;
  state: OutgoingState;
}

/**
 * An inbound QoS 2 packet id awaiting PUBREL. `msgId` (cluster only, docs/cluster.md "Exactly once
 * across a node failure"): the id the message was routed under; written before it is routed.
 */
export interface StoredIncoming {
  clientId: string;
  packetId: number;
  msgId?: string;
}

/**
 * Cluster: a QoS 2 message (by its cluster-wide id, `Message.id`) queued for a persistent session
 * at `at` (epoch ms), written with the queue row. A resend of it routed under the same id later —
 * its publisher's node died before PUBREC — is not queued for the session again, whichever node
 * holds the session by then (docs/cluster.md "Exactly once across a node failure"). Kept
 * DELIVERED_KEEP_MS.
 */
export interface StoredDelivered {
  clientId: string;
  msgId: string;
  at: number;
}

/**
 * How long a session's record of delivered message ids is kept (rows older are pruned when the
 * session's next record is written; older entries are dropped in memory): the receivers' seen
 * window (cluster/seen-messages.ts), so a resend is recognised as long there as here.
 */
export const DELIVERED_KEEP_MS = 120_000;
/** At most this many ids per session in memory (oldest dropped first). */
export const DELIVERED_MAX = 100_000;

export interface StoredRetained {
  topic: string;
  payload: Buffer;
  qos: QoS;
  properties: PublishProperties | undefined;
  expiresAt: number | undefined;
}

/**
 * A client's will, stored from CONNECT until it is published or discarded, so that a broker
 * that stops or crashes publishes it after restart. Keyed by client id, independent of the
 * session row (clean-session clients have wills too).
 */
export interface StoredWill {
  clientId: string;
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
  /** MQTT 5 Will Delay Interval, seconds. */
  delay: number;
  /** MQTT 5 Message Expiry Interval of the will, seconds. */
  expiryInterval: number | undefined;
  /**
   * Epoch ms when the broker saw the client's connection close (delayed will pending); null while
   * the client was connected — the delay then counts from the restart.
   */
  disconnectedAt: number | null;
  /** The client as it connected (for authorizing the will after a restart). */
  info: ClientInfo | undefined;
}

export type PersistOp =
  | { op: 'session.put'; session: StoredSession }
  /** Deletes the session with its subscriptions, messages and inbound ids. */
  | { op: 'session.delete'; clientId: string }
  | { op: 'sub.put'; sub: StoredSubscription }
  | { op: 'sub.delete'; clientId: string; raw: string }
  | { op: 'msg.put'; msg: StoredMessage }
  | { op: 'msg.update'; clientId: string; seq: number; packetId: number; state: OutgoingState }
  | { op: 'msg.delete'; clientId: string; seq: number }
  /** `msgId` (cluster): the message's id, so a resend on another node is routed under it. */
  | { op: 'incoming.put'; clientId: string; packetId: number; msgId?: string }
  | { op: 'incoming.delete'; clientId: string; packetId: number }
  /** Cluster: a QoS 2 message id queued for a session; prunes the session's records older than `at` − DELIVERED_KEEP_MS. */
  | { op: 'delivered.put'; delivered: StoredDelivered }
  | { op: 'retained.put'; msg: StoredRetained }
  | { op: 'retained.delete'; topic: string }
  | { op: 'will.put'; will: StoredWill }
  | { op: 'will.delete'; clientId: string };

export interface PersistedState {
  sessions: StoredSession[];
  subscriptions: StoredSubscription[];
  /** Ordered by seq. */
  messages: StoredMessage[];
  incoming: StoredIncoming[];
  /** Cluster: message ids queued for sessions (StoredDelivered); empty on one node. */
  delivered: StoredDelivered[];
  retained: StoredRetained[];
  wills: StoredWill[];
}

export interface BrokerPersistence {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  /** Create tables if needed. */
  init(): Promise<void>;
  load(): Promise<PersistedState>;
  /**
   * Apply all operations atomically, with the effect of applying them one by one in order (an
   * implementation may merge them, e.g. a put then a delete of one key is just the delete).
   */
  apply(ops: readonly PersistOp[]): Promise<void>;
  /**
   * One client's session row, subscriptions, messages (by seq) and inbound ids; retained and
   * wills empty. Needed by a cluster (a session taken over from another node, mqtt/handover.ts).
   */
  loadSession?(clientId: string): Promise<PersistedState>;
  /** Cluster: the member id written on the session and will rows this node puts. */
  setHolder?(holder: string): void;
  /** Cluster: a will row another member left for this client (deleted, returned once). */
  takeWill?(clientId: string): Promise<StoredWill | undefined>;
  /** Cluster: the members named as holders on the client's session and will rows. */
  holdersOf?(clientId: string): Promise<string[]>;
  /**
   * Cluster: take over dead members' sessions and wills (PostgreSQL, `persistence-pg.ts`); `load`
   * receives them (and which dead member each client came from) before the change commits.
   * Returns the dead members adopted.
   */
  adoptOrphans?(
    live: (column: string) => string,
    candidates: readonly string[],
    load: (st: PersistedState, from: Map<string, string[]>) => void,
  ): Promise<string[]>;
}

/** In-memory persistence: survives broker restarts within one process only. */
export class MemoryPersistence implements BrokerPersistence {
  readonly kind = 'memory';
  private sessions = new Map<string, StoredSession>();
  private subs = new Map<string, StoredSubscription>();
  private msgs = new Map<string, StoredMessage>();
  private incoming = new Map<string, StoredIncoming>();
  private delivered = new Map<string, StoredDelivered>();
  private retained = new Map<string, StoredRetained>();
  private wills = new Map<string, StoredWill>();

  init(): Promise<void> {
    return Promise.resolve();
  }

  load(): Promise<PersistedState> {
    return Promise.resolve({
      sessions: [...this.sessions.values()].map((s) => ({ ...s })),
      subscriptions: [...this.subs.values()].map((s) => ({ ...s })),
      messages: [...this.msgs.values()].sort((a, b) => a.seq - b.seq).map((m) => ({ ...m })),
      incoming: [...this.incoming.values()].map((i) => ({ ...i })),
      delivered: [...this.delivered.values()].map((d) => ({ ...d })),
      retained: [...this.retained.values()].map((r) => ({ ...r })),
      wills: [...this.wills.values()].map((w) => ({ ...w })),
    });
  }

  async loadSession(clientId: string): Promise<PersistedState> {
    const all = await this.load();
    const mine = <T extends { clientId: string }>(xs: T[]): T[] => xs.filter((x) => x.clientId === clientId);
    return {
      sessions: mine(all.sessions),
      subscriptions: mine(all.subscriptions),
      messages: mine(all.messages),
      incoming: mine(all.incoming),
      delivered: mine(all.delivered),
      retained: [],
      wills: [],
    };
  }

  apply(ops: readonly PersistOp[]): Promise<void> {
    for (const o of ops) {
      switch (o.op) {
        case 'session.put':
          this.sessions.set(o.session.clientId, { ...o.session });
          break;
        case 'session.delete':
          this.sessions.delete(o.clientId);
          for (const m of [this.subs, this.msgs, this.incoming, this.delivered] as Map<
            string,
            { clientId: string }
          >[])
            for (const [k, v] of m) if (v.clientId === o.clientId) m.delete(k);
          break;
        case 'sub.put':
          this.subs.set(`${o.sub.clientId}\u0000${o.sub.raw}`, { ...o.sub });
          break;
        case 'sub.delete':
          this.subs.delete(`${o.clientId}\u0000${o.raw}`);
          break;
        case 'msg.put':
          this.msgs.set(`${o.msg.clientId}\u0000${o.msg.seq}`, { ...o.msg });
          break;
        case 'msg.update': {
          const m = this.msgs.get(`${o.clientId}\u0000${o.seq}`);
          if (m) {
            m.packetId = o.packetId;
            m.state = o.state;
          }
          break;
        }
        case 'msg.delete':
          this.msgs.delete(`${o.clientId}\u0000${o.seq}`);
          break;
        case 'incoming.put':
          this.incoming.set(`${o.clientId}\u0000${o.packetId}`, {
            clientId: o.clientId,
            packetId: o.packetId,
            ...(o.msgId !== undefined ? { msgId: o.msgId } : {}),
          });
          break;
        case 'incoming.delete':
          this.incoming.delete(`${o.clientId}\u0000${o.packetId}`);
          break;
        case 'delivered.put': {
          const d = o.delivered;
          for (const [k, v] of this.delivered)
            if (v.clientId === d.clientId && v.at < d.at - DELIVERED_KEEP_MS) this.delivered.delete(k);
          const key = `${d.clientId}\u0000${d.msgId}`;
          if (!this.delivered.has(key)) this.delivered.set(key, { ...d });
          break;
        }
        case 'retained.put':
          this.retained.set(o.msg.topic, { ...o.msg });
          break;
        case 'retained.delete':
          this.retained.delete(o.topic);
          break;
        case 'will.put':
          this.wills.set(o.will.clientId, { ...o.will });
          break;
        case 'will.delete':
          this.wills.delete(o.clientId);
          break;
      }
    }
    return Promise.resolve();
  }
}

/**
 * Group commit: operations pushed while no batch is being written are applied in one transaction
 * on `setImmediate`; operations pushed while a batch is being written accumulate and go out as
 * the next batch the moment it commits — one batch in flight at a time, so a slow store (a
 * PostgreSQL round trip) makes batches bigger instead of making the writer fall behind.
 * `flushed()` resolves once the batch holding everything pushed so far is committed.
 */
export class GroupCommit {
  private ops: PersistOp[] = [];
  private scheduled = false;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** The batch being written (settles when it commits or fails). */
  private inflight: Promise<void> | undefined;
  /** Largest batch written so far (benchmarks, logs). */
  maxBatch = 0;
  batches = 0;

  constructor(
    private readonly store: BrokerPersistence,
    private readonly onError: (err: unknown) => void,
  ) {}

  get pending(): number {
    return this.ops.length;
  }

  /** Nothing pushed is waiting or being written: what was pushed so far is durable. */
  get idle(): boolean {
    return this.ops.length === 0 && this.inflight === undefined;
  }

  push(op: PersistOp): void {
    this.ops.push(op);
    if (!this.scheduled && !this.inflight) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Resolves when everything pushed so far is committed (rejects if that batch failed). */
  flushed(): Promise<void> {
    if (this.ops.length === 0) return this.inflight ?? Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private flush = (): void => {
    this.scheduled = false;
    if (this.inflight) return; // the running batch takes what accumulated when it ends
    const ops = this.ops;
    const waiters = this.waiters;
    this.ops = [];
    this.waiters = [];
    if (ops.length === 0) {
      for (const w of waiters) w.resolve();
      return;
    }
    this.batches++;
    if (ops.length > this.maxBatch) this.maxBatch = ops.length;
    let p: Promise<void>;
    try {
      p = this.store.apply(ops);
    } catch (err) {
      p = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const done = p.then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        this.onError(err);
        for (const w of waiters) w.reject(err);
        throw err;
      },
    );
    const settled = done
      .catch(() => undefined)
      .then(() => {
        this.inflight = undefined;
        if (this.ops.length > 0) this.flush();
      });
    // flushed() callers waiting on this batch see its failure; the writer itself goes on.
    this.inflight = done;
    void settled;
  };

  /** Flush now and wait for every batch (shutdown). */
  async drain(): Promise<void> {
    for (;;) {
      if (this.inflight) await this.inflight.catch(() => undefined);
      else if (this.ops.length > 0) this.flush();
      else return;
      // Let the settle callback clear `inflight` and start the next batch.
      await new Promise<void>((r) => setImmediate(r));
    }
  }
}
