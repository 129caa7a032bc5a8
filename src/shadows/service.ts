/**
 * The shadow service: one entry point for MQTT and HTTP requests. Updates to one shadow run one
 * at a time (a promise chain per shadow on this node; the store's row lock across nodes) and each
 * is committed before anything is published, so `/update/accepted` means durable, and
 * accepted/delta/documents leave in version order.
 */
import {
  activeContext,
  type Actor,
  type Clock,
  type Context,
  type EventBus,
  type Logger,
  withSpan,
} from '../core/index.js';
import { describeDrops, type BrokerApi } from '../mqtt/index.js';
import { diffStates, type DiffEntry } from './diff.js';
import {
  applyUpdate,
  getResponse,
  parseTokenOnly,
  parseUpdate,
  type DocumentOptions,
  type ShadowDocument,
} from './document.js';
import { ShadowErrors } from './errors.js';
import type { Json, JsonObject } from './json.js';
import type { BatchResult, HistoryEntry, HistoryQuery, ShadowKey, ShadowStore } from './shadows-store.js';

/** One update of a batch (`ShadowService.updateMany`). */
export interface ShadowUpdate {
  deviceId: string;
  name: string;
  body: unknown;
  actor: Actor;
}
import { shadowPrefix } from './topics.js';

export interface ShadowServiceDeps {
  store: ShadowStore;
  broker: BrokerApi;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  /** Per-device document options (model overrides). */
  options(deviceId: string): Promise<DocumentOptions>;
}

export class ShadowService {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ShadowServiceDeps) {}

  /** Run `fn` after every earlier call for the same shadow has settled. */
  private serialize<T>(deviceId: string, name: string, fn: () => Promise<T>): Promise<T> {
    const key = `${deviceId}\u0000${name}`;
    const prev = this.chains.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  /**
   * Run `fn` once every earlier call for each of `keys` has settled; later calls for those shadows
   * wait for it. The keys are taken together, synchronously, so batches and single updates never
   * wait on each other in a cycle.
   */
  private serializeMany<T>(keys: readonly ShadowKey[], fn: () => Promise<T>): Promise<T> {
    const ks = keys.map((k) => `${k.deviceId}\u0000${k.name}`);
    const prev = Promise.allSettled(ks.map((k) => this.chains.get(k) ?? Promise.resolve()));
    const run = prev.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    for (const k of ks) this.chains.set(k, tail);
    void tail.then(() => {
      for (const k of ks) if (this.chains.get(k) === tail) this.chains.delete(k);
    });
    return run;
  }

  private async publish(topic: string, body: JsonObject): Promise<void> {
    try {
      const r = await this.deps.broker.publish({ topic, payload: JSON.stringify(body), qos: 1 });
      if (r.dropCount > 0)
        this.deps.log.warn({ topic, drops: r.drops }, `shadow response ${describeDrops(r)}`);
    } catch (err) {
      // The change is already durable; a failed notification is logged, not turned into a rejection.
      this.deps.log.warn({ err, topic }, 'shadow response publish failed');
    }
  }

  /**
   * Validate and apply an update request; returns the /update/accepted body. `parent`: the trace
   * the update joins (an HTTP request's, a device message's), taken before the caller's awaits.
   */
  update(
    deviceId: string,
    name: string,
    body: unknown,
    actor: Actor,
    parent: Context = activeContext(),
  ): Promise<JsonObject> {
    const attributes = {
      'tsunagu.shadow.name': name === '' ? '(classic)' : name,
      'tsunagu.actor': actor.kind,
    };
    return withSpan('shadow update', { attributes, parent }, () =>
      this.updateNow(deviceId, name, body, actor),
    );
  }

  private async updateNow(deviceId: string, name: string, body: unknown, actor: Actor): Promise<JsonObject> {
    const req = parseUpdate(body);
    const opts = await this.deps.options(deviceId);
    return this.serialize(deviceId, name, async () => {
      const { store, clock } = this.deps;
      const out = await store.mutate(deviceId, name, (current) => {
        const now = clock.now();
        const o = applyUpdate(current, deviceId, name, req, now, opts);
        const entry: HistoryEntry = {
          deviceId,
          name,
          version: o.next.version,
          op: 'update',
          at: now,
          actor,
          request: req.state,
          state: o.next.state,
        };
        return { doc: o.next, entry, result: o };
      });
      const prefix = shadowPrefix(deviceId, name);
      // Started in this order (the broker routes in call order), awaited together.
      await Promise.all([
        this.publish(`${prefix}/update/accepted`, out.accepted),
        ...(out.delta ? [this.publish(`${prefix}/update/delta`, out.delta)] : []),
        this.publish(`${prefix}/update/documents`, out.documents),
      ]);
      this.emitUpdated(out.next, actor);
      return out.accepted;
    });
  }

  /**
   * Many updates in one store transaction (`ShadowStore.mutateMany`; a shadow repeated in `items`
   * goes to a following transaction), then each shadow's accepted/delta/documents and
   * `shadow.updated` as `update` does. Durable before published, per-shadow order kept. Results in
   * `items` order: the accepted body, or the error that item alone was refused with (a bad body, an
   * oversized document); the others are written.
   */
  async updateMany(items: readonly ShadowUpdate[]): Promise<BatchResult<JsonObject>[]> {
    const out: BatchResult<JsonObject>[] = new Array<BatchResult<JsonObject>>(items.length);
    let rest = items.map((_, i) => i);
    while (rest.length > 0) {
      const seen = new Set<string>();
      const now: number[] = [];
      const later: number[] = [];
      for (const i of rest) {
        const k = `${items[i]!.deviceId}\u0000${items[i]!.name}`;
        (seen.has(k) ? later : now).push(i);
        seen.add(k);
      }
      const results = await withSpan(
        'shadow update batch',
        { attributes: { 'tsunagu.batch.size': now.length } },
        () => this.updateBatch(now.map((i) => items[i]!)),
      );
      now.forEach((i, j) => (out[i] = results[j]!));
      rest = later;
    }
    return out;
  }

  private async updateBatch(items: readonly ShadowUpdate[]): Promise<BatchResult<JsonObject>[]> {
    const parsed = items.map((u): BatchResult<ReturnType<typeof parseUpdate>> => {
      try {
        return { ok: true, value: parseUpdate(u.body) };
      } catch (error) {
        return { ok: false, error };
      }
    });
    const opts = new Map<string, Promise<DocumentOptions>>();
    for (const u of items) if (!opts.has(u.deviceId)) opts.set(u.deviceId, this.deps.options(u.deviceId));
    const options = new Map<string, DocumentOptions>();
    for (const [id, p] of opts) options.set(id, await p);
    const idx = items.flatMap((_, i) => (parsed[i]!.ok ? [i] : []));
    const keys = idx.map((i) => ({ deviceId: items[i]!.deviceId, name: items[i]!.name }));
    return this.serializeMany(keys, async () => {
      const { store, clock } = this.deps;
      const written = await store.mutateMany(keys, (current, j) => {
        const u = items[idx[j]!]!;
        const req = (parsed[idx[j]!] as { ok: true; value: ReturnType<typeof parseUpdate> }).value;
        const now = clock.now();
        const o = applyUpdate(current, u.deviceId, u.name, req, now, options.get(u.deviceId)!);
        const entry: HistoryEntry = {
          deviceId: u.deviceId,
          name: u.name,
          version: o.next.version,
          op: 'update',
          at: now,
          actor: u.actor,
          request: req.state,
          state: o.next.state,
        };
        return { doc: o.next, entry, result: o };
      });
      const results = parsed.map((p): BatchResult<JsonObject> =>
        p.ok ? { ok: false, error: undefined } : p,
      );
      await Promise.all(
        written.map(async (w, j) => {
          const i = idx[j]!;
          if (!w.ok) return void (results[i] = w);
          const o = w.value;
          const prefix = shadowPrefix(items[i]!.deviceId, items[i]!.name);
          await Promise.all([
            this.publish(`${prefix}/update/accepted`, o.accepted),
            ...(o.delta ? [this.publish(`${prefix}/update/delta`, o.delta)] : []),
            this.publish(`${prefix}/update/documents`, o.documents),
          ]);
          this.emitUpdated(o.next, items[i]!.actor);
          results[i] = { ok: true, value: o.accepted };
        }),
      );
      return results;
    });
  }

  private emitUpdated(doc: ShadowDocument, actor: Actor): void {
    this.deps.bus.emit('shadow.updated', {
      deviceId: doc.deviceId,
      shadowName: doc.name,
      version: doc.version,
      desired: doc.state.desired ?? null,
      reported: doc.state.reported ?? null,
      actor,
      at: doc.updatedAt,
    });
  }

  /** The /get/accepted body, or 404 "No shadow exists with name". */
  async get(deviceId: string, name: string, body: unknown = {}): Promise<JsonObject> {
    const { clientToken } = parseTokenOnly(body);
    const doc = await this.deps.store.get(deviceId, name);
    if (!doc || doc.deleted) throw ShadowErrors.noShadow(name || deviceId);
    return getResponse(doc, this.deps.clock.now(), clientToken);
  }

  /** Delete a shadow (its version is kept so a new one continues from it); returns /delete/accepted. */
  async delete(deviceId: string, name: string, body: unknown, actor: Actor): Promise<JsonObject> {
    const { clientToken } = parseTokenOnly(body);
    return this.serialize(deviceId, name, async () => {
      const { store, clock } = this.deps;
      const tomb = await store.mutate(deviceId, name, (current) => {
        if (!current || current.deleted) throw ShadowErrors.noShadow(name || deviceId);
        const now = clock.now();
        const doc: ShadowDocument = { ...current, state: {}, metadata: {}, updatedAt: now, deleted: true };
        const entry: HistoryEntry = {
          deviceId,
          name,
          version: current.version,
          op: 'delete',
          at: now,
          actor,
          request: null,
          state: {},
        };
        return { doc, entry, result: doc };
      });
      const accepted: JsonObject = {
        version: tomb.version,
        timestamp: Math.floor(tomb.updatedAt / 1000),
        ...(clientToken === undefined ? {} : { clientToken }),
      };
      await this.publish(`${shadowPrefix(deviceId, name)}/delete/accepted`, accepted);
      this.emitUpdated(tomb, actor);
      return accepted;
    });
  }

  listNames(deviceId: string): Promise<string[]> {
    return this.deps.store.listNames(deviceId);
  }

  history(
    deviceId: string,
    name: string,
    q: HistoryQuery,
  ): Promise<{ items: HistoryEntry[]; total: number }> {
    return this.deps.store.history(deviceId, name, q);
  }

  /** Path-level changes from version `from` to version `to` (version 0 is the empty shadow). */
  async diff(deviceId: string, name: string, from: number, to: number): Promise<DiffEntry[]> {
    const stateAt = async (v: number): Promise<Json> => {
      if (v === 0) return {};
      const e = await this.deps.store.historyAt(deviceId, name, v);
      if (!e) throw ShadowErrors.versionNotFound(v);
      return e.state as Json;
    };
    return diffStates(await stateAt(from), await stateAt(to));
  }

  /** `reported` for many shadows in one store query (results in `keys` order). */
  async reportedMany(keys: readonly ShadowKey[]): Promise<(Record<string, unknown> | undefined)[]> {
    const docs = await this.deps.store.getMany(keys);
    return docs.map((doc) => (doc && !doc.deleted ? (doc.state.reported ?? {}) : undefined));
  }

  /** The current reported state (for command confirmation), undefined when there is no shadow. */
  async reported(deviceId: string, name: string): Promise<Record<string, unknown> | undefined> {
    const doc = await this.deps.store.get(deviceId, name);
    return doc && !doc.deleted ? (doc.state.reported ?? {}) : undefined;
  }
}
