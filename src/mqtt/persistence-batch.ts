/**
 * Reduce a batch of operations to its net effect per key, so a store can write it with a few
 * multi-row statements (one per table and kind) instead of one round trip per operation.
 * Applying the result — cascade deletes first, then per table the deletes, upserts and updates —
 * has the same effect as applying the operations one by one in order:
 * - a later operation on a key replaces an earlier one (put then delete = delete; delete then
 *   put = put, which is an upsert);
 * - `msg.update` after a `msg.put` in the same batch is folded into the put;
 * - `session.delete` drops what the batch did to the client's rows before it and becomes a
 *   cascade delete that runs before everything else.
 * A QoS 1 stream's `msg.put` + `msg.delete` of one message in one batch becomes a single delete.
 */
import type {
  PersistOp,
  StoredDelivered,
  StoredIncoming,
  StoredMessage,
  StoredRetained,
  StoredSession,
  StoredSubscription,
  StoredWill,
} from './persistence.js';
import type { OutgoingState } from './types.js';

type MsgAction =
  | { kind: 'put'; msg: StoredMessage }
  | { kind: 'update'; clientId: string; seq: number; packetId: number; state: OutgoingState }
  | { kind: 'delete'; clientId: string; seq: number };

export interface CompactBatch {
  /** Clients whose sessions, subscriptions, messages, inbound ids and delivered ids are deleted first. */
  cascade: string[];
  sessionPuts: StoredSession[];
  subDeletes: { clientId: string; raw: string }[];
  subPuts: StoredSubscription[];
  msgDeletes: { clientId: string; seq: number }[];
  msgPuts: StoredMessage[];
  msgUpdates: { clientId: string; seq: number; packetId: number; state: OutgoingState }[];
  incomingDeletes: { clientId: string; packetId: number }[];
  incomingPuts: StoredIncoming[];
  /** Inserted if absent; each client's older records are pruned (DELIVERED_KEEP_MS). */
  deliveredPuts: StoredDelivered[];
  retainedDeletes: string[];
  retainedPuts: StoredRetained[];
  willDeletes: string[];
  willPuts: StoredWill[];
}

const k2 = (a: string, b: string | number): string => `${a}\u0000${b}`;

export function compact(ops: readonly PersistOp[]): CompactBatch {
  const cascade = new Set<string>();
  const sessions = new Map<string, StoredSession>();
  const subs = new Map<string, StoredSubscription | { clientId: string; raw: string; deleted: true }>();
  const msgs = new Map<string, MsgAction>();
  const incoming = new Map<string, StoredIncoming & { put: boolean }>();
  const delivered = new Map<string, StoredDelivered>();
  const retained = new Map<string, StoredRetained | null>();
  const wills = new Map<string, StoredWill | null>();
  const forget = <V extends { clientId: string }>(m: Map<string, V>, clientId: string): void => {
    for (const [k, v] of m) if (v.clientId === clientId) m.delete(k);
  };
  for (const o of ops) {
    switch (o.op) {
      case 'session.put':
        sessions.set(o.session.clientId, o.session);
        break;
      case 'session.delete': {
        cascade.add(o.clientId);
        sessions.delete(o.clientId);
        forget(subs, o.clientId);
        forget(incoming, o.clientId);
        forget(delivered, o.clientId);
        for (const [k, v] of msgs)
          if ((v.kind === 'put' ? v.msg.clientId : v.clientId) === o.clientId) msgs.delete(k);
        break;
      }
      case 'sub.put':
        subs.set(k2(o.sub.clientId, o.sub.raw), o.sub);
        break;
      case 'sub.delete':
        subs.set(k2(o.clientId, o.raw), { clientId: o.clientId, raw: o.raw, deleted: true });
        break;
      case 'msg.put':
        msgs.set(k2(o.msg.clientId, o.msg.seq), { kind: 'put', msg: o.msg });
        break;
      case 'msg.update': {
        const key = k2(o.clientId, o.seq);
        const prev = msgs.get(key);
        if (prev?.kind === 'put') prev.msg = { ...prev.msg, packetId: o.packetId, state: o.state };
        else if (prev?.kind === 'delete')
          break; // updating a deleted row changes nothing
        else if (cascade.has(o.clientId))
          break; // the row was deleted by the cascade
        else
          msgs.set(key, {
            kind: 'update',
            clientId: o.clientId,
            seq: o.seq,
            packetId: o.packetId,
            state: o.state,
          });
        break;
      }
      case 'msg.delete':
        msgs.set(k2(o.clientId, o.seq), { kind: 'delete', clientId: o.clientId, seq: o.seq });
        break;
      case 'incoming.put':
        incoming.set(k2(o.clientId, o.packetId), {
          clientId: o.clientId,
          packetId: o.packetId,
          ...(o.msgId !== undefined ? { msgId: o.msgId } : {}),
          put: true,
        });
        break;
      case 'incoming.delete':
        incoming.set(k2(o.clientId, o.packetId), { clientId: o.clientId, packetId: o.packetId, put: false });
        break;
      case 'delivered.put': {
        const key = k2(o.delivered.clientId, o.delivered.msgId);
        if (!delivered.has(key)) delivered.set(key, o.delivered); // the first record stays
        break;
      }
      case 'retained.put':
        retained.set(o.msg.topic, o.msg);
        break;
      case 'retained.delete':
        retained.set(o.topic, null);
        break;
      case 'will.put':
        wills.set(o.will.clientId, o.will);
        break;
      case 'will.delete':
        wills.set(o.clientId, null);
        break;
    }
  }
  const b: CompactBatch = {
    cascade: [...cascade],
    sessionPuts: [...sessions.values()],
    subDeletes: [],
    subPuts: [],
    msgDeletes: [],
    msgPuts: [],
    msgUpdates: [],
    incomingDeletes: [],
    incomingPuts: [],
    deliveredPuts: [...delivered.values()],
    retainedDeletes: [],
    retainedPuts: [],
    willDeletes: [],
    willPuts: [],
  };
  for (const s of subs.values()) {
    if ('deleted' in s) b.subDeletes.push({ clientId: s.clientId, raw: s.raw });
    else b.subPuts.push(s);
  }
  for (const m of msgs.values()) {
    if (m.kind === 'put') b.msgPuts.push(m.msg);
    else if (m.kind === 'delete') b.msgDeletes.push({ clientId: m.clientId, seq: m.seq });
    else b.msgUpdates.push({ clientId: m.clientId, seq: m.seq, packetId: m.packetId, state: m.state });
  }
  for (const { put, ...i } of incoming.values())
    if (put) b.incomingPuts.push(i);
    else b.incomingDeletes.push({ clientId: i.clientId, packetId: i.packetId });
  for (const [topic, r] of retained) {
    if (r) b.retainedPuts.push(r);
    else b.retainedDeletes.push(topic);
  }
  for (const [clientId, w] of wills) {
    if (w) b.willPuts.push(w);
    else b.willDeletes.push(clientId);
  }
  return b;
}
