/**
 * Decoder management behind `/api/v1/decoders`: validate (compile) before storing, invalidate the
 * compiled cache on change, and try a definition on a sample payload without a device.
 */
import type { Clock } from '../core/index.js';
import type { DecoderCache } from './decoder-cache.js';
import { compileDecoder } from './decoders/index.js';
import { TelemetryErrors } from './errors.js';
import type { TelemetryStore } from './telemetry-store.js';
import type { DecodedValues, DecoderDefinition } from './types.js';

export interface DecoderTestResult {
  ok: boolean;
  /** Payload time, epoch ms, when the decoder found one. */
  ts?: number;
  deviceId?: string;
  points: DecodedValues['metrics'];
  events: DecodedValues['events'];
  attributes: DecodedValues['attributes'];
  errors: string[];
}

export class DecoderService {
  constructor(
    private readonly store: TelemetryStore,
    private readonly cache: DecoderCache,
    private readonly clock: Clock,
    /** Drops the compiled decoder on every node (default: this node's cache only). */
    private readonly invalidate: (id: string) => void = (id) => cache.invalidateDecoder(id),
  ) {}

  list(): Promise<DecoderDefinition[]> {
    return this.store.listDecoders();
  }

  async get(id: string): Promise<DecoderDefinition> {
    const d = await this.store.getDecoder(id);
    if (!d) throw TelemetryErrors.decoderNotFound(id);
    return d;
  }

  /** Validate and store; `mode: 'create'` refuses an existing id. Returns the clean definition and whether it was created. */
  async put(
    input: unknown,
    mode: 'create' | 'upsert',
  ): Promise<{ definition: DecoderDefinition; created: boolean; before?: DecoderDefinition }> {
    const definition = compileDecoder(input).definition;
    const before = await this.store.getDecoder(definition.id);
    if (mode === 'create' && before) throw TelemetryErrors.decoderExists(definition.id);
    const created = await this.store.putDecoder(definition, this.clock.now());
    this.invalidate(definition.id);
    return before ? { definition, created, before } : { definition, created };
  }

  async delete(id: string): Promise<DecoderDefinition> {
    const before = await this.get(id);
    await this.store.deleteDecoder(id);
    this.invalidate(id);
    return before;
  }

  /** Decode a sample with a stored decoder (`id`) or an inline definition. */
  async test(idOrDefinition: string | unknown, payload: Buffer): Promise<DecoderTestResult> {
    const def = typeof idOrDefinition === 'string' ? await this.get(idOrDefinition) : idOrDefinition;
    const r = compileDecoder(def).decode(payload);
    if (!r.ok) return { ok: false, points: [], events: [], attributes: [], errors: [r.reason] };
    const v = r.values;
    return {
      ok: true,
      ...(v.ts !== undefined ? { ts: v.ts } : {}),
      ...(v.deviceId !== undefined ? { deviceId: v.deviceId } : {}),
      points: v.metrics,
      events: v.events,
      attributes: v.attributes,
      errors: [],
    };
  }
}
