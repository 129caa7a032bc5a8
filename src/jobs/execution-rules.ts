/**
 * How an execution changes: started, updated by its device, timed out, canceled — and when a
 * failure earns a retry (a new execution with the next executionNumber, as AWS IoT Jobs does it).
 * Pure functions: the service reads, applies one of these, and writes with a compare-and-set.
 */
import { deviceError, type ExecutionStateView } from './errors.js';
import type { ExecutionChange } from './jobs-store.js';
import { canTransition, isTerminal } from './transitions.js';
import type { Execution, ExecutionStatus, Job } from './types.js';
import type { StartNextRequest, UpdateRequest } from './device-requests.js';

const MINUTE = 60_000;

export function stateOf(e: Execution): ExecutionStateView {
  return {
    status: e.status,
    ...(Object.keys(e.statusDetails).length ? { statusDetails: e.statusDetails } : {}),
    versionNumber: e.versionNumber,
  };
}

/** The earlier of the in-progress deadline (from start) and the step deadline. */
function timerOf(job: Job, startedAt: number | null, stepTimeoutAt: number | null): number | null {
  const limit = job.config.inProgressTimeoutMinutes;
  const inProgress = limit !== undefined && startedAt !== null ? startedAt + limit * MINUTE : null;
  if (inProgress === null) return stepTimeoutAt;
  if (stepTimeoutAt === null) return inProgress;
  return Math.min(inProgress, stepTimeoutAt);
}

/** The next try after a failure of `kind`, when the job's retry criteria allow one. */
export function retryAfter(
  job: Job,
  e: Execution,
  kind: 'FAILED' | 'TIMED_OUT',
  now: number,
): Execution | undefined {
  const used = { FAILED: e.retriesFailed, TIMED_OUT: e.retriesTimedOut };
  const allowed = job.config.retry.some((c) => {
    if (c.failureType === 'ALL') return used.FAILED + used.TIMED_OUT < c.numberOfRetries;
    return c.failureType === kind && used[kind] < c.numberOfRetries;
  });
  if (!allowed || job.status === 'CANCELED') return undefined;
  return {
    ...e,
    executionNumber: e.executionNumber + 1,
    status: 'QUEUED',
    statusDetails: {},
    versionNumber: 1,
    queuedAt: now,
    startedAt: null,
    lastUpdatedAt: now,
    timeoutAt: null,
    stepTimeoutAt: null,
    retriesFailed: e.retriesFailed + (kind === 'FAILED' ? 1 : 0),
    retriesTimedOut: e.retriesTimedOut + (kind === 'TIMED_OUT' ? 1 : 0),
  };
}

function moved(
  job: Job,
  e: Execution,
  to: ExecutionStatus,
  now: number,
  over: Partial<Execution> = {},
): ExecutionChange {
  const terminal = isTerminal(to);
  const update: Execution = {
    ...e,
    status: to,
    versionNumber: e.versionNumber + 1,
    lastUpdatedAt: now,
    ...over,
    ...(terminal ? { timeoutAt: null, stepTimeoutAt: null } : {}),
  };
  const retry = to === 'FAILED' || to === 'TIMED_OUT' ? retryAfter(job, update, to, now) : undefined;
  return { update, expectVersion: e.versionNumber, ...(retry ? { insert: retry } : {}) };
}

/** StartNextPendingJobExecution on a QUEUED execution (an IN_PROGRESS one is returned unchanged). */
export function start(
  job: Job,
  e: Execution,
  req: StartNextRequest,
  now: number,
): ExecutionChange | undefined {
  if (e.status !== 'QUEUED') return undefined;
  const step = req.stepTimeoutInMinutes === undefined ? null : now + req.stepTimeoutInMinutes * MINUTE;
  return moved(job, e, 'IN_PROGRESS', now, {
    startedAt: now,
    statusDetails: req.statusDetails ?? e.statusDetails,
    stepTimeoutAt: step,
    timeoutAt: timerOf(job, now, step),
  });
}

/** UpdateJobExecution from the device, with AWS's checks in AWS's order. */
export function deviceUpdate(job: Job, e: Execution, req: UpdateRequest, now: number): ExecutionChange {
  if (req.expectedVersion !== undefined && req.expectedVersion !== e.versionNumber)
    throw deviceError(
      'VersionMismatch',
      `expectedVersion ${req.expectedVersion} is not the current version`,
      stateOf(e),
    );
  if (e.status === 'CANCELED' || e.status === 'REMOVED')
    throw deviceError('TerminalStateReached', `the job execution was ${e.status}`, stateOf(e));
  if (!canTransition(e.status, req.status, 'device'))
    throw deviceError(
      'InvalidStateTransition',
      `cannot change a ${e.status} job execution to ${req.status}`,
      stateOf(e),
    );
  const startedAt = e.startedAt ?? now;
  let stepTimeoutAt = e.stepTimeoutAt;
  if (req.status === 'IN_PROGRESS' && req.stepTimeoutInMinutes !== undefined)
    stepTimeoutAt = now + req.stepTimeoutInMinutes * MINUTE;
  return moved(job, e, req.status, now, {
    startedAt,
    statusDetails: req.statusDetails ?? e.statusDetails,
    stepTimeoutAt,
    timeoutAt: timerOf(job, startedAt, stepTimeoutAt),
  });
}

/** The timer ran out. */
export function timeOut(job: Job, e: Execution, now: number): ExecutionChange | undefined {
  if (!canTransition(e.status, 'TIMED_OUT', 'platform')) return undefined;
  return moved(job, e, 'TIMED_OUT', now);
}
