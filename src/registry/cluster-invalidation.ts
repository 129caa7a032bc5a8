/**
 * Registry caches on every node. A change to a device, model (its ACL template included),
 * credential or API token is published as an `invalidate` cluster event after the store write;
 * every node — this one synchronously inside `publish`, the others when the NATS message arrives —
 * drops its cached copies, and the node where the device is connected re-checks it: deleted or
 * disabled → DISCONNECT 0x87; connected with a credential that is now revoked or expired → the same.
 *
 * Ids: `device` → device id; `model` / `acl` → model name; `credential` → the device id (credentials
 * are cached per device); `token` → token id. A resync (events may have been missed) drops every cache.
 */
import type { ClusterEvents, InvalidationKind, Logger } from '../core/index.js';
import type { BrokerApi } from '../mqtt/index.js';
import { NOT_AUTHORIZED, type DeviceAuth } from './device-auth.js';
import type { CachedDirectory } from './directory.js';
import type { RegistryStore } from './registry-store.js';

export interface InvalidationDeps {
  events: ClusterEvents;
  directory: CachedDirectory;
  auth: DeviceAuth;
  store: RegistryStore;
  broker: BrokerApi;
  now: () => number;
  log: Logger;
}

export function wireRegistryInvalidation(d: InvalidationDeps): () => void {
  const kick = (id: string, why: string): void => {
    if (!d.broker.isConnected(id)) return;
    d.log.info({ deviceId: id, why }, 'registry: disconnecting device after a change');
    d.broker.disconnect(id, NOT_AUTHORIZED, 'not_authorized');
  };

  const recheckDevice = async (id: string): Promise<void> => {
    if (!d.broker.isConnected(id)) return;
    const device = await d.directory.device(id);
    if (!device) kick(id, 'device deleted');
    else if (!device.enabled) kick(id, 'device disabled');
  };

  const recheckCredential = async (id: string): Promise<void> => {
    const used = d.auth.credentialOf(id);
    if (!d.broker.isConnected(id) || !used) return;
    const cred = (await d.store.listCredentials(id)).find((c) => c.id === used);
    const now = d.now();
    if (!cred || cred.revokedAt !== null || (cred.expiresAt !== null && cred.expiresAt <= now))
      kick(id, 'credential revoked');
  };

  const handlers: Record<InvalidationKind, ((id: string) => void) | undefined> = {
    device: (id) => {
      d.directory.invalidateDevice(id);
      d.auth.invalidateDevice(id);
      void recheckDevice(id).catch((err: unknown) =>
        d.log.warn({ err, deviceId: id }, 'registry: recheck failed'),
      );
    },
    model: (name) => {
      d.directory.invalidateModel(name);
      d.auth.invalidateModel();
    },
    acl: (name) => {
      d.directory.invalidateModel(name);
      d.auth.invalidateModel();
    },
    credential: (id) => {
      d.auth.invalidateDevice(id);
      void recheckCredential(id).catch((err: unknown) =>
        d.log.warn({ err, deviceId: id }, 'registry: credential recheck failed'),
      );
    },
    token: undefined, // auth/ handles its own tokens
    decoder: undefined,
    policy: undefined,
    slo: undefined,
    'notify-channel': undefined,
    'notify-route': undefined,
    schedule: undefined,
    rule: undefined,
  };

  const offs = [
    d.events.subscribe('invalidate', (e) => handlers[e.kind]?.(e.id)),
    d.events.onResync(() => {
      d.directory.clear();
      d.auth.invalidateAll();
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
