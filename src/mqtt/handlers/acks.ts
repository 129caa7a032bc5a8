/** Acknowledgements from the client for messages the broker sent: PUBACK, PUBREC, PUBCOMP. */
import type { IPubackPacket, IPubcompPacket, IPubrecPacket } from 'mqtt-packet';
import type { BrokerHost } from '../host.js';
import type { Connection } from '../connection.js';
import { sendPacketAfterCommit } from '../durable-send.js';
import { RC } from '../reason-codes.js';

export function handlePuback(b: BrokerHost, c: Connection, p: IPubackPacket): void {
  const s = c.session!;
  const o = s.inflight.get(p.messageId!);
  if (!o || o.qos !== 1) return;
  b.delivery.acknowledged(s, o);
}

export function handlePubrec(b: BrokerHost, c: Connection, p: IPubrecPacket): void {
  const s = c.session!;
  const id = p.messageId!;
  const o = s.inflight.get(id);
  if (!o || o.qos !== 2) {
    // MQTT 5: PUBREL 0x92 Packet Identifier not found.
    if (c.version === 5) c.send({ cmd: 'pubrel', messageId: id, reasonCode: RC.packetIdNotFound });
    return;
  }
  if ((p.reasonCode ?? 0) >= 0x80) {
    // The client refused the message: the QoS 2 flow ends here [MQTT 5 §4.3.3].
    return b.delivery.acknowledged(s, o);
  }
  s.progressAt = b.now();
  if (o.state !== 'pubrel') {
    o.state = 'pubrel';
    if (o.persisted)
      b.persist({ op: 'msg.update', clientId: s.clientId, seq: o.seq, packetId: id, state: 'pubrel' });
  }
  // After the 'pubrel' state is committed: a restarted broker resends PUBREL, not the PUBLISH.
  if (o.persisted) sendPacketAfterCommit(b, s, c, { cmd: 'pubrel', messageId: id });
  else c.send({ cmd: 'pubrel', messageId: id });
}

export function handlePubcomp(b: BrokerHost, c: Connection, p: IPubcompPacket): void {
  const s = c.session!;
  const o = s.inflight.get(p.messageId!);
  if (!o || o.qos !== 2) return;
  b.delivery.acknowledged(s, o);
}
