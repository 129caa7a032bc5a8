/**
 * The broker's connect/disconnect hooks turned into `device.connected` / `device.disconnected` bus
 * events: the one place the MQTT kernel's session lifecycle meets the platform's event catalogue.
 * `app.ts` wires it once; harnesses that build a broker by hand (registry/testing.ts) wire it too.
 */
import type { Clock, EventBus } from '../core/index.js';
import type { BrokerApi } from '../mqtt/index.js';

export function wireConnectivityEvents(broker: BrokerApi, bus: EventBus, clock: Clock): void {
  broker.setHooks({
    onConnect: (c) =>
      bus.emit('device.connected', {
        deviceId: c.clientId,
        at: clock.now(),
        remoteAddress: c.remoteAddress,
        protocolVersion: c.protocolVersion,
        keepalive: c.keepalive,
        cleanStart: c.cleanStart,
      }),
    onDisconnect: (c, reason, detail) =>
      bus.emit('device.disconnected', {
        deviceId: c.clientId,
        at: clock.now(),
        reason,
        remoteAddress: c.remoteAddress,
        ...(detail?.refused ? { refused: true } : {}),
        ...(detail?.message ? { detail: detail.message } : {}),
      }),
  });
}
