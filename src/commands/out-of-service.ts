/**
 * The out-of-service policy (docs/commands.md): what happens to a command for a device health holds
 * out of service. The model's `outOfServiceCommands` wins, else the platform's
 * `--out-of-service-commands` (default warn). `refuse` throws 409 DEVICE_OUT_OF_SERVICE before
 * anything is stored; `warn` returns a warning the API passes on (`warnings`); `allow`, or a device
 * in service, returns none. Maintenance and retired devices are not covered: maintenance is when a
 * technician sends commands on purpose.
 */
import type { DeviceDirectory, OutOfServiceCommands } from '../core/index.js';
import { CommandErrors } from './errors.js';

/** The device's service state (health's API, wired in app.ts). */
export type ServiceStateLookup = (
  deviceId: string,
) => Promise<{ state: string; reasons: readonly string[] } | undefined>;

/** A command was accepted, but the caller should know something (`warnings` in the API's answer). */
export interface CommandWarning {
  code: 'DEVICE_OUT_OF_SERVICE';
  message: string;
  reasons: string[];
}

export async function outOfServicePolicy(
  deps: {
    directory: DeviceDirectory;
    serviceState?: ServiceStateLookup | undefined;
    outOfServiceCommands?: OutOfServiceCommands | undefined;
  },
  deviceId: string,
  model: string | null,
): Promise<CommandWarning[]> {
  // Without health's answer the policy is off: every command goes out.
  if (!deps.serviceState) return [];
  const s = await deps.serviceState(deviceId);
  if (s?.state !== 'out_of_service') return [];
  const m = model === null ? undefined : await deps.directory.getModel(model);
  const policy = m?.outOfServiceCommands ?? deps.outOfServiceCommands ?? 'warn';
  if (policy === 'allow') return [];
  if (policy === 'refuse') throw CommandErrors.outOfService(deviceId, s.reasons);
  const why = s.reasons.join(', ') || 'no reason recorded';
  return [
    {
      code: 'DEVICE_OUT_OF_SERVICE',
      message: `device ${deviceId} is out of service (${why}); the command was sent anyway`,
      reasons: [...s.reasons],
    },
  ];
}
