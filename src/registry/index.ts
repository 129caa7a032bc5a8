/**
 * The device registry (issue #3): device models, devices, credentials, topic ACLs, connectivity
 * history and audit log, with the broker's authentication hooks and the HTTP API (API tokens live
 * in auth/).
 * Other modules use `directory` (cached reads) and emit `audit` events on the bus.
 */
import { AuditLog, openAuditStore } from '../audit/index.js';
import type { DeviceDirectory, LastSeenReader } from '../core/index.js';
import { clusterEventsOf, ownershipOf, type ModuleContext, type PlatformModule } from '../platform/index.js';
import type { BrokerHooks } from '../mqtt/index.js';
import { refusePlatformAnswers } from './acl.js';
import { Connectivity, type FlappingOptions } from './connectivity.js';
import { CredentialService, DEFAULT_ROTATION_OVERLAP_MS } from './credentials.js';
import { AuthLimiter, DEFAULT_AUTH_LIMITS, type AuthLimitOptions } from './auth-limiter.js';
import { DeviceAuth } from './device-auth.js';
import { defaultSlowLaneOptions, SlowLane, type SlowLaneOptions } from './slow-lane.js';
import { CachedDirectory } from './directory.js';
import { wireRegistryInvalidation } from './cluster-invalidation.js';
import { LastSeenBook } from './last-seen.js';
import { LocalPresence, type Presence, type PresenceBackend } from './presence.js';
import { adminRoutes } from './routes-admin.js';
import { registryRoutes } from './routes.js';
import { RegistryService } from './service.js';
import { openRegistryStore } from './registry-store.js';
import type { RegistryBenchOptions, RegistryBenchResult } from './bench.js';
import type { ReconnectBenchOptions, ReconnectBenchResult } from './bench-reconnect.js';

export { RegistryErrors } from './errors.js';
export { isPlatformAnswerTopic } from './acl.js';
export type { AclTemplate, Device, DeviceModel, Credential } from './types.js';
export type { RegistryBenchOptions, RegistryBenchResult } from './bench.js';
export type { ReconnectBenchOptions, ReconnectBenchResult } from './bench-reconnect.js';

/** `tsunagu bench registry`, loaded on demand (it uses mqtt.js, a development dependency). */
export async function benchRegistry(opts: RegistryBenchOptions = {}): Promise<RegistryBenchResult> {
  return (await import('./bench.js')).benchRegistry(opts);
}

/** `tsunagu bench reconnect`, loaded on demand. */
export async function benchReconnect(opts: ReconnectBenchOptions = {}): Promise<ReconnectBenchResult> {
  return (await import('./bench-reconnect.js')).benchReconnect(opts);
}

export {
  LocalConnections,
  LocalPresence,
  PresenceListeners,
  type Presence,
  type PresenceBackend,
  type PresenceChange,
  type PresenceEntry,
} from './presence.js';

export interface RegistryModule extends PlatformModule {
  directory: DeviceDirectory;
  /** Authentication and ACL hooks for the broker. */
  brokerHooks: Partial<BrokerHooks>;
  /** Check a device's password outside MQTT (telegram HELLO lines). */
  verifyDeviceSecret(deviceId: string, secret: string): Promise<boolean>;
  /** Is device X connected, since when, on which node; last seen (presence.ts). */
  presence: Presence;
  /**
   * Presence's last-seen record (any event, latest message and kind, latest heartbeat), this node's
   * memory merged with the one store: what health and telemetry read instead of keeping copies.
   */
  lastSeen: LastSeenReader;
}

export interface RegistryOptions {
  /** Default 5 connects in 10 minutes. */
  flapping?: FlappingOptions;
  /** How long a rotated password keeps working; default 24 h. */
  rotationOverlapMs?: number;
  /** Connectivity batch writer: flush delay (default 250 ms) and batch size (default 500). */
  flushMs?: number;
  maxBatch?: number;
  /** Slow (scrypt) password verification; tests wrap it to count calls. */
  verifySecret?: (secret: string, stored: string) => Promise<boolean>;
  /** Failed-authentication limits (defaults in auth-limiter.ts); `false` turns them off. */
  authLimits?: Partial<AuthLimitOptions> | false;
  /** Admission control for slow (scrypt) verifications (defaults in slow-lane.ts). */
  slowLane?: Partial<SlowLaneOptions>;
  /** The presence seam; default `LocalPresence` (one node). A cluster passes `cluster/pg-presence.ts`. */
  presence?: PresenceBackend;
  /** The platform's audit sink (app.ts passes the audit module's); without one the registry opens its own. */
  audit?: AuditLog;
}

export async function createRegistry(
  ctx: ModuleContext,
  opts: RegistryOptions = {},
): Promise<RegistryModule> {
  const log = ctx.log.child({ module: 'registry' });
  const store = await openRegistryStore(ctx.db);
  const directory = new CachedDirectory(store);
  const auth = new DeviceAuth({
    directory,
    store,
    clock: ctx.clock,
    log,
    allowAnonymous: ctx.config.allowAnonymous,
    limiter:
      opts.authLimits === false
        ? undefined
        : new AuthLimiter(ctx.clock, { ...DEFAULT_AUTH_LIMITS, ...opts.authLimits }),
    slowLane: new SlowLane(ctx.clock, { ...defaultSlowLaneOptions(), ...opts.slowLane }),
    ...(opts.verifySecret ? { verifySlow: opts.verifySecret } : {}),
  });
  const presence = opts.presence ?? new LocalPresence(ctx.config.nodeId);
  const events = clusterEventsOf(ctx);
  const connectivity = new Connectivity(
    store,
    presence,
    ctx.bus,
    ctx.clock,
    log,
    {
      flapping: opts.flapping ?? { connects: 5, windowMs: 10 * 60_000 },
      flushMs: opts.flushMs ?? 250,
      maxBatch: opts.maxBatch ?? 500,
    },
    (clientId) => auth.forget(clientId),
  );
  // Without the platform's audit sink (tests that build the registry alone) it opens its own.
  let ownAudit: AuditLog | undefined;
  const audit =
    opts.audit ??
    (ownAudit = new AuditLog(await openAuditStore(ctx.db), ctx.clock, log.child({ component: 'audit' })));
  const registry = new RegistryService({
    audit,
    store,
    directory,
    auth,
    connectivity,
    presence,
    events,
    bus: ctx.bus,
    clock: ctx.clock,
    broker: ctx.broker,
  });
  const credentials = new CredentialService(registry, opts.rotationOverlapMs ?? DEFAULT_ROTATION_OVERLAP_MS);
  // A single node starts with nobody connected. In a cluster the others' devices stay online: a dead
  // node's devices are cleared by presence when its membership expires; only a node that finds
  // itself alone (a whole-cluster restart) clears what the previous run left behind.
  if (ownershipOf(ctx).members().length <= 1) await store.resetOnline();
  await presence.start();
  connectivity.start();
  const unwire = wireRegistryInvalidation({
    events,
    directory,
    auth,
    store,
    broker: ctx.broker,
    now: () => ctx.clock.now(),
    log,
  });

  const routes = [registryRoutes(registry, credentials), adminRoutes(registry)];
  return {
    name: 'registry',
    directory,
    brokerHooks: refusePlatformAnswers(auth.hooks()),
    verifyDeviceSecret: (deviceId, secret) => auth.verifyDeviceSecret(deviceId, secret),
    presence,
    lastSeen: new LastSeenBook(store, presence),
    routes: (api) => {
      for (const r of routes) r(api);
    },
    async stop() {
      unwire();
      await connectivity.stop();
      await presence.stop();
      await ownAudit?.stop();
    },
  };
}
