/**
 * What devices see of executions (AWS IoT Jobs MQTT API: JobExecution, JobExecutionSummary,
 * JobExecutionState). Times go out in whole seconds since the epoch, as AWS sends them.
 */
import type { Execution } from './types.js';

export const seconds = (ms: number): number => Math.floor(ms / 1000);

export interface ExecutionSummary {
  jobId: string;
  queuedAt: number;
  startedAt?: number;
  lastUpdatedAt: number;
  versionNumber: number;
  executionNumber: number;
}

export function summaryOf(e: Execution): ExecutionSummary {
  return {
    jobId: e.jobId,
    queuedAt: seconds(e.queuedAt),
    ...(e.startedAt !== null ? { startedAt: seconds(e.startedAt) } : {}),
    lastUpdatedAt: seconds(e.lastUpdatedAt),
    versionNumber: e.versionNumber,
    executionNumber: e.executionNumber,
  };
}

export function executionOf(e: Execution, jobDocument?: Record<string, unknown>): Record<string, unknown> {
  return {
    jobId: e.jobId,
    thingName: e.deviceId,
    ...(jobDocument !== undefined ? { jobDocument } : {}),
    status: e.status,
    ...(Object.keys(e.statusDetails).length ? { statusDetails: e.statusDetails } : {}),
    queuedAt: seconds(e.queuedAt),
    ...(e.startedAt !== null ? { startedAt: seconds(e.startedAt) } : {}),
    lastUpdatedAt: seconds(e.lastUpdatedAt),
    versionNumber: e.versionNumber,
    executionNumber: e.executionNumber,
  };
}

/** `$next`: the oldest IN_PROGRESS execution, else the oldest QUEUED one (AWS DescribeJobExecution). */
export function nextOf(pending: readonly Execution[]): Execution | undefined {
  return pending.find((e) => e.status === 'IN_PROGRESS') ?? pending.find((e) => e.status === 'QUEUED');
}
