/**
 * The service-state machine, as a pure function so every rule is testable on its own.
 *
 * States (ServiceState in core/events.ts):
 * - `in_service`     — no reason holds the device out.
 * - `out_of_service` — at least one active reason: `heartbeat_lost`, `hardware_error:{code}`,
 *                      `manual` (or `manual:{label}`).
 * - `maintenance`    — silenced on purpose by a person: no alerts, no automatic transitions.
 * - `retired`        — taken off the fleet for good; ignored by deadlines and thresholds.
 *
 * Automatic commands (from deadlines and thresholds) never move a device that is in
 * `maintenance` or `retired`. Only `heartbeat_lost` is removed automatically (a sign of life);
 * hardware errors and manual reasons are cleared by a person with a note.
 */
import type { ServiceState } from '../core/index.js';
import { HealthErrors } from './errors.js';

export interface ServiceRecord {
  state: ServiceState;
  /** Active reasons (sorted); empty unless out_of_service. */
  reasons: string[];
}

export type StateCommand =
  | { kind: 'add-reason'; reason: string }
  | { kind: 'remove-reason'; reason: string }
  | { kind: 'set'; state: ServiceState; reason?: string };

export const HEARTBEAT_LOST = 'heartbeat_lost';
export const hardwareReason = (code: string): string => `hardware_error:${code}`;
const MANUAL = /^manual(:[A-Za-z0-9_.-]{1,64})?$/;
const LABEL = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * What a person may type as a reason: `manual`, `manual:<label>`, or the bare `<label>`, which means
 * `manual:<label>` (operators write "flat_tyre", not "manual:flat_tyre"). System reasons
 * (`heartbeat_lost`, `hardware_error:…`) are left as they are so they can be named when clearing.
 */
export function normaliseManualReason(reason: string): string {
  if (MANUAL.test(reason) || reason === HEARTBEAT_LOST || !LABEL.test(reason)) return reason;
  return `manual:${reason}`;
}

const sorted = (s: Iterable<string>): string[] => [...new Set(s)].sort();
const fromReasons = (reasons: string[]): ServiceRecord => ({
  state: reasons.length === 0 ? 'in_service' : 'out_of_service',
  reasons,
});

/** The next record, or undefined when nothing changes. */
export function applyCommand(cur: ServiceRecord, cmd: StateCommand): ServiceRecord | undefined {
  const next = nextRecord(cur, cmd);
  if (!next) return undefined;
  const same = next.state === cur.state && next.reasons.join('\n') === cur.reasons.join('\n');
  return same ? undefined : next;
}

function nextRecord(cur: ServiceRecord, cmd: StateCommand): ServiceRecord | undefined {
  const automatic = cmd.kind !== 'set';
  if (automatic && (cur.state === 'maintenance' || cur.state === 'retired')) return undefined;
  switch (cmd.kind) {
    case 'add-reason':
      return fromReasons(sorted([...cur.reasons, cmd.reason]));
    case 'remove-reason':
      return fromReasons(cur.reasons.filter((r) => r !== cmd.reason));
    case 'set':
      return manualSet(cur, cmd.state, cmd.reason);
  }
}

function manualSet(cur: ServiceRecord, state: ServiceState, reason: string | undefined): ServiceRecord {
  switch (state) {
    case 'in_service': {
      if (reason === undefined) return { state: 'in_service', reasons: [] };
      if (!cur.reasons.includes(reason)) reason = normaliseManualReason(reason);
      if (!cur.reasons.includes(reason))
        throw HealthErrors.invalidReason(
          `"${reason}" is not an active reason (active: ${cur.reasons.join(', ') || 'none'})`,
        );
      return fromReasons(cur.reasons.filter((r) => r !== reason));
    }
    case 'out_of_service': {
      const r = normaliseManualReason(reason ?? 'manual');
      if (!MANUAL.test(r))
        throw HealthErrors.invalidReason(
          `a person can only add "manual", "manual:<label>" or a bare <label> (letters, digits, _ . -, at most 64), not "${reason}"`,
        );
      const base = cur.state === 'out_of_service' ? cur.reasons : [];
      return { state: 'out_of_service', reasons: sorted([...base, r]) };
    }
    case 'maintenance':
    case 'retired':
      if (reason !== undefined) throw HealthErrors.invalidReason(`no reason applies to ${state}`);
      return { state, reasons: [] };
  }
}
