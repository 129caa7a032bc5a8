// PLACEHOLDER — replaced by the slo module; fixes the signature app.ts wires.
import type { DeviceDirectory } from '../core/devices.js';
import type { ModuleContext, PlatformModule } from '../core/module.js';

export function createSlo(_ctx: ModuleContext, _directory: DeviceDirectory): Promise<PlatformModule> {
  return Promise.resolve({ name: 'slo' });
}
