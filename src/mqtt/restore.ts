/**
 * Session restore at start-up: rebuild sessions, subscriptions, queued and in-flight messages,
 * inbound QoS 2 ids and retained messages from what the persistence loaded (wills: wills.ts).
 *
 * Packet ids: the broker sends a PUBLISH with a new packet id (and a PUBREL) only after its state
 * is committed (`durable-send.ts`), so every id a client may hold — a QoS 1/2 PUBLISH
 * not yet acknowledged, a QoS 2 flow PUBREC'd and awaiting PUBREL — is in the store. Those
 * messages are restored in flight under their original ids (resent with DUP=1 on reconnect
 * [MQTT-4.4.0-1]) and the allocator never hands those ids out while they are unreleased.
 */
import type { FanOut } from './fan-out.js';
import { DELIVERED_KEEP_MS, type PersistedState } from './persistence.js';
import { Session } from './session.js';
import { packSubscription } from './subscription.js';
import { parseFilter } from './topics.js';
import type { Message, Outgoing } from './types.js';

export interface RestoreTarget {
  readonly sessions: Map<string, Session>;
  readonly offline: Set<Session>;
  readonly fanOut: Pick<FanOut, 'addSubscription'>;
  readonly retained: Map<string, Message>;
}

/** Fill `b` from `st`; returns the next message sequence number to use. */
export function restoreState(b: RestoreTarget, st: PersistedState, now: number, seq: number): number {
  for (const r of st.sessions) {
    const s = new Session(r.clientId);
    s.expiryInterval = r.expiryInterval;
    // A session that was connected when the process died counts as disconnected now.
    s.disconnectedAt = r.disconnectedAt ?? now;
    s.protocolVersion = r.protocolVersion;
    s.stored = true;
    b.sessions.set(s.clientId, s);
    b.offline.add(s);
  }
  for (const r of st.subscriptions) {
    const s = b.sessions.get(r.clientId);
    const parsed = parseFilter(r.raw, { maxTopicLength: Infinity, maxTopicLevels: Infinity });
    if (!s || !parsed) continue;
    const sub = packSubscription({
      clientId: r.clientId,
      filter: parsed.filter,
      group: parsed.group,
      raw: r.raw,
      qos: r.qos,
      nl: r.nl,
      rap: r.rap,
      rh: r.rh,
      subId: r.subId,
    });
    s.setSub(sub);
    b.fanOut.addSubscription(sub);
  }
  for (const m of st.messages) {
    seq = Math.max(seq, m.seq + 1);
    const s = b.sessions.get(m.clientId);
    if (!s) continue;
    const o: Outgoing = {
      seq: m.seq,
      msg: {
        topic: m.topic,
        payload: m.payload,
        qos: m.qos,
        retain: m.retain,
        properties: m.properties,
        publisherId: m.publisherId,
        expiresAt: m.expiresAt,
      },
      qos: m.qos,
      retain: m.retain,
      subIds: m.subIds,
      packetId: m.state === 'queued' ? 0 : m.packetId,
      state: m.state,
      persisted: true,
    };
    if (o.state === 'queued' || o.packetId === 0 || s.inflight.has(o.packetId)) {
      // Not sent yet (or, defensively, an id taken twice): sent later under a fresh id.
      if (o.state !== 'pubrel') {
        o.state = 'queued';
        o.packetId = 0;
        s.queue.push(o);
      }
    } else s.inflight.set(o.packetId, o);
  }
  for (const s of b.sessions.values()) s.restoreAllocator();
  for (const i of st.incoming) {
    const s = b.sessions.get(i.clientId);
    s?.incoming.add(i.packetId);
    if (s && i.msgId !== undefined) s.routedAs.set(i.packetId, i.msgId);
  }
  // Cluster: message ids queued for the session (by whichever node held it), oldest first.
  for (const d of st.delivered) {
    if (now - d.at > DELIVERED_KEEP_MS) continue;
    b.sessions.get(d.clientId)?.noteDelivered(d.msgId, d.at, 0);
  }
  for (const r of st.retained)
    b.retained.set(r.topic, {
      topic: r.topic,
      payload: r.payload,
      qos: r.qos,
      retain: true,
      properties: r.properties,
      publisherId: undefined,
      expiresAt: r.expiresAt,
    });
  return seq;
}
