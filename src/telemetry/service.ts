/**
 * One consumed device message, whatever the transport: resolve the device's decoder, decode, turn
 * the values into points, attributes and events (or one `decode_error` event holding the whole
 * payload), announce it on the bus, and hand it to the ingest queue. Steps, in order:
 *   resolveDecoder → decode → toBatch → count → announce → enqueue
 */
import { type Clock, type EventBus, type MessageTransport, withChildSpan } from '../core/index.js';
import type { DecoderCache } from './decoder-cache.js';
import { decodeDefaultEvent, decodeDefaultTelemetry } from './decoders/index.js';
import type { IngestQueue } from './ingest-queue.js';
import type { TelemetryMetrics } from './metrics.js';
import type { WriteBatch } from './telemetry-store.js';
import { isHardwareSeverity, type DecodedValues, type DecodeOutcome, type DeviceEvent } from './types.js';

export type MessageKind = 'telemetry' | 'event' | 'heartbeat';
/** Why a message became a decode_error event (the metric's `reason` label; bounded). */
export type DecodeFailure = 'missing_decoder' | 'broken_decoder' | 'undecodable' | 'rejected';

export interface IncomingMessage {
  deviceId: string;
  kind: MessageKind;
  /** Picks the model's decoder together with `topic` (decoder-choice.ts). */
  transport: MessageTransport;
  /** MQTT topic, or `telegram/<peer>` / `http` for the other transports. */
  topic: string;
  payload: Buffer;
}

export interface IngestResult {
  deviceId: string;
  decoded: boolean;
  points: number;
  events: number;
  /** Resolves when the message is durable in the store. */
  persisted: Promise<void>;
}

/** A device clock this far ahead of ours is not believed; the arrival time is used instead. */
const MAX_FUTURE_MS = 24 * 3600_000;

export class TelemetryIngest {
  private readonly lastArrival = new Map<string, number>();

  constructor(
    private readonly cache: DecoderCache,
    private readonly queue: IngestQueue,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly metrics: TelemetryMetrics,
  ) {}

  async accept(msg: IncomingMessage): Promise<IngestResult> {
    const now = this.clock.now();
    if (msg.kind === 'heartbeat') {
      this.metrics.messages.inc({ kind: 'heartbeat', decoded: 'true' });
      this.bus.emit('device.message', {
        deviceId: msg.deviceId,
        at: now,
        topic: msg.topic,
        kind: 'heartbeat',
        decoded: true,
      });
      // Nothing of a heartbeat is telemetry's to store: presence records it (last-seen, latest
      // heartbeat) from the bus event, in the registry's next status batch.
      return { deviceId: msg.deviceId, decoded: true, points: 0, events: 0, persisted: Promise.resolve() };
    }
    const { outcome, decoderId, failure } = await withChildSpan(
      'telemetry decode',
      { 'tsunagu.telemetry.kind': msg.kind },
      () => this.decode(msg),
    );
    const batch = outcome.ok
      ? this.toBatch(msg, now, outcome.values)
      : this.decodeError(msg, now, outcome.reason, decoderId);
    const decoded = outcome.ok;
    const hardwareError = batch.events.some((e) => isHardwareSeverity(e.severity));
    this.metrics.messages.inc({ kind: msg.kind, decoded: String(decoded) });
    if (!decoded)
      this.metrics.decodeErrors.inc({ decoder: decoderId ?? 'default', reason: failure ?? 'undecodable' });
    this.bus.emit('device.message', {
      deviceId: msg.deviceId,
      at: now,
      topic: msg.topic,
      kind: msg.kind,
      decoded,
      ...(hardwareError ? { hardwareError } : {}),
    });
    if (outcome.ok && msg.kind === 'telemetry' && this.bus.listenerCount('telemetry.decoded') > 0)
      this.bus.emit('telemetry.decoded', {
        deviceId: msg.deviceId,
        at: now,
        topic: msg.topic,
        transport: msg.transport,
        ts: batch.points[0]?.ts ?? batch.attributes[0]?.ts ?? now,
        metrics: Object.fromEntries(outcome.values.metrics.map((m) => [m.name, m.value])),
        attributes: Object.fromEntries(outcome.values.attributes.map((a) => [a.name, a.text])),
      });
    for (const e of batch.events)
      this.bus.emit('device.event', {
        deviceId: e.deviceId,
        at: e.ts,
        code: e.code,
        severity: e.severity,
        message: e.message,
        ...(e.fields ? { fields: e.fields } : {}),
      });
    return {
      deviceId: msg.deviceId,
      decoded,
      points: batch.points.length,
      events: batch.events.length,
      persisted: this.queue.enqueue(batch),
    };
  }

  /** A message that never reached a decoder (oversized telegram line, unidentifiable sender): keep it as decode_error. */
  reject(msg: IncomingMessage, reason: string): IngestResult {
    const now = this.clock.now();
    const batch = this.decodeError(msg, now, reason, undefined);
    this.metrics.messages.inc({ kind: msg.kind, decoded: 'false' });
    this.metrics.decodeErrors.inc({ decoder: 'none', reason: 'rejected' });
    this.bus.emit('device.message', {
      deviceId: msg.deviceId,
      at: now,
      topic: msg.topic,
      kind: msg.kind,
      decoded: false,
    });
    const e = batch.events[0]!;
    this.bus.emit('device.event', {
      deviceId: e.deviceId,
      at: e.ts,
      code: e.code,
      severity: e.severity,
      message: e.message,
      fields: e.fields!,
    });
    return {
      deviceId: msg.deviceId,
      decoded: false,
      points: 0,
      events: 1,
      persisted: this.queue.enqueue(batch),
    };
  }

  private async decode(
    msg: IncomingMessage,
  ): Promise<{ outcome: DecodeOutcome; decoderId?: string; failure?: DecodeFailure }> {
    const choice = await this.cache.forMessage(msg.deviceId, msg);
    const id = choice.decoderId;
    if (choice.missing)
      return {
        outcome: { ok: false, reason: `the device model's decoder "${id}" does not exist` },
        decoderId: id!,
        failure: 'missing_decoder',
      };
    if (choice.broken)
      return {
        outcome: { ok: false, reason: `decoder "${id}" cannot be used: ${choice.broken}` },
        decoderId: id!,
        failure: 'broken_decoder',
      };
    if (choice.decoder) return { outcome: choice.decoder.decode(msg.payload), decoderId: id! };
    return {
      outcome: msg.kind === 'event' ? decodeDefaultEvent(msg.payload) : decodeDefaultTelemetry(msg.payload),
    };
  }

  /**
   * Arrival time for messages without their own time, strictly increasing per device: points are
   * unique per (device, metric, ms), so a burst of telegrams read in the same millisecond must not
   * collapse into one.
   */
  private arrivalTime(deviceId: string, now: number): number {
    const prev = this.lastArrival.get(deviceId);
    const ts = prev !== undefined && prev >= now ? prev + 1 : now;
    if (this.lastArrival.size >= 100_000) this.lastArrival.clear();
    this.lastArrival.set(deviceId, ts);
    return ts;
  }

  private toBatch(msg: IncomingMessage, now: number, v: DecodedValues): WriteBatch {
    const ts = v.ts !== undefined && v.ts <= now + MAX_FUTURE_MS ? v.ts : this.arrivalTime(msg.deviceId, now);
    const deviceId = msg.deviceId;
    return {
      points: v.metrics
        .filter((m) => Number.isFinite(m.value))
        .map((m) => ({ deviceId, metric: m.name, ts, value: m.value })),
      attributes: v.attributes.map((a) => ({ deviceId, name: a.name, ts, text: a.text })),
      events: v.events.map((e): DeviceEvent => ({ deviceId, ts, ...e })),
    };
  }

  /** Nothing is lost: the whole payload is kept (base64) with the reason. */
  private decodeError(
    msg: IncomingMessage,
    now: number,
    reason: string,
    decoderId: string | undefined,
  ): WriteBatch {
    return {
      points: [],
      attributes: [],
      events: [
        {
          deviceId: msg.deviceId,
          ts: now,
          code: 'decode_error',
          severity: 'warning',
          message: `cannot decode ${msg.kind} (${msg.topic}): ${reason}`,
          fields: {
            topic: msg.topic,
            decoder: decoderId ?? 'default',
            reason,
            payload: msg.payload.toString('base64'),
            bytes: msg.payload.length,
          },
        },
      ],
    };
  }
}
