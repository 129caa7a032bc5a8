/**
 * device → model → (transport, topic) → decoder id → compiled decoder, cached. The model's choice
 * of decoder per message is decoder-choice.ts. Device and model look-ups expire after
 * `ttlMs` (so a model's decoder change made on another node is picked up); compiled decoders are
 * dropped when a decoder is changed on any node (an `invalidate` cluster event), and re-read after
 * the TTL otherwise.
 */
import type { Clock, DeviceDirectory } from '../core/index.js';
import { compileDecoderChoice, type DecoderChooser, type MessageOrigin } from './decoder-choice.js';
import { compileDecoder } from './decoders/index.js';
import type { TelemetryStore } from './telemetry-store.js';
import type { Decoder } from './types.js';

/** What to decode a device's messages with. `missing` names a decoder the model refers to that does not exist. */
export interface DecoderChoice {
  decoder?: Decoder;
  decoderId?: string;
  missing?: boolean;
  broken?: string;
}

interface Cached<T> {
  value: T;
  expires: number;
}

const MAX_ENTRIES = 100_000;

export class DecoderCache {
  private devices = new Map<string, Cached<string | null>>();
  private models = new Map<string, Cached<DecoderChooser | null>>();
  private decoders = new Map<string, Cached<DecoderChoice>>();

  constructor(
    private readonly store: TelemetryStore,
    private readonly directory: DeviceDirectory,
    private readonly clock: Clock,
    private readonly ttlMs = 30_000,
  ) {}

  async forMessage(deviceId: string, origin: MessageOrigin): Promise<DecoderChoice> {
    const model = await this.cached(
      this.devices,
      deviceId,
      async () => (await this.directory.getDevice(deviceId))?.model ?? null,
    );
    if (!model) return {};
    const choose = await this.cached(this.models, model, async () => {
      const m = await this.directory.getModel(model);
      return m ? compileDecoderChoice(m) : null;
    });
    const decoderId = choose?.(origin);
    if (!decoderId) return {};
    return this.byId(decoderId);
  }

  byId(decoderId: string): Promise<DecoderChoice> {
    return this.cached(this.decoders, decoderId, async () => {
      const def = await this.store.getDecoder(decoderId);
      if (!def) return { decoderId, missing: true };
      try {
        return { decoderId, decoder: compileDecoder(def) };
      } catch (err) {
        // Stored definitions were validated on upload; this only happens after an incompatible upgrade.
        return { decoderId, broken: (err as Error).message };
      }
    });
  }

  invalidateDecoder(id: string): void {
    this.decoders.delete(id);
  }

  invalidateDevice(id: string): void {
    this.devices.delete(id);
  }

  invalidateModel(name: string): void {
    this.models.delete(name);
  }

  /** Drop everything (cluster resync: invalidations may have been missed). */
  clear(): void {
    this.devices.clear();
    this.models.clear();
    this.decoders.clear();
  }

  private async cached<T>(map: Map<string, Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    const hit = map.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = await load();
    if (map.size >= MAX_ENTRIES) map.clear(); // bounded; a cold cache only costs look-ups
    map.set(key, { value, expires: now + this.ttlMs });
    return value;
  }
}
