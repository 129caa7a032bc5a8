// PLACEHOLDER — replaced by the shadows module; fixes the signature app.ts wires.
import type { DeviceDirectory } from '../core/devices.js';
import type { ModuleContext, PlatformModule } from '../core/module.js';

export function createShadows(_ctx: ModuleContext, _directory: DeviceDirectory): Promise<PlatformModule> {
  return Promise.resolve({ name: 'shadows' });
}
