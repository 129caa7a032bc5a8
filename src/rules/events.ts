/**
 * Platform events as rule sources: bus events become messages on pseudo-topics under
 * `$tsunagu/events/`, which rules select FROM like any topic (`+` and `#` work; a `#` at the first
 * level does not match them, as for every `$` topic [MQTT-4.7.2-1]). They never reach MQTT clients.
 *
 *   $tsunagu/events/service-state/<device>   service-state.changed
 *   $tsunagu/events/command/<device>         command.finished
 *   $tsunagu/events/alert/<slo>              slo.alert
 *   $tsunagu/events/health-alert/<device>    health.alert
 *   $tsunagu/events/connectivity/<device>    device.connected / device.disconnected (AWS presence-event shape)
 *   $tsunagu/events/telemetry/<device>       telemetry.decoded (the decoder's output, any transport)
 */
import type { EventBus, Logger } from '../core/index.js';
import { EVENT_TOPIC_PREFIX, type RuleEngine } from './engine.js';

export function bridgeEvents(
  bus: EventBus,
  engine: RuleEngine,
  log: Logger,
  track: (p: Promise<void>) => void,
): (() => void)[] {
  const emit = (topic: string, payload: unknown): void => {
    try {
      const p = engine.emitEvent(EVENT_TOPIC_PREFIX + topic, payload);
      if (p) track(p.catch((err: unknown) => log.error({ err, topic }, 'rules: event rule failed')));
    } catch (err) {
      log.error({ err, topic }, 'rules: event rule failed');
    }
  };
  const seg = encodeURIComponent;
  // Decoded telemetry is emitted only while someone listens: subscribe only while a rule reads it.
  let telemetry: (() => void) | undefined;
  const syncTelemetry = (): void => {
    const want = engine.readsEvents('telemetry');
    if (want && !telemetry)
      telemetry = bus.on('telemetry.decoded', (e) => emit(`telemetry/${seg(e.deviceId)}`, e));
    else if (!want && telemetry) {
      telemetry();
      telemetry = undefined;
    }
  };
  engine.onEventRulesChanged = syncTelemetry;
  syncTelemetry();
  return [
    () => {
      engine.onEventRulesChanged = undefined;
      telemetry?.();
      telemetry = undefined;
    },
    bus.on('service-state.changed', (e) => emit(`service-state/${seg(e.deviceId)}`, e)),
    bus.on('command.finished', (e) => emit(`command/${seg(e.deviceId)}`, e)),
    bus.on('slo.alert', (e) => emit(`alert/${seg(e.sloId)}`, e)),
    bus.on('health.alert', (e) => emit(`health-alert/${seg(e.deviceId)}`, e)),
    bus.on('device.connected', (e) =>
      emit(`connectivity/${seg(e.deviceId)}`, {
        eventType: 'connected',
        clientId: e.deviceId,
        timestamp: e.at,
        ipAddress: e.remoteAddress,
        versionNumber: e.protocolVersion,
      }),
    ),
    bus.on('device.disconnected', (e) =>
      emit(`connectivity/${seg(e.deviceId)}`, {
        eventType: 'disconnected',
        clientId: e.deviceId,
        timestamp: e.at,
        ipAddress: e.remoteAddress,
        disconnectReason: e.reason,
        ...(e.refused ? { refused: true } : {}),
      }),
    ),
  ];
}
