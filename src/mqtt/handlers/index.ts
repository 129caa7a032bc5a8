/** Dispatch on the packet type (STYLE.md rule 3). Everything but CONNECT needs a connected client. */
import type { Packet } from 'mqtt-packet';
import type { BrokerImpl } from '../broker.js';
import type { Connection } from '../connection.js';
import { handlePubcomp, handlePuback, handlePubrec } from './acks.js';
import { handleConnect } from './connect.js';
import { handleDisconnect, handlePingreq } from './disconnect.js';
import { handlePublish, handlePubrel } from './publish.js';
import { handleSubscribe, handleUnsubscribe } from './subscribe.js';

export function dispatch(b: BrokerImpl, c: Connection, p: Packet): void {
  if (p.cmd === 'connect') return handleConnect(b, c, p);
  // [MQTT-3.1.0-1] the first packet must be CONNECT.
  if (c.state !== 'connected') return b.protocolError(c, `${p.cmd} before CONNECT completed`);
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
