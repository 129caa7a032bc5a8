// PLACEHOLDER — replaced by the commands module; fixes the signature app.ts wires.
import type { DeviceDirectory } from '../core/devices.js';
import type { ModuleContext, PlatformModule } from '../core/module.js';

export function createCommands(_ctx: ModuleContext, _directory: DeviceDirectory): Promise<PlatformModule> {
  return Promise.resolve({ name: 'commands' });
}
