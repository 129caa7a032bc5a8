/**
 * The shapes of jobs and job executions (AWS IoT Jobs, "Jobs and job execution states"). Times are
 * epoch milliseconds inside Tsunagu; the device API turns them into epoch seconds as AWS sends them.
 */

import type { JobSchedule } from './job-schedule.js';
import type { SloFreeze } from './slo-freeze.js';

/**
 * A job execution's lifecycle (AWS IoT Jobs execution states):
 * - `QUEUED`      released to the device, not started yet
 * - `IN_PROGRESS` the device started it (start-next or an update)
 * - `SUCCEEDED`   the device reported success (terminal)
 * - `FAILED`      the device reported failure (terminal; may be retried as a new execution)
 * - `TIMED_OUT`   the in-progress or step timer ran out (terminal; may be retried)
 * - `REJECTED`    the device refused the job (terminal)
 * - `REMOVED`     the device stopped being a target (deleted) while the execution was pending (terminal)
 * - `CANCELED`    the job or this execution was canceled by an operator or an abort rule (terminal)
 */
export type ExecutionStatus =
  'QUEUED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'REJECTED' | 'REMOVED' | 'CANCELED';

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'QUEUED',
  'IN_PROGRESS',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'REJECTED',
  'REMOVED',
  'CANCELED',
];

/**
 * A job's lifecycle:
 * - `IN_PROGRESS`  rolling out and/or waiting for devices
 * - `PAUSED`       a health gate (or an operator) stopped releasing new executions (Tsunagu extension)
 * - `CANCELED`     canceled by an operator or an abort rule: no new executions
 * - `COMPLETED`    every target reached a terminal state (never for continuous jobs)
 */
export type JobStatus = 'IN_PROGRESS' | 'PAUSED' | 'CANCELED' | 'COMPLETED';

export type FailureType = 'FAILED' | 'REJECTED' | 'TIMED_OUT' | 'ALL';

export interface JobTargets {
  deviceIds: string[];
  models: string[];
  /** `key=value` or bare tags, as the registry stores them. */
  tags: string[];
}

export interface RolloutConfig {
  /** Executions released per minute at most (AWS `maximumPerMinute`, 1–1000). */
  maximumPerMinute?: number;
  /** AWS `exponentialRate`: start at `baseRatePerMinute`, multiply by `incrementFactor` on each criterion. */
  exponentialRate?: {
    baseRatePerMinute: number;
    incrementFactor: number;
    rateIncreaseCriteria: { numberOfNotifiedThings?: number; numberOfSucceededThings?: number };
  };
}

export interface AbortCriterion {
  failureType: FailureType;
  action: 'CANCEL';
  thresholdPercentage: number;
  minNumberOfExecutedThings: number;
}

export interface RetryCriterion {
  failureType: 'FAILED' | 'TIMED_OUT' | 'ALL';
  numberOfRetries: number;
}

/** Tsunagu's health gate: compare devices that took the job with those that have not yet. */
export interface HealthGate {
  /** Minutes to watch after each rollout step before the next one. */
  soakMinutes: number;
  /** Signals that count against a device. */
  signals: HealthSignal[];
  /** Act when the updated group's bad share exceeds the others' by more than this many percentage points. */
  marginPercent: number;
  /** Judge only when both groups have at least this many devices. */
  minDevices: number;
  action: 'PAUSE' | 'CANCEL';
}

export type HealthSignal = 'heartbeat_lost' | 'hardware_error' | 'decode_error' | 'command_failed';
export const HEALTH_SIGNALS: readonly HealthSignal[] = [
  'heartbeat_lost',
  'hardware_error',
  'decode_error',
  'command_failed',
];

export interface JobConfig {
  rollout: RolloutConfig;
  abort: AbortCriterion[];
  retry: RetryCriterion[];
  /** AWS `timeoutConfig.inProgressTimeoutInMinutes`. */
  inProgressTimeoutMinutes?: number;
  healthGate?: HealthGate;
  /** AWS `presignedUrlConfig.expiresInSec`: how long an artifact URL in the document stays valid. */
  presignedUrlExpiresInSec?: number;
  /** AWS `schedulingConfig` plus maintenance windows in a time zone (job-schedule.ts). */
  schedule?: JobSchedule;
  /** Error-budget freeze: SLOs whose exhausted budget (or firing alert) pauses the rollout. */
  sloFreeze?: SloFreeze;
}

/** Rollout bookkeeping kept with the job (the scheduler's state survives restarts and owner changes). */
export interface RolloutState {
  /** Current release rate per minute (exponential rollouts grow it). */
  ratePerMinute: number;
  windowStart: number;
  releasedInWindow: number;
  /** Counts since the last rate increase (exponential rollout criteria). */
  notifiedSinceIncrease: number;
  succeededAtIncrease: number;
  /** End of the current soak (health gate): no release before it. */
  soakUntil: number;
  /** The schedule's end time was acted on (timeline written once). */
  scheduleEnded?: boolean;
  /** Inside a maintenance window at the last pass (timeline entries on each change). */
  windowOpen?: boolean;
  /** Paused by the error-budget freeze (resumed by it when the SLOs recover and the policy says so). */
  frozenBySlo?: boolean;
}

export interface TimelineEntry {
  at: number;
  event: string;
  detail?: Record<string, unknown>;
}

export interface Job {
  id: string;
  description: string;
  document: Record<string, unknown>;
  targets: JobTargets;
  continuous: boolean;
  status: JobStatus;
  config: JobConfig;
  rollout: RolloutState;
  /** Why the job was paused or canceled, when it was. */
  reason: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  /** Bumped on every write of the row: the scheduler's compare-and-set. */
  revision: number;
}

export interface Execution {
  jobId: string;
  deviceId: string;
  executionNumber: number;
  status: ExecutionStatus;
  statusDetails: Record<string, string>;
  versionNumber: number;
  queuedAt: number;
  startedAt: number | null;
  lastUpdatedAt: number;
  /** When the step or in-progress timer ends (the earlier of the two), while IN_PROGRESS. */
  timeoutAt: number | null;
  stepTimeoutAt: number | null;
  /** Retries used so far (this execution's number minus one, split by failure type). */
  retriesFailed: number;
  retriesTimedOut: number;
}

export type ProgressCounts = Record<ExecutionStatus, number> & { PENDING_ROLLOUT: number };
