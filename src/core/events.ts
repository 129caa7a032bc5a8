/**
 * Typed in-process event bus: how modules react to each other without reaching into each
 * other's tables (ARCHITECTURE.md). Every event kind and its payload is listed here so that
 * producers and consumers agree at compile time. Timestamps are epoch milliseconds.
 *
 * Delivery is synchronous and in order; a listener that throws is logged and does not stop
 * the others. Listeners that need I/O start it and return (they must not block the emitter).
 * In a cluster, `cluster/` forwards selected events between nodes.
 */
import type { Logger } from './logger.js';
import type { DeviceMessageKind, MessageTransport } from './devices.js';

/** Why an MQTT connection ended (recorded in connectivity history). */
export type DisconnectReason =
  | 'client_disconnect' // the client sent DISCONNECT
  | 'keepalive_timeout' // nothing received within 1.5 × keep-alive [MQTT-3.1.2-24]
  | 'takeover' // a new connection with the same client id took the session [MQTT-3.1.4-2]
  | 'socket_error' // the network connection broke without DISCONNECT
  | 'protocol_error' // malformed or out-of-order packet
  | 'server_shutdown' // the broker is stopping
  | 'not_authorized' // refused at CONNECT, or disabled/revoked while connected
  | 'administrative'; // disconnected by an operator or the platform

export type ServiceState = 'in_service' | 'out_of_service' | 'maintenance' | 'retired';

export type Severity = 'info' | 'warning' | 'error' | 'critical';

export type CommandStatus =
  'queued' | 'sent' | 'acknowledged' | 'succeeded' | 'failed' | 'timed_out' | 'expired' | 'rejected';

/** Who caused a change: a device over MQTT, an API token, a rule, or the platform itself. */
export interface Actor {
  kind: 'device' | 'token' | 'user' | 'rule' | 'system';
  id: string;
  /** A person-readable name where there is one (the API token's name), shown in histories. */
  name?: string | null;
}

export interface TsunaguEvents {
  /** An MQTT client finished CONNECT successfully. `deviceId` is the client id. */
  'device.connected': {
    deviceId: string;
    at: number;
    remoteAddress: string;
    protocolVersion: 3 | 4 | 5;
    keepalive: number;
    cleanStart: boolean;
  };
  /** An MQTT connection ended (or a CONNECT was refused: then `refused` is true). */
  'device.disconnected': {
    deviceId: string;
    at: number;
    reason: DisconnectReason;
    remoteAddress: string;
    refused?: boolean;
    detail?: string;
  };
  /** Registry change to a device (created, updated, enabled/disabled, deleted). */
  'device.changed': {
    deviceId: string;
    change: 'created' | 'updated' | 'deleted';
    model?: string;
    at: number;
  };
  /** N connects within a window (registry's flapping detector). */
  'device.flapping': { deviceId: string; at: number; connects: number; windowMs: number };
  /** Any device message the platform consumed (telemetry, events, heartbeats). */
  'device.message': {
    deviceId: string;
    at: number;
    topic: string;
    /** Which catalogue topic (or transport) it came in on; `heartbeat` is what health counts as one. */
    kind: DeviceMessageKind;
    /** false when the decoder failed (a decode_error event was recorded). */
    decoded: boolean;
    /** true when the decoded message carried a hardware error event. */
    hardwareError?: boolean;
  };
  /**
   * A telemetry message's decoder output (any transport: MQTT, telegram, HTTP). Emitted only while
   * someone listens (the rules engine's `$tsunagu/events/telemetry/<device>` source).
   */
  'telemetry.decoded': {
    deviceId: string;
    at: number;
    topic: string;
    transport: MessageTransport;
    /** Message time from the payload, else the arrival time. */
    ts: number;
    metrics: Record<string, number>;
    attributes: Record<string, string>;
  };
  /** A readable device event (decoded hardware status, decode_error, device-sent event). */
  'device.event': {
    deviceId: string;
    at: number;
    code: string;
    severity: Severity;
    message: string;
    fields?: Record<string, unknown>;
  };
  /** An accepted shadow update (after it is durable). */
  'shadow.updated': {
    deviceId: string;
    shadowName: string; // '' for the classic shadow
    version: number;
    desired: Record<string, unknown> | null;
    reported: Record<string, unknown> | null;
    actor: Actor;
    at: number;
  };
  /** A command reached a final state. */
  'command.finished': {
    commandId: string;
    deviceId: string;
    model?: string;
    name: string;
    status: CommandStatus;
    requestedAt: number;
    finishedAt: number;
    /** request → device reply, when there was one */
    replyLatencyMs?: number;
    /** request → confirmation by reported state, when confirm was asked */
    confirmLatencyMs?: number;
  };
  /** Heartbeat expectation bookkeeping, for the heartbeat-delivery SLI. */
  'heartbeat.checked': { deviceId: string; model?: string; at: number; received: boolean };
  /** A device's service state changed. */
  'service-state.changed': {
    deviceId: string;
    model?: string;
    from: ServiceState;
    to: ServiceState;
    reasons: string[];
    at: number;
    actor: Actor;
    note?: string;
  };
  /**
   * Health noticed something worth telling a person that is not (only) a service-state change:
   * a hardware-error threshold crossed (also for `alert_only` codes), or flapping beyond a threshold.
   */
  'health.alert': {
    deviceId: string;
    model?: string;
    kind: 'hardware_error' | 'flapping';
    /** Error code for hardware errors; `flapping` for flapping. */
    code: string;
    severity: Severity;
    /** Occurrences (errors or connects) inside the window. */
    count: number;
    windowMs: number;
    /** What health did: took the device out, or only alerted. */
    action: 'out_of_service' | 'alert_only';
    at: number;
  };
  /** An SLO alert tier started or stopped firing. */
  'slo.alert': {
    sloId: string;
    sloName: string;
    tier: string;
    severity: 'page' | 'ticket';
    state: 'firing' | 'resolved';
    burnRate: number;
    at: number;
  };
  /** An SLO's error budget reached zero (error-budget policy hook). */
  'slo.budget-exhausted': { sloId: string; sloName: string; at: number };
  /**
   * A schedule execution (one slot written to one device) reached a final state: verified, failed
   * after its last attempt, superseded by the next slot, or overridden by a manual change. The
   * "schedule applied" SLI counts verified against verified + failed + superseded.
   */
  'schedule.execution': {
    scheduleId: string;
    scheduleName: string;
    executionId: string;
    deviceId: string;
    model?: string;
    status: 'verified' | 'failed' | 'superseded' | 'overridden';
    /** The slot's firing instant. */
    slotAt: number;
    attempts: number;
    /** Verified: from the execution becoming due (its creation) to verification. */
    latencyMs?: number;
    reason?: string;
    at: number;
  };
  /** A job's rollout stopped itself: an abort criterion or a health gate paused or canceled it (jobs). */
  'job.rollout-stopped': {
    jobId: string;
    action: 'paused' | 'canceled';
    reason: string;
    at: number;
    detail?: Record<string, unknown>;
  };
  /**
   * A job ended: COMPLETED (every target finished; `failed` counts FAILED, REJECTED and TIMED_OUT
   * executions) or CANCELED (an operator, an abort criterion, a health gate or the schedule's end).
   */
  'job.finished': {
    jobId: string;
    status: 'COMPLETED' | 'CANCELED';
    succeeded: number;
    failed: number;
    reason?: string;
    at: number;
  };
  /** Audit trail for every change made through the API. */
  audit: {
    at: number;
    actor: Actor;
    action: string;
    resource: string;
    before?: unknown;
    after?: unknown;
  };
}

export type EventName = keyof TsunaguEvents;
type Listener<K extends EventName> = (payload: TsunaguEvents[K]) => void;

export class EventBus {
  private listeners = new Map<EventName, Set<Listener<never>>>();

  constructor(private readonly log?: Logger) {}

  on<K extends EventName>(name: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  emit<K extends EventName>(name: K, payload: TsunaguEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of set) {
      try {
        (fn as Listener<K>)(payload);
      } catch (err) {
        this.log?.error({ err, event: name }, 'event listener failed');
      }
    }
  }

  listenerCount(name: EventName): number {
    return this.listeners.get(name)?.size ?? 0;
  }
}
