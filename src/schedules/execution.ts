/** Executions (one slot write to one device, then its verification) and overrides. */
import type { JsonObject } from './types.js';

/**
 * Lifecycle of an execution:
 * - `sent`: the patch is in the shadow's desired state; waiting for reported to match (or a re-send)
 * - `offline`: written while the device was offline; re-sent when it connects (catch-up)
 * - `verified`: reported equalled desired for every key of the patch (final)
 * - `failed`: still different after the last attempt (final; `reason` says what differed)
 * - `superseded`: the next slot came first; that slot's execution carries on (final)
 * - `overridden`: a manual desired change took over (final; see overrides)
 */
export type ExecutionStatus = 'sent' | 'offline' | 'verified' | 'failed' | 'superseded' | 'overridden';
export const OPEN_STATUSES: readonly ExecutionStatus[] = ['sent', 'offline'];
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'sent',
  'offline',
  'verified',
  'failed',
  'superseded',
  'overridden',
];

/** Why the execution exists: a slot boundary, or the state due at start-up / ownership change. */
export type ExecutionKind = 'slot' | 'startup';

export interface Execution {
  id: string;
  scheduleId: string;
  deviceId: string;
  shadowName: string;
  /** The slot's firing instant (for `startup`, the slot whose state was due). */
  slotAt: number;
  slotDate: string;
  slotTime: string;
  kind: ExecutionKind;
  patch: JsonObject;
  status: ExecutionStatus;
  /** Writes delivered to a connected device so far. */
  attempts: number;
  /** When the next check (verify or re-send) is due; null when none is armed. */
  nextCheckAt: number | null;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** A manual desired change that holds against the schedule (docs/schedules.md, "Overrides"). */
export interface Override {
  scheduleId: string;
  deviceId: string;
  mode: 'until_next_slot' | 'until_cleared';
  /** Keys of the manual change the schedule also controls. */
  keys: string[];
  actor: string;
  at: number;
  /** until_next_slot: the instant the next slot fires; null for until_cleared. */
  untilAt: number | null;
}
