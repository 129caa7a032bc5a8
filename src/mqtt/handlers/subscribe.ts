/**
 * SUBSCRIBE → SUBACK (+ retained messages) and UNSUBSCRIBE → UNSUBACK. Per filter: validate
 * [MQTT-4.7.1], quota (limits.maxSubscriptionsPerClient), authorizeSubscribe, then replace or add
 * [MQTT-3.8.4-3] and send retained messages per Retain Handling.
 */
import type { ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet';
import type { BrokerHost } from '../host.js';
import type { Connection } from '../connection.js';
import { ackWhenDurable } from '../durable-send.js';
import { RC } from '../reason-codes.js';
import { packSubscription } from '../subscription.js';
import { parseFilter, type ParsedFilter } from '../topics.js';
import type { Subscription } from '../types.js';

/** 3.1.1 has one failure code (0x80); MQTT 5 has specific reason codes. */
function failure(c: Connection, rc5: number): number {
  return c.version === 5 ? rc5 : 0x80;
}

export function handleSubscribe(b: BrokerHost, c: Connection, p: ISubscribePacket): void {
  const s = c.session!;
  const subId = p.properties?.subscriptionIdentifier;
  // Packet id, at least one filter, Subscription Identifier > 0: validate.ts.
  const n = p.subscriptions.length;
  const granted: number[] = new Array<number>(n).fill(0);
  const parsed: (ParsedFilter | null)[] = [];
  const pending: (boolean | Promise<boolean>)[] = [];
  let async = false;
  const fresh = new Set<string>();
  for (let i = 0; i < n; i++) {
    const req = p.subscriptions[i]!;
    const f = parseFilter(req.topic, b.limits);
    parsed.push(f);
    if (!f) {
      granted[i] = failure(c, RC.topicFilterInvalid);
      pending.push(false);
      continue;
    }
    // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
    if (f.group !== undefined && req.nl) return b.protocolError(c, 'no local on a shared subscription');
    if (!s.hasSub(req.topic) && !fresh.has(req.topic)) {
      if (s.subCount + fresh.size + 1 > b.limits.maxSubscriptionsPerClient) {
        granted[i] = failure(c, RC.quotaExceeded);
        pending.push(false);
        continue;
      }
      fresh.add(req.topic);
    }
    let ok: boolean | Promise<boolean>;
    try {
      ok = b.hooks.authorizeSubscribe(c.info!, req.topic);
    } catch (err) {
      b.log.error({ err }, 'mqtt: authorizeSubscribe hook failed');
      ok = false;
    }
    if (ok instanceof Promise) async = true;
    pending.push(ok);
  }
  const finish = (results: boolean[]): void => {
    if (c.state === 'closed') return;
    const before = b.opsPushed;
    const added: { sub: Subscription; existed: boolean }[] = [];
    for (let i = 0; i < n; i++) {
      const f = parsed[i];
      if (!f || granted[i] !== 0) continue;
      if (!results[i]) {
        granted[i] = failure(c, RC.notAuthorized);
        continue;
      }
      const req = p.subscriptions[i]!;
      const sub = packSubscription({
        clientId: s.clientId,
        raw: req.topic,
        filter: f.filter,
        group: f.group,
        qos: req.qos,
        nl: c.version === 5 && req.nl === true,
        rap: c.version === 5 && req.rap === true,
        rh: c.version === 5 ? (req.rh ?? 0) : 0,
        subId,
      });
      const existed = s.hasSub(req.topic);
      b.sessions.subscribe(s, sub);
      granted[i] = req.qos;
      added.push({ sub, existed });
    }
    // SUBACK once the subscriptions of a persistent session are durable.
    ackWhenDurable(b, c, before, { cmd: 'suback', messageId: p.messageId!, granted });
    // Retained messages after the SUBACK: Retain Handling 0 always, 1 only for a new subscription,
    // 2 never; never for shared subscriptions [MQTT 5 §3.3.1.3, §4.8.2].
    for (const { sub, existed } of added) {
      if (sub.group !== undefined || sub.rh === 2 || (sub.rh === 1 && existed)) continue;
      b.retained.sendTo(s, sub);
    }
  };
  if (!async) return finish(pending as boolean[]);
  c.block();
  Promise.all(pending.map((x) => Promise.resolve(x).catch(() => false))).then(
    (results) => {
      finish(results);
      b.resume(c);
    },
    () => undefined,
  );
}

export function handleUnsubscribe(b: BrokerHost, c: Connection, p: IUnsubscribePacket): void {
  const s = c.session!;
  const granted: number[] = [];
  const before = b.opsPushed;
  for (const raw of p.unsubscriptions) {
    const had = b.sessions.unsubscribe(s, raw);
    granted.push(had ? RC.success : RC.noSubscriptionExisted);
  }
  // [MQTT-3.10.4-4] UNSUBACK even when nothing was removed.
  ackWhenDurable(
    b,
    c,
    before,
    c.version === 5
      ? { cmd: 'unsuback', messageId: p.messageId!, granted }
      : { cmd: 'unsuback', messageId: p.messageId!, granted: [] },
  );
}
