/** A new command's record, as `CommandService.create` stores it before anything else happens. */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../core/index.js';
import type { CommandRecord, CreateCommandRequest } from './types.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** A queued command without `expiresInMs` waits at most a day for its device. */
export const DEFAULT_EXPIRES_IN_MS = 24 * 3600_000;

export function newCommandRecord(
  deviceId: string,
  model: string | null,
  req: CreateCommandRequest,
  actor: Actor,
  now: number,
): CommandRecord {
  const offline = req.offline ?? 'reject';
  return {
    id: randomUUID(),
    deviceId,
    model,
    name: req.name,
    params: req.params ?? null,
    status: 'queued',
    idempotencyKey: req.idempotencyKey ?? null,
    confirm: req.confirm
      ? { path: req.confirm.path, equals: req.confirm.equals, shadow: req.confirm.shadow ?? '' }
      : null,
    offline,
    timeoutMs: req.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    requestedAt: now,
    expiresAt: offline === 'queue' ? now + (req.expiresInMs ?? DEFAULT_EXPIRES_IN_MS) : null,
    sentAt: null,
    deadline: null,
    repliedAt: null,
    finishedAt: null,
    replyLatencyMs: null,
    confirmLatencyMs: null,
    result: null,
    errorCode: null,
    errorMessage: null,
    actor,
  };
}
