/**
 * Health across several nodes (docs/health.md "Several nodes", docs/cluster.md): the owner of a
 * device's shard (shard key = device id) holds its heartbeat deadline and counts its hardware
 * errors. A node that receives a sign of life or a hardware-error event for a device it does not
 * own hands it to the owner as a cluster event (`health.sign_of_life`, `health.device_event`);
 * a node that gains shards reloads those devices' state and error windows from the store, their
 * last sign of life from presence (the registry's reader), and arms their deadlines; a node that loses shards drops their deadlines at once.
 */
import { randomBytes } from 'node:crypto';
import type { ClusterEvents, EventBus, Logger } from '../core/index.js';
import { adoptRow } from './conditional-change.js';
import type { HealthEngine } from './engine.js';
import type { HealthStore } from './health-store.js';
import type { ForwardedInput } from './tracked-device.js';

/** What the engine calls for an input it does not own: one cluster event to the owner. */
export function forwardTo(events: ClusterEvents): (input: ForwardedInput) => void {
  return (f) => {
    if (f.kind === 'sign_of_life')
      events.publish('health.sign_of_life', { deviceId: f.deviceId, at: f.at, via: f.via });
    else events.publish('health.device_event', { deviceId: f.deviceId, code: f.code, at: f.at });
  };
}

/** Subscribe to ownership changes and hand-offs; returns the unsubscribers. */
export function wireHealthCluster(
  engine: HealthEngine,
  store: HealthStore,
  events: ClusterEvents,
  log: Logger,
  bus?: EventBus,
): (() => void)[] {
  const own = engine.ownership;
  const member = randomBytes(6).toString('hex');
  const reload = (which: (deviceId: string) => boolean, gainedAt?: number): void => {
    reloadOwned(engine, store, which, gainedAt).catch((err: unknown) =>
      log.error({ err }, 'health: reloading owned devices failed'),
    );
  };
  return [
    own.onChange((c) => {
      const lost = new Set(c.lost);
      for (const d of engine.devices.values()) if (lost.has(own.shardOf(d.id))) engine.rearm(d);
      if (c.gained.length === 0) return;
      const gained = new Set(c.gained);
      reload((id) => gained.has(own.shardOf(id)), engine.now());
    }),
    // The publisher's own handlers run too: only the owner acts. Every node hears every forward:
    // a non-owner keeps the last-seen, so a node that gains the shard after the owner died judges
    // from it, even though the dead owner was the only one meant to hear it.
    events.subscribe('health.sign_of_life', (e) => {
      if (own.owns(e.deviceId)) engine.signOfLife(e.deviceId, e.at, e.via);
      else engine.heardElsewhere(e.deviceId, e.at, e.via);
    }),
    events.subscribe('health.device_event', (e) => {
      if (own.owns(e.deviceId)) engine.deviceEvent(e.deviceId, e.code, e.at);
    }),
    // A model's heartbeat settings changed on some node: apply them now, not at the next refresh.
    // A device's model or tags changed on some node (`device.changed` is only emitted there):
    // re-read it from the directory that event already refreshed.
    events.subscribe('invalidate', (e) => {
      if (e.kind === 'model')
        engine
          .reloadPolicies(e.id)
          .catch((err: unknown) => log.warn({ err }, 'health: reloading a model failed'));
      else if (e.kind === 'device')
        engine
          .refreshDevice(e.id)
          .catch((err: unknown) => log.warn({ err, deviceId: e.id }, 'health: refreshing a device failed'));
    }),
    // Hand-offs may have been missed: the store's last sign of life is the best known.
    events.onResync(() => reload(() => true)),
    // Reads on every node are current: a change applied here updates the others' in-memory view
    // (GET …/service-state, /fleet/health, /fleet/out-of-service) within one NATS message, instead
    // of when a shard moves; a person's change on a non-owner reaches the owner the same way.
    ...(bus
      ? [
          bus.on('service-state.changed', (e) =>
            events.publish('health.state', {
              member,
              deviceId: e.deviceId,
              state: e.to,
              reasons: e.reasons,
              since: e.at,
            }),
          ),
        ]
      : []),
    events.subscribe('health.state', (e) => {
      if (e.member === member) return;
      const d = engine.devices.get(e.deviceId);
      if (!d || e.since < d.since) return; // older than what this node holds
      adoptRow(d, {
        deviceId: e.deviceId,
        state: e.state,
        reasons: e.reasons,
        since: e.since,
      });
      if (own.owns(d.id)) engine.rearm(d);
    }),
  ];
}

/**
 * Load state, error windows and presence's last sign of life of owned devices matching `which`;
 * arm them. After a shard gain (`gainedAt`), devices not already out for a lost heartbeat get one
 * whole deadline from the gain (engine `graceFrom`).
 */
async function reloadOwned(
  engine: HealthEngine,
  store: HealthStore,
  which: (deviceId: string) => boolean,
  gainedAt?: number,
): Promise<void> {
  await engine.flush(); // this node's own changes first, or the reload would undo them
  const [rows, windows] = await Promise.all([store.loadDevices(), store.loadErrorWindows()]);
  const mine = (id: string): boolean => which(id) && engine.ownership.owns(id);
  for (const row of rows) {
    const d = engine.devices.get(row.deviceId);
    if (d && mine(d.id)) adoptRow(d, row);
  }
  await engine.adoptLastSeen(mine);
  if (gainedAt !== undefined) engine.graceFrom(mine, gainedAt);
  for (const d of engine.devices.values()) if (mine(d.id)) d.errors = undefined;
  for (const w of windows) {
    const d = engine.devices.get(w.deviceId);
    if (d && mine(d.id)) (d.errors ??= new Map()).set(w.code, [...w.occurrences]);
  }
  for (const d of engine.devices.values()) if (mine(d.id)) engine.rearm(d);
}
