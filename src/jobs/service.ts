/**
 * The operator side of jobs: create (targets resolved through the device directory), status with
 * counts per state, executions per job and per device, cancel, pause/resume, delete — and the
 * registry reactions (continuous targets, removed devices).
 */
import { randomUUID } from 'node:crypto';
import { Batcher, type DeviceDirectory, type EventBus } from '../core/index.js';
import { JobErrors } from './errors.js';
import type { ExecutionChange, JobsStore } from './jobs-store.js';
import type { Notifier } from './notifier.js';
import { parseScheduling, schedulePhase, type SchedulingInput, type ScheduleState } from './job-schedule.js';
import { initialRollout } from './rollout.js';
import type { SloFreeze, SloSource } from './slo-freeze.js';
import { JOB_ID } from './topics.js';
import type {
  AbortCriterion,
  Execution,
  HealthGate,
  Job,
  JobStatus,
  ProgressCounts,
  RetryCriterion,
  RolloutConfig,
  TimelineEntry,
} from './types.js';

/** AWS IoT Jobs: a job document is at most 32 KB. */
export const MAX_DOCUMENT_BYTES = 32 * 1024;

/** The create request, with AWS CreateJob's field names where AWS has the concept. */
export interface CreateJobInput {
  jobId?: string;
  description?: string;
  document: Record<string, unknown>;
  targets: { deviceIds?: string[]; models?: string[]; tags?: string[] };
  targetSelection?: 'SNAPSHOT' | 'CONTINUOUS';
  jobExecutionsRolloutConfig?: RolloutConfig;
  abortConfig?: { criteriaList: AbortCriterion[] };
  jobExecutionsRetryConfig?: { criteriaList: RetryCriterion[] };
  timeoutConfig?: { inProgressTimeoutInMinutes?: number };
  healthGate?: HealthGate;
  presignedUrlConfig?: { expiresInSec: number };
  schedulingConfig?: SchedulingInput;
  sloFreeze?: Partial<SloFreeze>;
}

export interface JobView extends Omit<Job, 'revision' | 'rollout'> {
  rollout: { ratePerMinute: number | null; soakUntil: number | null };
  progress: ProgressCounts;
  /** Where the schedule stands now (jobs with a `schedulingConfig`). */
  schedule?: ScheduleState;
}

export interface ServiceDeps {
  store: JobsStore;
  directory: DeviceDirectory;
  notifier: Notifier;
  bus: EventBus;
  now(): number;
  /** Artifacts the document's placeholders name that do not exist. */
  missingArtifacts(document: unknown): Promise<string[]>;
  /** Release what the rollout allows now (the scheduler). */
  kick(jobId: string): void;
  /** The SLO engine, for error-budget freezes (absent: `sloFreeze` is refused). */
  slos?: SloSource | undefined;
  /** Executions changed outside the device API (metrics). */
  onChange(change: ExecutionChange, job: Job): void;
}

const invalid = JobErrors.invalid;

/** Device changes handled together (one read of the active jobs for each batch). */
const CHANGE_BATCH = 1000;

export class JobsService {
  /** Device changes of one event-loop turn; each item's result is its error, if any. */
  private readonly changes = new Batcher<string, Error | undefined>(
    (ids) => this.devicesChanged(ids),
    CHANGE_BATCH,
  );

  constructor(private readonly d: ServiceDeps) {}

  async create(input: CreateJobInput): Promise<JobView> {
    const now = this.d.now();
    const id = input.jobId ?? randomUUID();
    if (!JOB_ID.test(id)) throw invalid('jobId', 'letters, digits, "-" and "_", 1 to 64 characters');
    const size = Buffer.byteLength(JSON.stringify(input.document));
    if (size > MAX_DOCUMENT_BYTES)
      throw invalid('document', `${size} bytes; a job document is at most ${MAX_DOCUMENT_BYTES}`);
    const targets = {
      deviceIds: [...new Set(input.targets.deviceIds ?? [])],
      models: [...new Set(input.targets.models ?? [])],
      tags: [...new Set(input.targets.tags ?? [])],
    };
    const continuous = input.targetSelection === 'CONTINUOUS';
    if (!targets.deviceIds.length && !targets.models.length && !targets.tags.length)
      throw invalid('targets', 'name at least one device id, model or tag');
    const exp = input.jobExecutionsRolloutConfig?.exponentialRate;
    if (exp && Math.round(exp.incrementFactor * 10) !== exp.incrementFactor * 10)
      throw invalid(
        'jobExecutionsRolloutConfig.exponentialRate.incrementFactor',
        'at most one digit after the decimal point',
      );
    if (
      exp &&
      exp.rateIncreaseCriteria.numberOfNotifiedThings === undefined &&
      exp.rateIncreaseCriteria.numberOfSucceededThings === undefined
    )
      throw invalid(
        'jobExecutionsRolloutConfig.exponentialRate.rateIncreaseCriteria',
        'set numberOfNotifiedThings or numberOfSucceededThings',
      );
    const schedule = input.schedulingConfig ? parseScheduling(input.schedulingConfig, now) : undefined;
    const sloFreeze = input.sloFreeze ? this.freezeOf(input.sloFreeze) : undefined;
    const missing = await this.d.missingArtifacts(input.document);
    if (missing.length) throw invalid('document', `refers to unknown artifact ${missing.join(', ')}`);
    if (await this.d.store.getJob(id)) throw JobErrors.jobExists(id);
    const deviceIds = await this.resolve(targets);
    const config: Job['config'] = {
      rollout: input.jobExecutionsRolloutConfig ?? {},
      abort: input.abortConfig?.criteriaList ?? [],
      retry: input.jobExecutionsRetryConfig?.criteriaList ?? [],
      ...(input.timeoutConfig?.inProgressTimeoutInMinutes !== undefined
        ? { inProgressTimeoutMinutes: input.timeoutConfig.inProgressTimeoutInMinutes }
        : {}),
      ...(input.healthGate ? { healthGate: input.healthGate } : {}),
      ...(input.presignedUrlConfig
        ? { presignedUrlExpiresInSec: input.presignedUrlConfig.expiresInSec }
        : {}),
      ...(schedule ? { schedule } : {}),
      ...(sloFreeze ? { sloFreeze } : {}),
    };
    const job: Job = {
      id,
      description: input.description ?? '',
      document: input.document,
      targets,
      continuous,
      status: 'IN_PROGRESS',
      config,
      rollout: initialRollout({ config }, now),
      reason: null,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
      revision: 1,
    };
    await this.d.store.createJob(job, deviceIds);
    await this.timeline(id, 'created', { targets: deviceIds.length, continuous });
    this.d.kick(id);
    return this.status(id);
  }

  private freezeOf(f: Partial<SloFreeze>): SloFreeze {
    const slos = this.d.slos;
    if (!slos) throw invalid('sloFreeze', 'SLOs are not available on this platform');
    const names = f.slos ?? [];
    names.forEach((n, i) => {
      if (!slos.has(n)) throw invalid(`sloFreeze.slos[${i}]`, `SLO ${n} not found`);
    });
    return {
      slos: names,
      targetModels: f.targetModels ?? true,
      trigger: f.trigger ?? 'BUDGET_EXHAUSTED',
      onRecovery: f.onRecovery ?? 'RESUME',
    };
  }

  /** Device ids in target order: named devices, then each model's, then each tag's. */
  private async resolve(t: Job['targets']): Promise<string[]> {
    const out = new Set<string>();
    for (const [i, id] of t.deviceIds.entries()) {
      if (!(await this.d.directory.getDevice(id)))
        throw invalid(`targets.deviceIds[${i}]`, `device ${id} not found`);
      out.add(id);
    }
    for (const model of t.models)
      for await (const d of this.d.directory.listDevices({ model })) out.add(d.id);
    for (const tag of t.tags) for await (const d of this.d.directory.listDevices({ tag })) out.add(d.id);
    return [...out];
  }

  async get(id: string): Promise<Job> {
    const job = await this.d.store.getJob(id);
    if (!job) throw JobErrors.jobNotFound(id);
    return job;
  }

  async status(id: string): Promise<JobView> {
    const job = await this.get(id);
    return this.view(job, await this.d.store.counts(id));
  }

  view(job: Job, progress: ProgressCounts): JobView {
    const { revision: _r, rollout, ...rest } = job;
    const limited = rollout.ratePerMinute < 1_000_000_000;
    return {
      ...rest,
      rollout: {
        ratePerMinute: limited ? rollout.ratePerMinute : null,
        soakUntil: rollout.soakUntil > 0 ? rollout.soakUntil : null,
      },
      progress,
      ...(job.config.schedule ? { schedule: schedulePhase(job.config.schedule, this.d.now()) } : {}),
    };
  }

  list(q: { status?: JobStatus; limit: number; offset: number }): Promise<Job[]> {
    return this.d.store.listJobs(q);
  }

  timelineOf(id: string, limit = 1000): Promise<TimelineEntry[]> {
    return this.d.store.timeline(id, limit);
  }

  async executions(q: {
    jobId?: string;
    deviceId?: string;
    status?: Execution['status'];
    all?: boolean;
    limit: number;
    offset: number;
  }): Promise<Execution[]> {
    if (q.jobId !== undefined) await this.get(q.jobId);
    return this.d.store.listExecutions({
      ...(q.jobId !== undefined ? { jobId: q.jobId } : {}),
      ...(q.deviceId !== undefined ? { deviceId: q.deviceId } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      latestOnly: !q.all,
      limit: q.limit,
      offset: q.offset,
    });
  }

  /** Change the job row with a compare-and-set retry loop; returns the job as written. */
  async mutate(id: string, fn: (j: Job) => boolean): Promise<Job> {
    for (;;) {
      const job = await this.get(id);
      const rev = job.revision;
      if (!fn(job)) return job;
      job.updatedAt = this.d.now();
      if (await this.d.store.updateJob(job, rev)) return job;
    }
  }

  /** AWS CancelJob: QUEUED executions are canceled; IN_PROGRESS ones too when `force`. */
  async cancel(id: string, opts: { force?: boolean; reason?: string; by?: string } = {}): Promise<JobView> {
    const before = await this.get(id);
    if (before.status === 'COMPLETED')
      throw JobErrors.badState(id, before.status, 'a completed job cannot be canceled');
    let changed = false;
    await this.mutate(id, (j) => {
      changed = false;
      if (j.status === 'CANCELED') return false;
      j.status = 'CANCELED';
      j.reason = opts.reason ?? 'canceled by an operator';
      j.completedAt = this.d.now();
      return (changed = true);
    });
    await this.cancelExecutions(id, opts.force === true);
    await this.timeline(id, 'canceled', {
      force: opts.force === true,
      reason: opts.reason ?? null,
      by: opts.by ?? null,
    });
    if (changed) {
      const c = await this.d.store.counts(id);
      this.d.bus.emit('job.finished', {
        jobId: id,
        status: 'CANCELED',
        succeeded: c.SUCCEEDED,
        failed: c.FAILED + c.REJECTED + c.TIMED_OUT,
        reason: opts.reason ?? 'canceled by an operator',
        at: this.d.now(),
      });
    }
    return this.status(id);
  }

  private async cancelExecutions(id: string, force: boolean): Promise<void> {
    const canceled = await this.d.store.cancelExecutions(id, force, this.d.now());
    for (const e of canceled) await this.d.notifier.changed(e.deviceId, { removed: [e] });
  }

  /** AWS CancelJobExecution for one device. */
  async cancelExecution(jobId: string, deviceId: string, force: boolean): Promise<Execution> {
    const job = await this.get(jobId);
    for (;;) {
      const e = await this.d.store.getExecution(jobId, deviceId);
      if (!e) throw JobErrors.executionNotFound(jobId, deviceId);
      if (e.status !== 'QUEUED' && !(e.status === 'IN_PROGRESS' && force))
        throw JobErrors.executionState(deviceId, e.status);
      const before = await this.d.store.pendingFor(deviceId);
      const now = this.d.now();
      const update: Execution = {
        ...e,
        status: 'CANCELED',
        versionNumber: e.versionNumber + 1,
        lastUpdatedAt: now,
        timeoutAt: null,
        stepTimeoutAt: null,
      };
      const change = { update, expectVersion: e.versionNumber };
      if (!(await this.d.store.commitExecution(change))) continue;
      this.d.onChange(change, job);
      await this.d.notifier.changed(deviceId, { before });
      return update;
    }
  }

  async pause(id: string, reason: string): Promise<JobView> {
    const job = await this.get(id);
    if (job.status !== 'IN_PROGRESS' && job.status !== 'PAUSED')
      throw JobErrors.badState(id, job.status, 'only a job in progress can be paused');
    await this.mutate(id, (j) => {
      if (j.status !== 'IN_PROGRESS') return false;
      j.status = 'PAUSED';
      j.reason = reason;
      return true;
    });
    await this.timeline(id, 'paused', { reason });
    return this.status(id);
  }

  async resume(id: string): Promise<JobView> {
    const job = await this.get(id);
    if (job.status !== 'PAUSED') throw JobErrors.badState(id, job.status, 'only a paused job can be resumed');
    await this.mutate(id, (j) => {
      if (j.status !== 'PAUSED') return false;
      j.status = 'IN_PROGRESS';
      j.reason = null;
      j.rollout = { ...j.rollout, soakUntil: 0, frozenBySlo: false };
      return true;
    });
    await this.timeline(id, 'resumed');
    this.d.kick(id);
    return this.status(id);
  }

  /** AWS DeleteJob: a job with pending executions needs `force` (they are canceled first). */
  async delete(id: string, force: boolean): Promise<void> {
    const job = await this.get(id);
    const c = await this.d.store.counts(id);
    if ((c.QUEUED > 0 || c.IN_PROGRESS > 0) && !force)
      throw JobErrors.badState(id, job.status, 'it has pending executions; delete with force=true');
    if (c.QUEUED > 0 || c.IN_PROGRESS > 0) await this.cancelExecutions(id, true);
    await this.d.store.deleteJob(id);
  }

  async timeline(jobId: string, event: string, detail?: Record<string, unknown>): Promise<void> {
    await this.d.store.addTimeline(jobId, { at: this.d.now(), event, ...(detail ? { detail } : {}) });
  }

  /**
   * A device was created or changed: continuous jobs whose models or tags now match get it. The
   * changes of one event-loop turn share one read of the active jobs, made after that turn, so it
   * sees every job created before the changes (an import of 100,000 devices read them 100,000 times).
   */
  async deviceChanged(deviceId: string): Promise<void> {
    const err = await this.changes.add(deviceId);
    if (err !== undefined) throw err;
  }

  private async devicesChanged(ids: string[]): Promise<(Error | undefined)[]> {
    const jobs = (await this.d.store.activeJobs()).filter((j) => j.continuous);
    if (jobs.length === 0) return ids.map(() => undefined);
    return Promise.all(
      ids.map(async (deviceId) => {
        try {
          await this.addToJobs(deviceId, jobs);
          return undefined;
        } catch (err) {
          return err instanceof Error ? err : new Error('jobs: device change failed', { cause: err });
        }
      }),
    );
  }

  private async addToJobs(deviceId: string, jobs: readonly Job[]): Promise<void> {
    const device = await this.d.directory.getDevice(deviceId);
    if (!device) return;
    for (const job of jobs) {
      const t = job.targets;
      const match =
        t.deviceIds.includes(deviceId) ||
        (device.model !== null && t.models.includes(device.model)) ||
        device.tags.some((tag) => t.tags.includes(tag));
      if (match && (await this.d.store.addTargets(job.id, [deviceId])) > 0) {
        await this.timeline(job.id, 'target-added', { deviceId });
        this.d.kick(job.id);
      }
    }
  }

  /** A device was deleted: its pending executions are REMOVED. */
  async deviceDeleted(deviceId: string): Promise<void> {
    const removed = await this.d.store.removeDevice(deviceId, this.d.now());
    if (removed.length) await this.d.notifier.changed(deviceId, { removed });
  }
}
