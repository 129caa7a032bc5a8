/**
 * A command: one cloud → device request with a tracked outcome. The lifecycle is
 * `CommandStatus` (src/core/events.ts):
 *
 * - `queued`       stored, not yet delivered (device offline with `offline: 'queue'`)
 * - `sent`         published on `devices/{id}/commands/{name}` (QoS 1), waiting for the reply
 * - `acknowledged` the device replied ok; waiting for the shadow's reported state (`confirm`)
 * - `succeeded`    final: replied ok (and confirmed, when asked)
 * - `failed`       final: the device replied `status: "error"` (or delivery failed)
 * - `timed_out`    final: no reply / no confirmation before `sentAt + timeoutMs`
 * - `expired`      final: still queued at `requestedAt + expiresInMs`
 * - `rejected`     final: device offline and `offline: 'reject'` (the default)
 */
import type { Actor, CommandStatus } from '../core/index.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const FINAL_STATUSES: readonly CommandStatus[] = [
  'succeeded',
  'failed',
  'timed_out',
  'expired',
  'rejected',
];

/** Success needs the shadow's reported value at `path` (dotted) to equal `equals`. */
export interface ConfirmSpec {
  path: string;
  equals: Json;
  /** Shadow name; '' (default) is the classic shadow. */
  shadow: string;
}

export interface CommandRecord {
  id: string;
  deviceId: string;
  model: string | null;
  name: string;
  params: Json;
  status: CommandStatus;
  idempotencyKey: string | null;
  confirm: ConfirmSpec | null;
  offline: 'reject' | 'queue';
  timeoutMs: number;
  /** Epoch ms timestamps. */
  requestedAt: number;
  /** Queued commands expire at this time. */
  expiresAt: number | null;
  sentAt: number | null;
  /** sentAt + timeoutMs: reply (and confirmation) must arrive before this. */
  deadline: number | null;
  repliedAt: number | null;
  finishedAt: number | null;
  /** request → device reply */
  replyLatencyMs: number | null;
  /** request → confirmation by reported state */
  confirmLatencyMs: number | null;
  result: Json;
  errorCode: string | null;
  errorMessage: string | null;
  actor: Actor;
}

export interface CreateCommandRequest {
  name: string;
  params?: Json;
  timeoutMs?: number;
  idempotencyKey?: string;
  confirm?: { path: string; equals: Json; shadow?: string };
  wait?: boolean;
  offline?: 'reject' | 'queue';
  expiresInMs?: number;
}

/** What the device receives on `devices/{id}/commands/{name}`. */
export interface CommandMessage {
  id: string;
  name: string;
  params: Json;
  requestedAt: number;
}

/** What the device answers on `devices/{id}/commands/{name}/reply`. */
export interface CommandReply {
  id?: string;
  status: 'ok' | 'error';
  code?: string;
  message?: string;
  result?: Json;
}
