/**
 * Session takeover between cluster nodes (issue 13; docs/mqtt.md "Cross-node sessions"). With a
 * cluster fan-out (`FanOut.claimSession`), persistent sessions live in the shared store and a node
 * holds one only while it owns it:
 * - a node starts with no sessions (retained messages only): every session is held by whichever
 *   node its client connects to next;
 * - CONNECT for a client id not held here first claims it: a node holding it closes the old
 *   connection (DISCONNECT 0x8E), makes its state durable and forgets it (`releaseSession`);
 * - then, unless clean start, this node loads the session — subscriptions, queued and in-flight
 *   QoS 1/2 messages, inbound QoS 2 ids — from the store (`BrokerPersistence.loadSession`) and
 *   resumes it like a session restored after a restart; with clean start the stored rows are
 *   deleted (a holder that died left them behind).
 * - A will row another member left for the client (it died with the connection open, or kept a
 *   delayed will) is taken (deleted, once) at that CONNECT: published unless the client resumes
 *   its persistent session within the will delay [MQTT-3.1.3-9].
 * - Sessions and wills of a dead member are adopted by one live node (`adoptOrphans`, driven by
 *   cluster/orphans.ts): sessions wait offline there (their subscriptions announced, messages
 *   queued), wills are published when due, as after a restart.
 */
import type { Qos2Resends } from './qos2-resend.js';
import type { Delivery } from './delivery.js';
import type { FanOut, FanOutHost } from './fan-out.js';
import type { Message } from './types.js';
import type { GroupCommit, BrokerPersistence, PersistedState, PersistOp } from './persistence.js';
import { RC } from './reason-codes.js';
import { restoreState } from './restore.js';
import type { SessionRoom } from './sessions.js';
import { restoreWills, willOf, type WillRoom } from './wills.js';

export interface HandoverBroker {
  readonly sessions: SessionRoom;
  readonly fanOut: FanOut;
  readonly persistence: BrokerPersistence;
  readonly writer: GroupCommit;
  readonly delivery: Delivery;
  readonly wills: WillRoom;
  readonly resends: Qos2Resends;
  readonly running: boolean;
  persist(op: PersistOp): void;
  now(): number;
}

/** What a node loads at start: everything on one node; only retained messages in a cluster. */
export function stateAtStart(fanOut: FanOut, st: PersistedState): PersistedState {
  if (!fanOut.claimSession) return st;
  return {
    sessions: [],
    subscriptions: [],
    messages: [],
    incoming: [],
    delivered: [],
    retained: st.retained,
    wills: [],
  };
}

/**
 * Before attaching a CONNECT: take the session from any node that holds it and load it here.
 * undefined (nothing to wait for) on one node or when this node holds the session already.
 */
export function claimSession(b: HandoverBroker, clientId: string, clean: boolean): Promise<void> | undefined {
  const fanOut = b.fanOut;
  if (!fanOut.claimSession || b.sessions.get(clientId)) return undefined;
  return fanOut.claimSession(clientId, clean).then(async () => {
    if (b.sessions.get(clientId)) return; // another CONNECT with this id got here first
    const store = b.persistence;
    const orphan = await store.takeWill?.(clientId);
    if (clean) {
      b.persist({ op: 'session.delete', clientId });
      if (orphan) b.wills.publishWill(clientId, willOf(orphan));
      return;
    }
    if (!store.loadSession) throw new Error(`${store.kind} persistence cannot load one session`);
    const st = await store.loadSession(clientId);
    const now = b.now();
    if (orphan) {
      // Resumed within the will delay: cancelled [MQTT-3.1.3-9]; otherwise the connection the
      // dead node held ended abnormally and its will is due.
      const due = orphan.disconnectedAt !== null && now >= orphan.disconnectedAt + orphan.delay * 1000;
      if (st.sessions.length === 0 || orphan.delay === 0 || due)
        b.wills.publishWill(clientId, willOf(orphan));
    }
    if (b.sessions.get(clientId) || st.sessions.length === 0) return;
    b.delivery.seq = restoreState(
      { sessions: b.sessions.byId, offline: b.sessions.offline, fanOut: b.fanOut, retained: new Map() },
      st,
      now,
      b.delivery.seq,
    );
  });
}

/** Another node takes `clientId` over (FanOutHost.releaseSession). */
export function releaseSession(b: HandoverBroker, clientId: string, clean: boolean): Promise<boolean> {
  const s = b.sessions.get(clientId);
  if (!s) return Promise.resolve(false);
  // Closing detaches the session (will, offline row) synchronously.
  s.conn?.close('takeover', RC.sessionTakenOver, 'session taken over');
  const cur = b.sessions.get(clientId);
  if (cur) {
    if (clean) b.sessions.end(cur);
    else b.sessions.forget(cur);
  }
  return b.writer.flushed().then(() => true);
}

/** Take over dead members' sessions and wills (FanOutHost.adoptOrphans). */
export async function adoptOrphans(
  b: HandoverBroker,
  live: (column: string) => string,
  candidates: readonly string[],
): Promise<{ dead: string[]; from: Map<string, string[]> }> {
  const store = b.persistence;
  let from = new Map<string, string[]>();
  let due: (() => void)[] = [];
  if (!store.adoptOrphans || !b.running) return { dead: [], from };
  const dead = await store.adoptOrphans(live, candidates, (st, f) => {
    from = f;
    // A client that connected here meanwhile keeps its live session.
    const already = new Set([...f.values()].flat().filter((id) => b.sessions.get(id) !== undefined));
    const held = (id: string): boolean => already.has(id);
    const keep = <T extends { clientId: string }>(xs: T[]): T[] => xs.filter((x) => !held(x.clientId));
    const now = b.now();
    b.delivery.seq = restoreState(
      { sessions: b.sessions.byId, offline: b.sessions.offline, fanOut: b.fanOut, retained: new Map() },
      {
        ...st,
        sessions: keep(st.sessions),
        subscriptions: keep(st.subscriptions),
        messages: keep(st.messages),
        incoming: keep(st.incoming),
        delivered: keep(st.delivered),
      },
      now,
      b.delivery.seq,
    );
    due = restoreWills(b.wills, keep(st.wills), now);
  });
  // After the commit: wills past their delay (or without a persistent session) go out now.
  for (const f of due) f();
  return { dead, from };
}

/**
 * Another node adopted this one as dead (it was cut off, or stalled past its membership): its
 * sessions' rows and wills are the adopter's now. Every connection is closed (0x8E: the client
 * reconnects and takes its session from the store) and every session forgotten, writing nothing
 * and publishing no will.
 */
export function surrender(b: HandoverBroker): number {
  let n = 0;
  for (const s of [...b.sessions.byId.values()]) {
    b.wills.cancelDelayed(s);
    s.will = undefined;
    s.willStored = false;
    s.stored = false;
    const conn = s.conn;
    s.conn = undefined; // detaching at close is then a no-op: no session or will writes
    b.sessions.forget(s);
    conn?.close('takeover', RC.sessionTakenOver, 'session adopted by another node');
    n++;
  }
  return n;
}

/** What a cluster fan-out may do to the broker (`FanOutHost`; the retained index is passed in). */
export function fanOutHost(b: HandoverBroker, keepRetained: (msg: Message) => void): FanOutHost {
  return {
    keepRetained,
    flushed: () => b.writer.flushed(),
    releaseSession: (id, clean) => releaseSession(b, id, clean),
    setHolder: (member) => b.persistence.setHolder?.(member),
    adoptOrphans: (live, candidates) => adoptOrphans(b, live, candidates),
    surrender: () => surrender(b),
    holdersOf: (id) => b.persistence.holdersOf?.(id) ?? Promise.resolve([]),
    handOverResends: (id) => b.resends.handOver(id),
    acceptResends: (id, handed) => b.resends.accept(id, handed),
  };
}
