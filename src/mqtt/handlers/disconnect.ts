/** Client DISCONNECT [MQTT-3.14] and PINGREQ [MQTT-3.12]. */
import type { IDisconnectPacket } from 'mqtt-packet';
import type { BrokerHost } from '../host.js';
import type { Connection } from '../connection.js';
import { RC } from '../reason-codes.js';

export function handleDisconnect(b: BrokerHost, c: Connection, p: IDisconnectPacket): void {
  const s = c.session!;
  if (c.version === 5) {
    const expiry = p.properties?.sessionExpiryInterval;
    if (expiry !== undefined) {
      // [MQTT-3.14.2-2] a session that was to end with the connection cannot be extended now.
      if (s.expiryInterval === 0 && expiry > 0) return b.protocolError(c, 'session expiry set on DISCONNECT');
      b.sessions.setExpiry(s, Math.min(expiry, b.limits.maxSessionExpiry));
    }
  }
  // [MQTT-3.14.4-3] a normal DISCONNECT discards the will; MQTT 5 reason 0x04 keeps it.
  if (!(c.version === 5 && p.reasonCode === RC.disconnectWithWill)) s.will = undefined;
  c.graceful = true;
  c.close('client_disconnect');
}

export function handlePingreq(_b: BrokerHost, c: Connection): void {
  c.send({ cmd: 'pingresp' });
}
