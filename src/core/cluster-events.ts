/**
 * The cluster-events seam (ARCHITECTURE.md, "Scale-out"): facts every node must hear once —
 * cache invalidations, console stream events, hand-offs between a node and a shard's owner.
 *
 * Why a catalogue of its own and not part of `TsunaguEvents` (events.ts): bus events are facts
 * that happened on one node and are counted there (SLIs, audit, notify); forwarding them to every
 * node would count them once per node. A cluster event is published on purpose, by a module that
 * knows every node must react, and carries only what the receivers need (ids, not documents).
 *
 * Delivery: `publish` calls this node's handlers synchronously, before it returns, then the
 * cluster implementation sends it to every other node, whose handlers run once each. Order is kept
 * per publishing node. Across nodes delivery is best effort (NATS core): when a node may have
 * missed events (reconnect, a gap in a peer's sequence numbers), `onResync` listeners run, and
 * must treat every cached fact as stale (drop caches, reload state from the store).
 */
import type { Actor, ServiceState } from './events.js';
import type { Logger } from './logger.js';

export type InvalidationKind =
  | 'token'
  | 'credential'
  | 'acl'
  | 'device'
  | 'model'
  | 'decoder'
  | 'policy'
  | 'slo'
  | 'notify-channel'
  | 'notify-route'
  | 'schedule'
  | 'rule';

export interface ClusterEventMap {
  /** A cached fact changed; every node drops its copy of (`kind`, `id`). */
  invalidate: { kind: InvalidationKind; id: string };
  /**
   * Commands: a command's deadline was set on a node that does not own the device's shard; the
   * owner loads it from the store and arms the timer.
   */
  'command.scheduled': { commandId: string; deviceId: string };
  /** Commands: a command reached a final state (in the store); nodes holding a copy drop it. */
  'command.settled': { commandId: string; deviceId: string };
  /**
   * Health: a sign of life (or a hardware-error event) arrived at a node that does not own the
   * device's shard; the owner judges it (resets the deadline, counts toward thresholds).
   */
  'health.sign_of_life': {
    deviceId: string;
    at: number;
    via: 'heartbeat' | 'message' | 'connected' | 'disconnected';
  };
  'health.device_event': { deviceId: string; code: string; at: number };
  /**
   * Health: a service-state change applied on `member` (the owner's judgement, or a person's change
   * through any node's API); the other nodes update their in-memory view (reads, fleet counts) and
   * the owner re-arms the device's deadline.
   */
  'health.state': { member: string; deviceId: string; state: ServiceState; reasons: string[]; since: number };
  /**
   * Presence (registry/presence.ts, cluster/pg-presence.ts): devices that connected to (`up`:
   * [deviceId, since]) or left (`down`) the member, written to the shared table before this is sent;
   * `gone`: the member left (or, with `lost`, stopped renewing its membership and its rows were
   * swept) — forget all its devices.
   */
  presence: {
    member: string;
    nodeId: string;
    up?: [string, number][];
    down?: string[];
    gone?: boolean;
    lost?: boolean;
  };
  /**
   * Schedules: a shadow of a scheduled device changed on a node that does not own the device's
   * shard (the device is connected there, or a person wrote through that node's API); the owner
   * verifies its open execution or records an override (schedules/executor.ts).
   */
  'schedule.shadow': {
    deviceId: string;
    shadowName: string;
    desired: Record<string, unknown> | null;
    reported: Record<string, unknown> | null;
    actor: Actor;
    at: number;
  };
  /** Console live stream: forwarded to the console clients connected to any node. */
  'console.stream': { stream: string; event: unknown };
}

export type ClusterEventName = keyof ClusterEventMap;
export type ClusterHandler<K extends ClusterEventName> = (payload: ClusterEventMap[K]) => void;

export interface ClusterEvents {
  publish<K extends ClusterEventName>(name: K, payload: ClusterEventMap[K]): void;
  subscribe<K extends ClusterEventName>(name: K, handler: ClusterHandler<K>): () => void;
  /** This node may have missed events: caches must be dropped and state reloaded. */
  onResync(listener: () => void): () => void;
}

/**
 * Local dispatch, shared by the single-node implementation and by the cluster one (which feeds it
 * what arrives from other nodes). Synchronous and in order; a throwing handler is logged and does
 * not stop the others (the same contract as the EventBus).
 */
export class LocalClusterEvents implements ClusterEvents {
  private readonly handlers = new Map<ClusterEventName, Set<ClusterHandler<never>>>();
  private readonly resyncs = new Set<() => void>();

  constructor(private readonly log?: Logger) {}

  publish<K extends ClusterEventName>(name: K, payload: ClusterEventMap[K]): void {
    this.deliver(name, payload);
  }

  /** Run this node's handlers (what a cluster implementation calls for events from peers). */
  deliver<K extends ClusterEventName>(name: K, payload: ClusterEventMap[K]): void {
    for (const fn of this.handlers.get(name) ?? []) {
      try {
        (fn as ClusterHandler<K>)(payload);
      } catch (err) {
        this.log?.error({ err, event: name }, 'cluster event handler failed');
      }
    }
  }

  subscribe<K extends ClusterEventName>(name: K, handler: ClusterHandler<K>): () => void {
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  onResync(listener: () => void): () => void {
    this.resyncs.add(listener);
    return () => this.resyncs.delete(listener);
  }

  resync(): void {
    for (const fn of this.resyncs) {
      try {
        fn();
      } catch (err) {
        this.log?.error({ err }, 'cluster resync listener failed');
      }
    }
  }
}

/** One node: the local dispatcher is the whole cluster. */
export function singleNodeEvents(log?: Logger): ClusterEvents {
  return new LocalClusterEvents(log);
}
