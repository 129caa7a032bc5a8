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
 */
import type { Delivery } from './delivery.js';
import type { FanOut } from './fan-out.js';
import type { GroupCommit, BrokerPersistence, PersistedState, PersistOp } from './persistence.js';
import { RC } from './reason-codes.js';
import { restoreState } from './restore.js';
import type { SessionRoom } from './sessions.js';

export interface HandoverBroker {
  readonly sessions: SessionRoom;
  readonly fanOut: FanOut;
  readonly persistence: BrokerPersistence;
  readonly writer: GroupCommit;
  readonly delivery: Delivery;
  persist(op: PersistOp): void;
  now(): number;
}

/** What a node loads at start: everything on one node; only retained messages in a cluster. */
export function stateAtStart(fanOut: FanOut, st: PersistedState): PersistedState {
  if (!fanOut.claimSession) return st;
  return { sessions: [], subscriptions: [], messages: [], incoming: [], retained: st.retained, wills: [] };
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
    if (clean) {
      b.persist({ op: 'session.delete', clientId });
      return;
    }
    const store = b.persistence;
    if (!store.loadSession) throw new Error(`${store.kind} persistence cannot load one session`);
    const st = await store.loadSession(clientId);
    if (b.sessions.get(clientId) || st.sessions.length === 0) return;
    b.delivery.seq = restoreState(
      { sessions: b.sessions.byId, offline: b.sessions.offline, fanOut: b.fanOut, retained: new Map() },
      st,
      b.now(),
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
