/**
 * What the jobs module persists: jobs with their rollout state and timeline, the targets a rollout
 * releases, every execution (retries are new executions, as in AWS), artifacts, health observations
 * for health gates, and the module's keys. Two adapters (SQLite, PostgreSQL) share one
 * implementation over `SqlPort` and pass one contract suite (`jobs-store.contract.ts`).
 */
import type { Migration } from '../store/index.js';
import type {
  Execution,
  ExecutionStatus,
  HealthSignal,
  Job,
  JobStatus,
  ProgressCounts,
  TimelineEntry,
} from './types.js';

export interface ExecutionQuery {
  jobId?: string;
  deviceId?: string;
  status?: ExecutionStatus;
  /** Only the latest execution per (job, device) — the default. */
  latestOnly?: boolean;
  limit: number;
  offset: number;
}

/** One execution write: `update` replaces the row whose version is `expectVersion`; `insert` adds a retry. */
export interface ExecutionChange {
  update: Execution;
  expectVersion: number;
  insert?: Execution;
}

export interface Artifact {
  id: string;
  name: string;
  size: number;
  sha256: string;
  /** base64 ed25519 signature over the sha256 digest, when signed. */
  signature: string | null;
  contentType: string;
  createdAt: number;
}

export interface GateCounts {
  updated: number;
  updatedBad: number;
  others: number;
  othersBad: number;
}

export interface JobsStore {
  /** The job and its resolved targets, in one transaction. */
  createJob(job: Job, deviceIds: readonly string[]): Promise<void>;
  getJob(id: string): Promise<Job | undefined>;
  listJobs(q: { status?: JobStatus; limit: number; offset: number }): Promise<Job[]>;
  /** Jobs still rolling out or waiting (IN_PROGRESS, PAUSED). */
  activeJobs(): Promise<Job[]>;
  /** Compare-and-set on `revision`: false when someone else wrote the job since it was read. */
  updateJob(job: Job, expectRevision: number): Promise<boolean>;
  /** The job, its targets, executions and timeline; false when there was none. */
  deleteJob(id: string): Promise<boolean>;
  /** Add targets that are not there yet (continuous jobs); the number added. */
  addTargets(jobId: string, deviceIds: readonly string[]): Promise<number>;
  isTarget(jobId: string, deviceId: string): Promise<boolean>;
  /** Jobs (any state) that target the device. */
  jobsTargeting(deviceId: string): Promise<string[]>;
  /** Release up to `n` targets in order: each gets a QUEUED execution #1. Returns those executions. */
  releaseTargets(jobId: string, n: number, now: number): Promise<Execution[]>;
  counts(jobId: string): Promise<ProgressCounts>;
  getExecution(jobId: string, deviceId: string, executionNumber?: number): Promise<Execution | undefined>;
  listExecutions(q: ExecutionQuery): Promise<Execution[]>;
  /** The device's pending (QUEUED, IN_PROGRESS) latest executions, oldest queued first. */
  pendingFor(deviceId: string): Promise<Execution[]>;
  /** Compare-and-set on the version number; false when the execution changed since it was read. */
  commitExecution(c: ExecutionChange): Promise<boolean>;
  /** IN_PROGRESS executions whose timer ended at or before `now`. */
  dueTimeouts(now: number, limit: number): Promise<Execution[]>;
  /**
   * Cancel a job's pending latest executions (QUEUED; IN_PROGRESS too when `force`) in one write;
   * returns the executions as they are now.
   */
  cancelExecutions(jobId: string, force: boolean, now: number): Promise<Execution[]>;
  /** A device left the registry: its pending executions become REMOVED. Returns them. */
  removeDevice(deviceId: string, now: number): Promise<Execution[]>;
  addTimeline(jobId: string, entry: TimelineEntry): Promise<void>;
  timeline(jobId: string, limit: number): Promise<TimelineEntry[]>;
  putArtifact(a: Artifact): Promise<void>;
  getArtifact(id: string): Promise<Artifact | undefined>;
  /** By id, or else by name (the newest with that name). */
  findArtifact(idOrName: string): Promise<Artifact | undefined>;
  listArtifacts(limit: number, offset: number): Promise<Artifact[]>;
  deleteArtifact(id: string): Promise<boolean>;
  /** Store `value` under `key` unless one is stored; returns the stored value (one per cluster). */
  setting(key: string, value: string): Promise<string>;
  recordHealth(jobId: string, deviceId: string, at: number, signal: HealthSignal): Promise<void>;
  /** Distinct devices per group over [since, until): updated = latest SUCCEEDED (signals after success). */
  gateCounts(jobId: string, since: number, until: number): Promise<GateCounts>;
}

const ddl = (bigint: string, serial: string): string => `
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  document TEXT NOT NULL,
  targets TEXT NOT NULL,
  continuous INTEGER NOT NULL,
  status TEXT NOT NULL,
  config TEXT NOT NULL,
  rollout TEXT NOT NULL,
  reason TEXT,
  created_at ${bigint} NOT NULL,
  updated_at ${bigint} NOT NULL,
  completed_at ${bigint},
  revision INTEGER NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, created_at);
CREATE TABLE job_targets (
  job_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  seq ${bigint} NOT NULL,
  released INTEGER NOT NULL,
  PRIMARY KEY (job_id, device_id)
);
CREATE INDEX job_targets_release ON job_targets (job_id, released, seq);
CREATE INDEX job_targets_device ON job_targets (device_id);
CREATE TABLE job_executions (
  job_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  execution_number INTEGER NOT NULL,
  status TEXT NOT NULL,
  status_details TEXT NOT NULL,
  version_number INTEGER NOT NULL,
  queued_at ${bigint} NOT NULL,
  started_at ${bigint},
  last_updated_at ${bigint} NOT NULL,
  timeout_at ${bigint},
  step_timeout_at ${bigint},
  retries_failed INTEGER NOT NULL,
  retries_timed_out INTEGER NOT NULL,
  latest INTEGER NOT NULL,
  PRIMARY KEY (job_id, device_id, execution_number)
);
CREATE INDEX job_executions_device ON job_executions (device_id, latest, status, queued_at);
CREATE INDEX job_executions_job ON job_executions (job_id, latest, status);
CREATE INDEX job_executions_timeout ON job_executions (timeout_at);
CREATE TABLE job_timeline (
  id ${serial} PRIMARY KEY,
  job_id TEXT NOT NULL,
  at ${bigint} NOT NULL,
  event TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX job_timeline_job ON job_timeline (job_id, id);
CREATE TABLE job_artifacts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  size ${bigint} NOT NULL,
  sha256 TEXT NOT NULL,
  signature TEXT,
  content_type TEXT NOT NULL,
  created_at ${bigint} NOT NULL
);
CREATE INDEX job_artifacts_name ON job_artifacts (name, created_at);
CREATE TABLE job_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE job_health (
  job_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  at ${bigint} NOT NULL,
  signal TEXT NOT NULL
);
CREATE INDEX job_health_job ON job_health (job_id, at);
`;

/** Execution pages per job and per device come in queue order without sorting the whole job. */
const pageIndexes = `
CREATE INDEX job_executions_job_page ON job_executions (job_id, latest, queued_at, device_id);
CREATE INDEX job_executions_device_page ON job_executions (device_id, latest, queued_at);
`;

export const JOBS_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'jobs, targets, executions, timeline, artifacts, settings, health',
    sqlite: ddl('INTEGER', 'INTEGER'),
    postgres: ddl('BIGINT', 'BIGSERIAL'),
  },
  { id: 2, name: 'execution page indexes', sqlite: pageIndexes, postgres: pageIndexes },
];
