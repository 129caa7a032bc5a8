/** The health module's API as other code (routes, tests, the CLI) calls it. */
import type { Actor, LastSeenReader, ServiceState } from '../core/index.js';
import type { HealthEngine, TrackedDevice } from './engine.js';
import { HealthErrors } from './errors.js';
import { fleetHealth, outOfService, type FleetHealth, type OutOfServicePage } from './fleet-view.js';
import type { HealthStore, PlatformDowntime, Transition } from './health-store.js';
import { signOfLifeAt, validatePolicy, type HealthPolicy } from './policy.js';

export interface ServiceStateView {
  deviceId: string;
  model: string | null;
  state: ServiceState;
  reasons: string[];
  since: number | null;
  lastSeen: number | null;
  history: Transition[];
}

export interface HealthApi {
  getServiceState(deviceId: string, historyLimit?: number): Promise<ServiceStateView>;
  setServiceState(
    deviceId: string,
    body: { state: ServiceState; note: string; reason?: string },
    actor: Actor,
  ): Promise<ServiceStateView>;
  fleetHealth(): FleetHealth;
  outOfService(opts: { offset: number; limit: number; model?: string; reason?: string }): OutOfServicePage;
  /** Is the device out of service now (synchronous, from the tracked state)? */
  isOutOfService(deviceId: string): boolean;
  listPolicies(): HealthPolicy[];
  getPolicy(model: string): HealthPolicy;
  putPolicy(
    p: Omit<HealthPolicy, 'updatedAt' | 'flappingMinConnects'> & { flappingMinConnects?: number },
  ): Promise<HealthPolicy>;
  deletePolicy(model: string): Promise<void>;
  /** Spans when devices could not reach the platform (restarts, crashes), newest first. */
  platformDowntime(limit: number): Promise<PlatformDowntime[]>;
}

export function createHealthApi(
  engine: HealthEngine,
  store: HealthStore,
  now: () => number,
  /** Presence's last-seen: the view's `lastSeen` is the newer of it (per policy) and the engine's. */
  lastSeen?: LastSeenReader,
): HealthApi {
  async function tracked(id: string): Promise<TrackedDevice> {
    const d = engine.devices.get(id) ?? (await engine.refreshDevice(id));
    if (!d) throw HealthErrors.deviceNotFound(id);
    return d;
  }
  async function view(d: TrackedDevice, limit: number): Promise<ServiceStateView> {
    await engine.flush();
    // On a node that does not own the device, presence's row holds signs of life heard elsewhere.
    const seen = Math.max(d.lastSeen, signOfLifeAt(await lastSeen?.get(d.id), d.hb));
    return {
      deviceId: d.id,
      model: d.model,
      state: d.state,
      reasons: d.reasons,
      since: d.since > 0 ? d.since : null,
      lastSeen: seen > 0 ? seen : null,
      history: await store.history(d.id, limit),
    };
  }
  return {
    async getServiceState(id, limit = 50) {
      return view(await tracked(id), limit);
    },
    async setServiceState(id, body, actor) {
      if (body.note.trim() === '') throw HealthErrors.noteRequired();
      const d = await tracked(id);
      engine.setState(id, body.state, actor, body.note.trim(), body.reason);
      return view(d, 50);
    },
    fleetHealth: () => fleetHealth(engine.devices.values(), now()),
    outOfService: (opts) => outOfService(engine.devices.values(), opts),
    isOutOfService: (id) => engine.devices.get(id)?.state === 'out_of_service',
    listPolicies: () => [...engine.policies.values()].sort((a, b) => (a.model < b.model ? -1 : 1)),
    getPolicy(model) {
      const p = engine.policies.get(model);
      if (!p) throw HealthErrors.policyNotFound(model);
      return p;
    },
    async putPolicy(input) {
      const p: HealthPolicy = {
        model: input.model,
        errorThresholds: input.errorThresholds,
        flappingMinConnects: input.flappingMinConnects ?? 0,
        updatedAt: now(),
      };
      if (input.heartbeat) p.heartbeat = input.heartbeat;
      validatePolicy(p);
      await store.putPolicy(p);
      engine.policies.set(p.model, p);
      await engine.reloadPolicies(p.model);
      return p;
    },
    async deletePolicy(model) {
      if (!(await store.deletePolicy(model))) throw HealthErrors.policyNotFound(model);
      engine.policies.delete(model);
      await engine.reloadPolicies(model);
    },
    platformDowntime: (limit) => store.listDowntimes(limit),
  };
}
