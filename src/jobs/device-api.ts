/**
 * The four device requests of the AWS IoT Jobs MQTT API, answered from the store: GetPendingJobExecutions
 * (`jobs/get`), StartNextPendingJobExecution (`jobs/start-next`), DescribeJobExecution
 * (`jobs/{jobId}/get`) and UpdateJobExecution (`jobs/{jobId}/update`). Every change is written with a
 * compare-and-set before the answer goes out; a lost race is answered as AWS would answer it then.
 */
import type { DescribeRequest, StartNextRequest, UpdateRequest } from './device-requests.js';
import { executionOf, nextOf, summaryOf } from './device-views.js';
import { deviceError } from './errors.js';
import { deviceUpdate, start, stateOf } from './execution-rules.js';
import type { ExecutionChange, JobsStore } from './jobs-store.js';
import type { Notifier } from './notifier.js';
import type { Execution, Job } from './types.js';

export interface DeviceApiDeps {
  store: JobsStore;
  notifier: Notifier;
  now(): number;
  render(job: Job, e: Execution): Promise<Record<string, unknown>>;
  /** Called after an execution change is durable (metrics, abort criteria, events). */
  onChange(change: ExecutionChange, job: Job): void;
}

type Body = Record<string, unknown>;

/** Lost compare-and-set races are retried this many times before answering from the latest state. */
const ATTEMPTS = 3;

export class DeviceApi {
  constructor(private readonly d: DeviceApiDeps) {}

  async list(thing: string): Promise<Body> {
    const pending = await this.d.store.pendingFor(thing);
    return {
      inProgressJobs: pending.filter((e) => e.status === 'IN_PROGRESS').map(summaryOf),
      queuedJobs: pending.filter((e) => e.status === 'QUEUED').map(summaryOf),
    };
  }

  async startNext(thing: string, req: StartNextRequest): Promise<Body> {
    for (let i = 0; i < ATTEMPTS; i++) {
      const pending = await this.d.store.pendingFor(thing);
      const next = nextOf(pending);
      // AWS: no pending execution is an accepted answer without `execution`.
      if (!next) return {};
      const job = await this.job(next.jobId);
      const change = start(job, next, req, this.d.now());
      if (!change) return { execution: executionOf(next, await this.d.render(job, next)) };
      if (!(await this.d.store.commitExecution(change))) continue;
      this.after(change, job, thing, pending);
      return { execution: executionOf(change.update, await this.d.render(job, change.update)) };
    }
    throw deviceError('InternalError', 'the job execution kept changing; try again');
  }

  async describe(thing: string, jobId: string, req: DescribeRequest): Promise<Body> {
    let e: Execution | undefined;
    if (jobId === '$next') {
      e = nextOf(await this.d.store.pendingFor(thing));
      if (!e) return {};
    } else e = await this.d.store.getExecution(jobId, thing, req.executionNumber);
    if (!e) throw deviceError('ResourceNotFound', `no job execution of ${jobId} for ${thing}`);
    if (!req.includeJobDocument) return { execution: executionOf(e) };
    const job = await this.job(e.jobId);
    return { execution: executionOf(e, await this.d.render(job, e)) };
  }

  async update(thing: string, jobId: string, req: UpdateRequest): Promise<Body> {
    for (let i = 0; i < ATTEMPTS; i++) {
      const e = await this.d.store.getExecution(jobId, thing, req.executionNumber);
      if (!e) throw deviceError('ResourceNotFound', `no job execution of ${jobId} for ${thing}`);
      const job = await this.job(jobId);
      const pending = await this.d.store.pendingFor(thing);
      const change = deviceUpdate(job, e, req, this.d.now());
      if (!(await this.d.store.commitExecution(change))) {
        // Someone else wrote it first: a device's own expectedVersion now mismatches, as in AWS.
        if (req.expectedVersion !== undefined) {
          const cur = await this.d.store.getExecution(jobId, thing, e.executionNumber);
          throw deviceError('VersionMismatch', 'the job execution changed', cur && stateOf(cur));
        }
        continue;
      }
      this.after(change, job, thing, pending);
      const out: Body = {};
      if (req.includeJobExecutionState) out.executionState = stateOf(change.update);
      if (req.includeJobDocument) out.jobDocument = await this.d.render(job, change.update);
      return out;
    }
    throw deviceError('InternalError', 'the job execution kept changing; try again');
  }

  private async job(id: string): Promise<Job> {
    const job = await this.d.store.getJob(id);
    if (!job) throw deviceError('ResourceNotFound', `job ${id} not found`);
    return job;
  }

  private after(change: ExecutionChange, job: Job, thing: string, before: Execution[]): void {
    this.d.onChange(change, job);
    void this.d.notifier.changed(thing, { before });
  }
}
