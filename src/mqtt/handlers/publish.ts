/**
 * Inbound PUBLISH (QoS 0/1/2) and PUBREL. Order: topic alias → topic checks → QoS 2 resend or
 * duplicate check → authorizePublish (sync fast path) → route → acknowledge once durable.
 */
import type { IPublishPacket, IPubrelPacket, Packet } from 'mqtt-packet';
import type { BrokerHost } from '../host.js';
import type { Connection } from '../connection.js';
import { ackWhenDurable } from '../durable-send.js';
import { appProperties } from '../encode.js';
import { ForwardTimeoutError, type RouteScope } from '../fan-out.js';
import type { Resent } from '../qos2-resend.js';
import { authorizePublish } from './authorize.js';
import { RC } from '../reason-codes.js';
import { topicNameError } from '../topics.js';
import type { Message } from '../types.js';

export function handlePublish(b: BrokerHost, c: Connection, p: IPublishPacket): void {
  b.counters.messagesReceived++;
  const s = c.session!;
  let topic = p.topic;
  const props = p.properties;

  // MQTT 5 topic aliases [MQTT-3.3.2-7…12] (range checked in validate.ts).
  const alias = props?.topicAlias;
  if (alias !== undefined) {
    if (topic.length > 0) (c.aliases ??= new Map()).set(alias, topic);
    else {
      const t = c.aliases?.get(alias);
      if (t === undefined) return b.protocolError(c, `unknown topic alias ${alias}`);
      topic = t;
    }
  }

  const bad = topicNameError(topic, b.limits);
  if (bad === 'invalid') return b.protocolError(c, `invalid topic name "${topic}"`);
  if (bad === 'limit') {
    // Too long or too deep for limits.maxTopicLength/maxTopicLevels: 0x90 Topic Name invalid.
    if (c.version === 5 && p.qos > 0) return c.ack(ackPacket(p, RC.topicNameInvalid));
    return b.protocolError(c, 'topic name exceeds limits', RC.topicNameInvalid);
  }

  const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
  // The resend of a QoS 2 PUBLISH whose PUBREC was never sent (its connection closed first, e.g. a
  // cluster forward timed out): routed again as a resend under the first attempt's id, even when
  // its packet id is recorded as received — a node that did not accept it must still get it.
  // Cluster: an inbound id loaded from the store with the id its message was routed under, by a
  // node that may have died before it finished routing: the resend is routed again under that id
  // (the nodes that had it deduplicate; docs/cluster.md "Exactly once across a node failure").
  const routedAs = p.qos === 2 ? s.takeRoutedAs(p.messageId!) : undefined;
  let resent = p.qos === 2 ? b.resends.take(s.clientId, p.messageId!, topic, payload) : undefined;
  if (resent === undefined && p.qos === 2) {
    if (routedAs !== undefined && s.incoming.has(p.messageId!))
      resent = { id: routedAs, here: false, settled: undefined };
    // [MQTT-4.3.3-9/10] a QoS 2 PUBLISH with a packet id not yet released is not delivered again.
    else if (s.incoming.has(p.messageId!)) return c.ack(ackPacket(p, RC.success));
    else if (c.version === 5 && s.incoming.size >= b.limits.maxInflight)
      return b.protocolError(c, 'receive maximum exceeded', RC.receiveMaximumExceeded);
  }

  const allowed = authorizePublish(b, c.info!, topic);
  if (allowed === true) return accept(b, c, p, topic, payload, resent);
  if (allowed === false) return deny(c, p);
  c.block();
  void allowed.then((ok) => {
    if (c.state === 'closed') return;
    if (ok) accept(b, c, p, topic, payload, resent);
    else deny(c, p);
    b.resume(c);
  });
}

const RESEND_HERE: RouteScope = { resend: 'here' };
const RESEND_ELSEWHERE: RouteScope = { resend: 'elsewhere' };

function ackPacket(p: IPublishPacket, reasonCode: number): Packet {
  const cmd = p.qos === 2 ? 'pubrec' : 'puback';
  return reasonCode === RC.success
    ? { cmd, messageId: p.messageId! }
    : { cmd, messageId: p.messageId!, reasonCode };
}

/** Not authorized: 3.1.1 drops the message but acknowledges it; MQTT 5 answers 0x87. */
function deny(c: Connection, p: IPublishPacket): void {
  if (p.qos === 0) return;
  c.ack(ackPacket(p, c.version === 5 ? RC.notAuthorized : RC.success));
}

/** `resent`: the unacknowledged first attempt this PUBLISH resends. */
function accept(
  b: BrokerHost,
  c: Connection,
  p: IPublishPacket,
  topic: string,
  payload: Buffer,
  resent: Resent | undefined,
): void {
  const s = c.session!;
  const props = p.properties;
  const expiry = props?.messageExpiryInterval;
  const msg: Message = {
    topic,
    payload,
    qos: p.qos,
    retain: p.retain,
    properties: props ? appProperties(props) : undefined,
    publisherId: s.clientId,
    expiresAt: expiry !== undefined ? b.now() + expiry * 1000 : undefined,
  };
  const before = b.opsPushed;
  if (p.qos === 2) msg.id = resent?.id ?? b.resends.nextId();
  if (p.qos === 2 && !s.incoming.has(p.messageId!)) {
    s.incoming.add(p.messageId!);
    if (s.persistent && b.sharedSessions && resent === undefined) return routeWhenDurable(b, c, p, msg);
    if (s.persistent)
      b.persist({
        op: 'incoming.put',
        clientId: s.clientId,
        packetId: p.messageId!,
        ...(b.sharedSessions ? { msgId: msg.id } : {}),
      });
  }
  const routed = b.route(
    msg,
    resent === undefined ? undefined : resent.here ? RESEND_HERE : RESEND_ELSEWHERE,
  );
  if (p.qos === 2 && routed.dropped > 0 && c.version === 5) {
    // Refused below (PUBREC 0x97): a reason code >= 0x80 ends the QoS 2 flow, the id is released.
    s.incoming.delete(p.messageId!);
    if (s.persistent) b.persist({ op: 'incoming.delete', clientId: s.clientId, packetId: p.messageId! });
  }
  let wait = routed.wait;
  // The inbound QoS 2 id must be durable before PUBREC too (else a resent PUBLISH is delivered twice).
  if (p.qos > 0 && b.opsPushed !== before)
    wait = wait ? Promise.all([wait, b.writer.flushed()]).then(() => undefined) : b.writer.flushed();
  // A resend: also what the first attempt's PUBREC waited for here (handlers, writes), and a flush.
  if (resent !== undefined)
    wait = Promise.all([wait, resent.settled, b.writer.flushed()]).then(() => undefined);
  // A subscriber's queue is full and it is still draining: stop reading this publisher until
  // there is room; its acknowledgement (below) waits for that too.
  if (routed.flowWait) b.holdConnection(c, routed.flowWait);
  if (p.qos === 0) return;
  // A matching session's queue was full and the copy was dropped: MQTT 5 says so (0x97 Quota
  // exceeded) instead of acknowledging a message that was not kept for everyone. 3.1.1 has no
  // negative PUBACK; it is acknowledged as Mosquitto does (the drop is counted in publishDropped).
  // In a cluster, the nodes a QoS 1 message was forwarded to report their drops before `wait`
  // settles, so the PUBACK is decided then (QoS 2's PUBREC only knows this node's).
  const ack = (): ReturnType<typeof ackPacket> =>
    ackPacket(p, routed.dropped > 0 && c.version === 5 ? RC.quotaExceeded : RC.success);
  if (!wait && p.qos === 1) return c.ack(ack());
  // QoS 2: a PUBREC still unsent when the connection closes is remembered (qos2-resend.ts).
  const pending = c.deferAck(p.qos === 2 ? { packetId: p.messageId!, msg, wait } : undefined);
  if (!wait) return c.completeAck(pending, ack());
  wait.then(
    () => c.completeAck(pending, ack()),
    (err: unknown) => notAccepted(b, c, p, err),
  );
}

/** No acknowledgement; the client resends after reconnecting. */
function notAccepted(b: BrokerHost, c: Connection, p: IPublishPacket, err: unknown): void {
  const clientId = c.session?.clientId;
  if (err instanceof ForwardTimeoutError) {
    // Delivered here, and maybe on the slow node: a QoS 2 resend goes to the other nodes
    // only, under the same message id (deduplicated there); a QoS 1 resend is routed again.
    b.log.warn(
      { clientId, node: err.node, qos: p.qos },
      'mqtt: another node did not accept the message in time, disconnecting publisher (it resends)',
    );
    return c.close('socket_error', RC.unspecified, 'not accepted by another node in time');
  }
  b.log.error({ err, clientId }, 'mqtt: message not persisted, disconnecting publisher');
  c.close('socket_error', RC.unspecified, 'persistence failed');
}

/**
 * Cluster, a persistent session's new QoS 2 PUBLISH: its inbound id is written with the message's
 * id and committed **before** the message is routed. Should this node die before PUBREC, the
 * client's resend to another node then finds either no id (nothing was routed anywhere: routed as
 * new) or the id the message went out under (routed again under it: the nodes that had it answer
 * from their window, the others deliver it) — never twice, never lost. Routed even if the
 * connection closes meanwhile (the id is durable: the message is taken). PUBREC as in `accept`.
 */
function routeWhenDurable(b: BrokerHost, c: Connection, p: IPublishPacket, msg: Message): void {
  const s = c.session!;
  const packetId = p.messageId!;
  b.persist({ op: 'incoming.put', clientId: s.clientId, packetId, msgId: msg.id });
  let routedYet = false;
  const done = b.writer.flushed().then(() => {
    routedYet = true;
    const before = b.opsPushed;
    const routed = b.route(msg);
    const refused = routed.dropped > 0 && c.version === 5;
    if (refused) {
      // PUBREC 0x97 ends the QoS 2 flow: the id is released (as in `accept`).
      s.incoming.delete(packetId);
      b.persist({ op: 'incoming.delete', clientId: s.clientId, packetId });
    }
    if (routed.flowWait && c.state !== 'closed') b.holdConnection(c, routed.flowWait);
    let wait = routed.wait;
    if (b.opsPushed !== before)
      wait = wait ? Promise.all([wait, b.writer.flushed()]).then(() => undefined) : b.writer.flushed();
    return (wait ?? Promise.resolve()).then(() => (refused ? RC.quotaExceeded : RC.success));
  });
  const settled = done.then(
    () => undefined,
    () => undefined,
  );
  const pending = c.deferAck({ packetId, msg, wait: settled });
  done.then(
    (rc) => c.completeAck(pending, ackPacket(p, rc)),
    (err: unknown) => {
      if (!routedYet) {
        // The id was not written, so nothing was routed: the resend is a new message.
        s.incoming.delete(packetId);
        delete pending.qos2;
      }
      notAccepted(b, c, p, err);
    },
  );
}

export function handlePubrel(b: BrokerHost, c: Connection, p: IPubrelPacket): void {
  const s = c.session!;
  const id = p.messageId!;
  const before = b.opsPushed;
  const known = s.incoming.delete(id);
  s.takeRoutedAs(id);
  if (known && s.persistent) b.persist({ op: 'incoming.delete', clientId: s.clientId, packetId: id });
  // [MQTT-4.3.3-11] PUBCOMP with the same packet id (0x92 if MQTT 5 and the id was unknown), once
  // the id's release is durable: else a restarted broker would drop the client's next PUBLISH
  // that reuses the id as a duplicate.
  ackWhenDurable(
    b,
    c,
    before,
    !known && c.version === 5
      ? { cmd: 'pubcomp', messageId: id, reasonCode: RC.packetIdNotFound }
      : { cmd: 'pubcomp', messageId: id },
  );
}
