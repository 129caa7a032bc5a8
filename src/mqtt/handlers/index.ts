/** Dispatch on the packet type (STYLE.md rule 3). Everything but CONNECT needs a connected client. */
import type { Packet } from 'mqtt-packet';
import type { BrokerHost } from '../host.js';
import type { Connection } from '../connection.js';
import { handlePubcomp, handlePuback, handlePubrec } from './acks.js';
import { handleConnect } from './connect.js';
import { handleDisconnect, handlePingreq } from './disconnect.js';
import { handlePublish, handlePubrel } from './publish.js';
import { handleSubscribe, handleUnsubscribe } from './subscribe.js';
import { validatePacket, type PacketError } from '../validate.js';
import { RC, toV311ConnackCode } from '../reason-codes.js';

/**
 * An invalid CONNECT: MQTT 5 gets a CONNACK with the reason code, 3.1.1 a closed connection (its
 * return codes cannot say "malformed"; only a bad protocol name/level pairing gets 0x01)
 * [MQTT 5 §4.13.1, MQTT-3.1.4-1].
 */
function refuseConnect(b: BrokerHost, c: Connection, version: number, bad: PacketError): void {
  b.log.warn({ remoteAddress: c.meta.remoteAddress, why: bad.why }, 'mqtt: invalid CONNECT, closing');
  c.setVersion(version === 5 ? 5 : version === 3 ? 3 : 4);
  if (version === 5)
    c.send({
      cmd: 'connack',
      sessionPresent: false,
      reasonCode: bad.rc,
      properties: { reasonString: bad.why },
    });
  // 3.1.1 has a return code for this one [MQTT-3.1.2-2].
  else if (bad.rc === RC.unsupportedProtocolVersion)
    c.send({ cmd: 'connack', sessionPresent: false, returnCode: toV311ConnackCode(bad.rc) });
  c.close(bad.rc === RC.badAuthenticationMethod ? 'not_authorized' : 'protocol_error');
}

export function dispatch(b: BrokerHost, c: Connection, p: Packet): void {
  if (p.cmd === 'connect') {
    const bad =
      c.state === 'awaiting_connect' ? validatePacket(p, p.protocolVersion ?? 4, b.limits) : undefined;
    return bad ? refuseConnect(b, c, p.protocolVersion ?? 4, bad) : handleConnect(b, c, p);
  }
  // [MQTT-3.1.0-1] the first packet must be CONNECT.
  if (c.state !== 'connected') return b.protocolError(c, `${p.cmd} before CONNECT completed`);
  const bad = validatePacket(p, c.version, b.limits);
  if (bad) return b.protocolError(c, bad.why, bad.rc);
  switch (p.cmd) {
    case 'publish':
      return handlePublish(b, c, p);
    case 'puback':
      return handlePuback(b, c, p);
    case 'pubrec':
      return handlePubrec(b, c, p);
    case 'pubrel':
      return handlePubrel(b, c, p);
    case 'pubcomp':
      return handlePubcomp(b, c, p);
    case 'subscribe':
      return handleSubscribe(b, c, p);
    case 'unsubscribe':
      return handleUnsubscribe(b, c, p);
    case 'pingreq':
      return handlePingreq(b, c);
    case 'disconnect':
      return handleDisconnect(b, c, p);
    default:
      // AUTH (enhanced authentication is not supported) and server-to-client packet types.
      return b.protocolError(c, `unexpected ${p.cmd} packet`);
  }
}
