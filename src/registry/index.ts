// PLACEHOLDER — the registry (issue 3) replaces this; it fixes the signature app.ts wires.
import type { DeviceDirectory } from '../core/devices.js';
import type { ModuleContext, PlatformModule } from '../core/module.js';
import type { TokenVerifier } from '../http/auth.js';
import type { BrokerHooks } from '../mqtt/api.js';

export interface RegistryModule extends PlatformModule {
  directory: DeviceDirectory;
  /** Authentication and ACL hooks for the broker. */
  brokerHooks: Partial<BrokerHooks>;
  /** API token verification for http/. */
  tokens: TokenVerifier;
}

export function createRegistry(ctx: ModuleContext): Promise<RegistryModule> {
  const admin = ctx.config.adminToken;
  return Promise.resolve({
    name: 'registry',
    directory: {
      getDevice: () => Promise.resolve(undefined),
      getModel: () => Promise.resolve(undefined),
      listDevices: async function* () {},
    },
    brokerHooks: {},
    tokens: {
      verify: (secret) =>
        admin !== undefined && secret === admin ? { id: 'admin', name: 'admin', role: 'admin' } : undefined,
    },
  });
}
