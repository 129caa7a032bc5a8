/**
 * Which execution status changes are allowed, and by whom (AWS IoT Jobs, "Job execution states";
 * UpdateJobExecution accepts IN_PROGRESS, SUCCEEDED, FAILED and REJECTED from a device).
 */
import type { ExecutionStatus } from './types.js';

export const TERMINAL: ReadonlySet<ExecutionStatus> = new Set([
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'REJECTED',
  'REMOVED',
  'CANCELED',
]);

/** Pending (not terminal): what `jobs/get` lists and `$next` chooses from. */
export const isPending = (s: ExecutionStatus): boolean => s === 'QUEUED' || s === 'IN_PROGRESS';
export const isTerminal = (s: ExecutionStatus): boolean => TERMINAL.has(s);

/** Statuses a device may send in UpdateJobExecution. */
export const DEVICE_SETTABLE: ReadonlySet<ExecutionStatus> = new Set([
  'IN_PROGRESS',
  'SUCCEEDED',
  'FAILED',
  'REJECTED',
]);

export type Actor = 'device' | 'platform';

/**
 * Whether `from → to` is allowed for `actor`. A device moves a pending execution forward (QUEUED or
 * IN_PROGRESS → IN_PROGRESS, SUCCEEDED, FAILED, REJECTED); the platform times out an IN_PROGRESS
 * execution, cancels a QUEUED one (or an IN_PROGRESS one when forced) and removes pending ones.
 * Nothing leaves a terminal state.
 */
export function canTransition(
  from: ExecutionStatus,
  to: ExecutionStatus,
  actor: Actor,
  force = false,
): boolean {
  if (isTerminal(from)) return false;
  if (actor === 'device') return DEVICE_SETTABLE.has(to);
  switch (to) {
    case 'TIMED_OUT':
      return from === 'IN_PROGRESS';
    case 'CANCELED':
      return from === 'QUEUED' || force;
    case 'REMOVED':
      return true;
    default:
      return false;
  }
}
