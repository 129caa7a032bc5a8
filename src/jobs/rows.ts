/** Row shapes of the jobs tables and their mapping to jobs, executions and artifacts (both adapters). */
import type { Artifact } from './jobs-store.js';
import type { Execution, ExecutionStatus, Job } from './types.js';

export type Num = number | string;
export interface JobRow {
  id: string;
  description: string;
  document: string;
  targets: string;
  continuous: Num;
  status: string;
  config: string;
  rollout: string;
  reason: string | null;
  created_at: Num;
  updated_at: Num;
  completed_at: Num | null;
  revision: Num;
}
export interface ExecRow {
  job_id: string;
  device_id: string;
  execution_number: Num;
  status: string;
  status_details: string;
  version_number: Num;
  queued_at: Num;
  started_at: Num | null;
  last_updated_at: Num;
  timeout_at: Num | null;
  step_timeout_at: Num | null;
  retries_failed: Num;
  retries_timed_out: Num;
}
export interface ArtifactRow {
  id: string;
  name: string;
  size: Num;
  sha256: string;
  signature: string | null;
  content_type: string;
  created_at: Num;
}

export const num = (v: Num | null): number | null => (v === null ? null : Number(v));

export const toJob = (r: JobRow): Job => ({
  id: r.id,
  description: r.description,
  document: JSON.parse(r.document) as Job['document'],
  targets: JSON.parse(r.targets) as Job['targets'],
  continuous: Number(r.continuous) === 1,
  status: r.status as Job['status'],
  config: JSON.parse(r.config) as Job['config'],
  rollout: JSON.parse(r.rollout) as Job['rollout'],
  reason: r.reason,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  completedAt: num(r.completed_at),
  revision: Number(r.revision),
});

export const toExecution = (r: ExecRow): Execution => ({
  jobId: r.job_id,
  deviceId: r.device_id,
  executionNumber: Number(r.execution_number),
  status: r.status as ExecutionStatus,
  statusDetails: JSON.parse(r.status_details) as Record<string, string>,
  versionNumber: Number(r.version_number),
  queuedAt: Number(r.queued_at),
  startedAt: num(r.started_at),
  lastUpdatedAt: Number(r.last_updated_at),
  timeoutAt: num(r.timeout_at),
  stepTimeoutAt: num(r.step_timeout_at),
  retriesFailed: Number(r.retries_failed),
  retriesTimedOut: Number(r.retries_timed_out),
});

export const toArtifact = (r: ArtifactRow): Artifact => ({
  id: r.id,
  name: r.name,
  size: Number(r.size),
  sha256: r.sha256,
  signature: r.signature,
  contentType: r.content_type,
  createdAt: Number(r.created_at),
});

export const EXEC_COLUMNS =
  'job_id, device_id, execution_number, status, status_details, version_number, queued_at, started_at, last_updated_at, timeout_at, step_timeout_at, retries_failed, retries_timed_out, latest';
export const INSERT_EXEC = `INSERT INTO job_executions (${EXEC_COLUMNS}) VALUES (${EXEC_COLUMNS.split(',')
  .map(() => '?')
  .join(', ')})`;
export const execValues = (e: Execution): unknown[] => [
  e.jobId,
  e.deviceId,
  e.executionNumber,
  e.status,
  JSON.stringify(e.statusDetails),
  e.versionNumber,
  e.queuedAt,
  e.startedAt,
  e.lastUpdatedAt,
  e.timeoutAt,
  e.stepTimeoutAt,
  e.retriesFailed,
  e.retriesTimedOut,
  1,
];

export const JOB_COLUMNS =
  'id, description, document, targets, continuous, status, config, rollout, reason, created_at, updated_at, completed_at, revision';
export const jobValues = (j: Job): unknown[] => [
  j.id,
  j.description,
  JSON.stringify(j.document),
  JSON.stringify(j.targets),
  j.continuous ? 1 : 0,
  j.status,
  JSON.stringify(j.config),
  JSON.stringify(j.rollout),
  j.reason,
  j.createdAt,
  j.updatedAt,
  j.completedAt,
  j.revision,
];
