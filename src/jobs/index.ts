/**
 * OTA and bulk jobs: the AWS IoT Jobs device MQTT API over `$aws/things/{thing}/jobs/…`, jobs and
 * executions durable in the store, rollouts with AWS's rate, abort, retry and timeout settings plus
 * health gates, and firmware artifacts behind signed, expiring, per-device URLs. See docs/jobs.md.
 */
import { join } from 'node:path';
import { Counter } from 'prom-client';
import { type DeviceDirectory } from '../core/index.js';
import { ownershipOf, type ModuleContext, type PlatformModule } from '../platform/index.js';
import { Artifacts } from './artifacts.js';
import { DeviceApi } from './device-api.js';
import { HealthWatch } from './health-watch.js';
import type { ExecutionChange, JobsStore } from './jobs-store.js';
import { jobsMessageHandler, type AuthorizeRequest } from './mqtt-handler.js';
import { Notifier } from './notifier.js';
import { createPgJobsStore } from './pg-jobs-store.js';
import { artifactRoutes } from './routes-artifacts.js';
import { jobRoutes } from './routes.js';
import { Scheduler } from './scheduler.js';
import { JobsService } from './service.js';
import { createSqliteJobsStore } from './sqlite-jobs-store.js';
import type { SloSource } from './slo-freeze.js';
import type { Job } from './types.js';
import { isTerminal } from './transitions.js';

export { JobsService, MAX_DOCUMENT_BYTES, type CreateJobInput, type JobView } from './service.js';
export { JobErrors, DeviceJobError } from './errors.js';
export type { Execution, ExecutionStatus, Job, JobStatus, ProgressCounts } from './types.js';
export type { AuthorizeRequest } from './mqtt-handler.js';
export type { SloSource, SloFreeze } from './slo-freeze.js';

export interface JobsModule extends PlatformModule {
  service: JobsService;
  scheduler: Scheduler;
  artifacts: Artifacts;
  store: JobsStore;
  /** Resolves when the scheduler pass and health recording in flight are done (tests). */
  idle(): Promise<void>;
}

export interface JobsOptions {
  /**
   * May `clientId` publish the jobs request `topic`? The app passes the broker's publish ACL, so
   * a device reaches its own jobs topics (the default ACL template) and only what its ACL grants.
   * Default: only the thing itself (client id = thing name), or any client in allow-anonymous mode.
   */
  authorizeRequest?: AuthorizeRequest;
  /** Base URL devices download artifacts from (default `http://<host>:<http port>` once listening). */
  publicUrl?: () => string;
  /** Scheduler pass interval (default 1 s). */
  intervalMs?: number;
  /** The SLO engine (the slo module's `engine`), for error-budget freezes of rollouts. */
  slos?: SloSource;
}

export function openJobsStore(ctx: Pick<ModuleContext, 'db'>): Promise<JobsStore> {
  return ctx.db.kind === 'sqlite' ? createSqliteJobsStore(ctx.db) : createPgJobsStore(ctx.db);
}

export async function createJobs(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  opts: JobsOptions = {},
): Promise<JobsModule> {
  const log = ctx.log.child({ module: 'jobs' });
  const store = await openJobsStore(ctx);
  const now = (): number => ctx.clock.now();
  const artifacts = new Artifacts(store, {
    dir: ctx.config.artifactsDir ?? join(ctx.config.dataDir, 'artifacts'),
    now,
    publicUrl: opts.publicUrl ?? (() => `http://${ctx.config.host}:${ctx.config.httpPort}`),
  });
  const render = (job: Job, e: Parameters<Artifacts['render']>[1]) => artifacts.render(job, e);
  const transitions = new Counter({
    name: 'tsunagu_jobs_executions_total',
    help: 'Job execution status changes, by the status reached',
    labelNames: ['status'],
    registers: [ctx.metrics],
  });
  const answers = new Counter({
    name: 'tsunagu_jobs_device_requests_total',
    help: 'Jobs MQTT API requests answered, by operation and outcome (accepted or the rejection code)',
    labelNames: ['op', 'outcome'],
    registers: [ctx.metrics],
  });
  const late: { scheduler?: Scheduler } = {};
  const onChange = (c: ExecutionChange): void => {
    transitions.inc({ status: c.update.status });
    if (c.insert) transitions.inc({ status: 'QUEUED' });
    // A finished execution may meet an abort criterion or complete the job: judge it now.
    if (isTerminal(c.update.status)) late.scheduler?.soon();
  };
  const notifier = new Notifier({
    broker: ctx.broker,
    log,
    now,
    pendingFor: (id) => store.pendingFor(id),
    getJob: (id) => store.getJob(id),
    render,
  });
  const watch = new HealthWatch(store, log);
  const svc = new JobsService({
    store,
    directory,
    notifier,
    bus: ctx.bus,
    now,
    missingArtifacts: (doc) => artifacts.missing(doc),
    kick: () => late.scheduler?.kick(),
    slos: opts.slos,
    onChange,
  });
  const scheduler = new Scheduler({
    store,
    service: () => svc,
    notifier,
    ownership: ownershipOf(ctx),
    clock: ctx.clock,
    bus: ctx.bus,
    log,
    ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
    onChange,
    gatedJobs: (jobs) => watch.setJobs(jobs),
    slos: opts.slos,
  });
  late.scheduler = scheduler;
  const api = new DeviceApi({ store, notifier, now, render, onChange });
  const isAnonymous = (clientId: string): boolean => {
    const info = ctx.broker.clientInfo(clientId);
    return ctx.config.allowAnonymous && info?.username === undefined && info?.certFingerprint === undefined;
  };
  const authorize: AuthorizeRequest =
    opts.authorizeRequest ?? ((clientId, topic) => topic.split('/')[2] === clientId || isAnonymous(clientId));
  const off: (() => void)[] = [];
  const reacting = new Set<Promise<void>>();
  const react = (p: Promise<void>): void => {
    const q = p
      .catch((err: unknown) => log.warn({ err }, 'jobs: reacting to a device change failed'))
      .finally(() => reacting.delete(q));
    reacting.add(q);
  };

  return {
    name: 'jobs',
    service: svc,
    scheduler,
    artifacts,
    store,
    routes: async (api) => {
      await api.register(async (scope) => {
        artifactRoutes(artifacts, store)(scope);
      });
      jobRoutes(svc)(api);
    },
    async start() {
      await artifacts.start();
      off.push(
        ctx.broker.subscribe(
          '$aws/things/+/jobs/#',
          jobsMessageHandler({
            api,
            broker: ctx.broker,
            log,
            now,
            authorize,
            answered: (op, outcome) => answers.inc({ op, outcome }),
          }),
        ),
        ctx.bus.on('device.changed', (e) => {
          react(e.change === 'deleted' ? svc.deviceDeleted(e.deviceId) : svc.deviceChanged(e.deviceId));
        }),
        ownershipOf(ctx).onChange((c) => {
          if (c.gained.length) scheduler.kick();
        }),
      );
      watch.start(ctx.bus);
      scheduler.start();
    },
    async stop() {
      for (const f of off.splice(0)) f();
      await scheduler.stop();
      await watch.stop();
      await Promise.all(reacting);
    },
    async idle() {
      for (let i = 0; i < 3; i++) {
        await Promise.all(reacting);
        await watch.idle();
        await scheduler.idle();
      }
    },
  };
}
