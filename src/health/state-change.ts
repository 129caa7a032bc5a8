/**
 * Applying one service-state command to a tracked device and telling everyone: the batched store
 * write, the `service-state.changed` bus event and the retained `$fleet/devices/{id}/service-state`
 * message. Returns false when the command changes nothing.
 */
import type { Actor, EventBus } from '../core/index.js';
import type { EngineWriter } from './engine-writer.js';
import type { StateChange } from './health-store.js';
import { applyCommand, type StateCommand } from './service-state.js';
import type { TrackedDevice } from './tracked-device.js';

export interface ChangeSinks {
  bus: EventBus;
  writer: Pick<EngineWriter, 'transition'>;
  publish?: ((deviceId: string, payload: string) => void) | undefined;
}

export const modelOf = (d: TrackedDevice): { model?: string } => (d.model === null ? {} : { model: d.model });

export function applyChange(
  sinks: ChangeSinks,
  d: TrackedDevice,
  cmd: StateCommand,
  at: number,
  actor: Actor,
  note: string | undefined,
): boolean {
  const next = applyCommand(d, cmd);
  if (!next) return false;
  const from = d.state;
  if (next.state !== from) d.since = at;
  d.state = next.state;
  d.reasons = next.reasons;
  const withNote = note !== undefined ? { note } : {};
  const change: StateChange = {
    deviceId: d.id,
    at,
    from,
    to: next.state,
    reasons: next.reasons,
    actor,
    since: d.since,
    ...withNote,
  };
  sinks.writer.transition(change);
  sinks.bus.emit('service-state.changed', {
    deviceId: d.id,
    ...modelOf(d),
    from,
    to: next.state,
    reasons: next.reasons,
    at,
    actor,
    ...withNote,
  });
  sinks.publish?.(
    d.id,
    JSON.stringify({
      deviceId: d.id,
      state: d.state,
      reasons: d.reasons,
      since: d.since,
      at,
      actor,
      ...withNote,
    }),
  );
  return true;
}
