/**
 * A service-state change written as a compare-and-set (docs/cluster.md, "How a module adopts
 * ownership", step 4): the transition is stored only if the device's row still holds the state
 * and reasons this node holds; only then are `service-state.changed` and the retained message
 * emitted. When another node changed the device first, this node takes the store's row instead.
 */
import type { Actor } from '../core/index.js';
import type { EngineWriter } from './engine-writer.js';
import type { DeviceHealthRow, HealthStore, StateChange } from './health-store.js';
import { applyCommand, type StateCommand } from './service-state.js';
import { applyChange, type ChangeSinks } from './state-change.js';
import type { TrackedDevice } from './tracked-device.js';

/** Already written by the compare-and-set: the batch writer must not write it again. */
const written = { transition: (): void => undefined };

export async function applyConditionally(
  store: HealthStore,
  writer: EngineWriter,
  sinks: ChangeSinks,
  d: TrackedDevice,
  cmd: StateCommand,
  at: number,
  actor: Actor,
  note: string | undefined,
  /** Asked once this node's earlier writes are in: false drops the change (it no longer holds). */
  stillHolds?: () => boolean,
): Promise<boolean> {
  const seen = { state: d.state, reasons: [...d.reasons] };
  const next = applyCommand(d, cmd);
  if (!next) return false;
  const change: StateChange = {
    deviceId: d.id,
    at,
    from: d.state,
    to: next.state,
    reasons: next.reasons,
    actor,
    since: next.state !== d.state ? at : d.since,
    ...(note !== undefined ? { note } : {}),
  };
  // This node's own earlier changes reach the store first: the compare is against them.
  await writer.flush();
  if (stillHolds && !stillHolds()) return false;
  const r = await store.saveTransitionIf(change, seen);
  if (!r.applied) {
    adoptRow(d, r.current);
    return false;
  }
  return applyChange({ ...sinks, writer: written }, d, cmd, at, actor, note);
}

/** Take the store's state for a device (another node changed it, or this node gained its shard). */
export function adoptRow(d: TrackedDevice, row: DeviceHealthRow): void {
  if (row.since > 0) {
    d.state = row.state;
    d.reasons = [...row.reasons];
    d.since = row.since;
  }
}
