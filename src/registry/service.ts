/**
 * Registry changes: device models and devices. Every change is audited (before/after, durable
 * before the API answers), invalidates the caches that depend on it, emits `device.changed`, and
 * disconnects a device that lost its right to be connected.
 */
import type { AuditLog } from '../audit/index.js';
import type { Actor, Clock, ClusterEvents, EventBus } from '../core/index.js';
import type { BrokerApi } from '../mqtt/index.js';
import type { Connectivity } from './connectivity.js';
import { NOT_AUTHORIZED, type DeviceAuth } from './device-auth.js';
import type { CachedDirectory } from './directory.js';
import { RegistryErrors } from './errors.js';
import type { Presence } from './presence.js';
import type { RegistryStore } from './registry-store.js';
import { stripStatus } from './store-rows.js';
import type { Device, DeviceModel, DeviceQuery, DeviceRecord, Page } from './types.js';
import { checkDevice, checkDevicePatch, checkModel, type DeviceInput, type ModelInput } from './validate.js';

/** Who made an API change: the token's id and name. */
export interface ApiActor extends Omit<Actor, 'name'> {
  name: string | null;
}

export interface RegistryDeps {
  store: RegistryStore;
  directory: CachedDirectory;
  auth: DeviceAuth;
  connectivity: Connectivity;
  presence: Presence;
  /** Invalidations go to every node (this one included, synchronously): cluster-invalidation.ts. */
  events: ClusterEvents;
  bus: EventBus;
  clock: Clock;
  broker: BrokerApi;
  /** The audit sink (src/audit): an entry that cannot be made durable fails the request. */
  audit: AuditLog;
}

export class RegistryService {
  constructor(readonly deps: RegistryDeps) {}

  async audit(
    actor: ApiActor,
    action: string,
    resource: string,
    before: unknown,
    after: unknown,
  ): Promise<void> {
    await this.deps.audit.record({
      at: this.deps.clock.now(),
      actorKind: actor.kind,
      actorId: actor.id,
      actorName: actor.name,
      action,
      resource,
      before: before ?? null,
      after: after ?? null,
    });
  }

  // --- models --------------------------------------------------------------------------------

  listModels(): Promise<DeviceModel[]> {
    return this.deps.store.listModels();
  }

  async getModel(name: string): Promise<DeviceModel> {
    const m = await this.deps.store.getModel(name);
    if (!m) throw RegistryErrors.modelNotFound(name);
    return m;
  }

  buildModel(input: ModelInput, existing: DeviceModel | undefined): DeviceModel {
    const now = this.deps.clock.now();
    return {
      name: input.name,
      description: input.description ?? '',
      ...(input.heartbeat ? { heartbeat: input.heartbeat } : {}),
      ...(input.acl ? { acl: input.acl } : {}),
      ...(input.decoder !== undefined ? { decoder: input.decoder } : {}),
      ...(input.decoders !== undefined ? { decoders: input.decoders } : {}),
      ...(input.shadow ? { shadow: input.shadow } : {}),
      ...(input.outOfServiceCommands ? { outOfServiceCommands: input.outOfServiceCommands } : {}),
      ...(input.fields ? { fields: input.fields } : {}),
      attributes: input.attributes ?? {},
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
  }

  async createModel(body: unknown, actor: ApiActor): Promise<DeviceModel> {
    const input = checkModel(body, 'body');
    if (await this.deps.store.getModel(input.name)) throw RegistryErrors.modelExists(input.name);
    const model = this.buildModel(input, undefined);
    await this.deps.store.putModels([model]);
    this.modelChanged(model.name);
    await this.audit(actor, 'device-model.create', `device-models/${model.name}`, null, model);
    return model;
  }

  /** Replace a model (PUT semantics; the name comes from the path). */
  async replaceModel(name: string, body: unknown, actor: ApiActor): Promise<DeviceModel> {
    const before = await this.getModel(name);
    const input = checkModel({ ...(body as object), name }, 'body');
    const model = this.buildModel(input, before);
    await this.deps.store.putModels([model]);
    this.modelChanged(name);
    await this.audit(actor, 'device-model.update', `device-models/${name}`, before, model);
    return model;
  }

  async deleteModel(name: string, actor: ApiActor): Promise<void> {
    const before = await this.getModel(name);
    const n = await this.deps.store.countDevicesOfModel(name);
    if (n > 0) throw RegistryErrors.modelInUse(name, n);
    await this.deps.store.deleteModel(name);
    this.modelChanged(name);
    await this.audit(actor, 'device-model.delete', `device-models/${name}`, before, null);
  }

  modelChanged(name: string): void {
    this.deps.events.publish('invalidate', { kind: 'model', id: name });
  }

  // --- devices -------------------------------------------------------------------------------

  /** The stored record with presence overlaid (exact for this node's devices, others as last heard). */
  view(d: DeviceRecord): DeviceRecord {
    const p = this.deps.presence;
    return { ...d, online: p.isConnected(d.id), lastSeenAt: Math.max(d.lastSeenAt, p.lastSeenAt(d.id) ?? 0) };
  }

  async queryDevices(q: DeviceQuery): Promise<Page<DeviceRecord>> {
    // Online filter and last-seen sort read the status columns: write pending state first.
    if (q.online !== undefined || q.sort === 'lastSeenAt') await this.deps.connectivity.flush();
    const page = await this.deps.store.queryDevices(q);
    return { items: page.items.map((d) => this.view(d)), total: page.total };
  }

  async getDevice(id: string): Promise<DeviceRecord> {
    const d = await this.deps.store.getDevice(id);
    if (!d) throw RegistryErrors.deviceNotFound(id);
    return this.view(d);
  }

  async checkModelExists(
    name: string | null | undefined,
    field: string,
    pending?: Set<string>,
  ): Promise<void> {
    if (name === null || name === undefined || pending?.has(name)) return;
    if (!(await this.deps.directory.model(name)))
      throw RegistryErrors.invalid(field, `device model "${name}" does not exist`);
  }

  buildDevice(input: DeviceInput, existing: Device | undefined): Device {
    const now = this.deps.clock.now();
    return {
      id: input.id,
      model: input.model !== undefined ? input.model : (existing?.model ?? null),
      name: input.name ?? existing?.name ?? input.id,
      tags: input.tags ?? existing?.tags ?? [],
      attributes: input.attributes ?? existing?.attributes ?? {},
      enabled: input.enabled ?? existing?.enabled ?? true,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
  }

  async createDevice(body: unknown, actor: ApiActor): Promise<DeviceRecord> {
    const input = checkDevice(body, 'body');
    await this.checkModelExists(input.model, 'body.model');
    if (await this.deps.store.getDevice(input.id)) throw RegistryErrors.deviceExists(input.id);
    const device = this.buildDevice(input, undefined);
    await this.deps.store.putDevices([device]);
    this.deviceChanged(device, 'created');
    await this.audit(actor, 'device.create', `devices/${device.id}`, null, device);
    return this.getDevice(device.id);
  }

  async patchDevice(id: string, body: unknown, actor: ApiActor): Promise<DeviceRecord> {
    const patch = checkDevicePatch(body);
    const before = await this.deps.store.getDevice(id);
    if (!before) throw RegistryErrors.deviceNotFound(id);
    await this.checkModelExists(patch.model, 'body.model');
    const device = this.buildDevice({ ...patch, id }, before);
    await this.deps.store.putDevices([device]);
    this.deviceChanged(device, 'updated');
    if (before.enabled && !device.enabled) this.kick(id, 'device disabled');
    await this.audit(actor, 'device.update', `devices/${id}`, stripStatus(before), device);
    return this.getDevice(id);
  }

  async deleteDevice(id: string, actor: ApiActor): Promise<void> {
    const before = await this.deps.store.getDevice(id);
    if (!before) throw RegistryErrors.deviceNotFound(id);
    await this.deps.store.deleteDevice(id);
    this.deviceChanged(before, 'deleted');
    this.kick(id, 'device deleted');
    await this.audit(actor, 'device.delete', `devices/${id}`, stripStatus(before), null);
  }

  deviceChanged(d: Device, change: 'created' | 'updated' | 'deleted'): void {
    this.deps.events.publish('invalidate', { kind: 'device', id: d.id });
    this.deps.bus.emit('device.changed', {
      deviceId: d.id,
      change,
      ...(d.model !== null ? { model: d.model } : {}),
      at: this.deps.clock.now(),
    });
  }

  /** Disconnect a connected device at once: MQTT 5 DISCONNECT 0x87 (not authorized). */
  kick(id: string, _why: string): void {
    if (this.deps.broker.isConnected(id)) this.deps.broker.disconnect(id, NOT_AUTHORIZED, 'not_authorized');
  }

  async fleet(): Promise<{ total: number; online: number; offline: number; flapping: number }> {
    await this.deps.connectivity.flush();
    const { total, online } = await this.deps.store.fleetCounts();
    return { total, online, offline: total - online, flapping: this.deps.connectivity.flappingIds().length };
  }
}
