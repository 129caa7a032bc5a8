/**
 * What other modules (the rules engine) may ask of telemetry, through index.ts:
 *  - `decode`: a device message through its model's decoder, without storing it (rules' `decoded()`);
 *  - `writeValues`: a JSON object written as points and attributes of a device (rules' `telemetry`
 *    action), with the default JSON decoder's flattening (`a.b` → metric `a.b`);
 *  - `logEvents`: entries in a device's event log (a rule acting on a device).
 * None of them counts as a device message: presence's last-seen and health are not touched.
 */
import type { Clock, MessageTransport, Severity } from '../core/index.js';
import type { DecoderCache } from './decoder-cache.js';
import { decodeDefaultEvent, decodeDefaultTelemetry } from './decoders/index.js';
import type { IngestQueue } from './ingest-queue.js';
import type { DecodedValues } from './types.js';

/** A decoder's output as rules see it: metrics and attributes keyed by name. */
export interface DecodedView {
  ts?: number;
  metrics: Record<string, number>;
  attributes: Record<string, string>;
  events: DecodedValues['events'];
}

export interface EventEntry {
  deviceId: string;
  ts: number;
  code: string;
  severity: Severity;
  message: string;
  fields?: Record<string, unknown>;
}

export class PlatformWrites {
  constructor(
    private readonly cache: DecoderCache,
    private readonly queue: IngestQueue,
    private readonly clock: Clock,
  ) {}

  /** The decoder's output, or `{error}` when it cannot decode the payload. */
  async decode(
    deviceId: string,
    origin: { transport: MessageTransport; topic: string },
    payload: Buffer,
  ): Promise<DecodedView | { error: string }> {
    const choice = await this.cache.forMessage(deviceId, origin);
    if (choice.missing) return { error: `the device model's decoder "${choice.decoderId}" does not exist` };
    if (choice.broken) return { error: `decoder "${choice.decoderId}" cannot be used: ${choice.broken}` };
    const outcome = choice.decoder
      ? choice.decoder.decode(payload)
      : origin.topic.endsWith('/events')
        ? decodeDefaultEvent(payload)
        : decodeDefaultTelemetry(payload);
    if (!outcome.ok) return { error: outcome.reason };
    const v = outcome.values;
    return {
      ...(v.ts !== undefined ? { ts: v.ts } : {}),
      metrics: Object.fromEntries(v.metrics.map((m) => [m.name, m.value])),
      attributes: Object.fromEntries(v.attributes.map((a) => [a.name, a.text])),
      events: v.events,
    };
  }

  /** Write a JSON object's numbers (and booleans as 1/0) as points, strings as attributes; durable on resolve. */
  async writeValues(deviceId: string, json: Buffer): Promise<{ points: number }> {
    const outcome = decodeDefaultTelemetry(json);
    if (!outcome.ok) throw new Error(`telemetry: ${outcome.reason}`);
    const v = outcome.values;
    const now = this.clock.now();
    const ts = v.ts !== undefined && v.ts <= now + 24 * 3600_000 ? v.ts : now;
    const points = v.metrics.map((m) => ({ deviceId, metric: m.name, ts, value: m.value }));
    if (points.length === 0 && v.attributes.length === 0)
      throw new Error('telemetry: the SELECT output holds no numbers or strings to write');
    await this.queue.enqueue({
      points,
      attributes: v.attributes.map((a) => ({ deviceId, name: a.name, ts, text: a.text })),
      events: [],
    });
    return { points: points.length };
  }

  logEvents(events: EventEntry[]): Promise<void> {
    return this.queue.enqueue({ points: [], attributes: [], events });
  }
}
