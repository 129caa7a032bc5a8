/**
 * The jobs timers: releasing targets at the rollout's rate, timing out executions, abort criteria,
 * health gates and completion. One periodic pass on the injected clock; every piece of work asks the
 * ownership seam first (`job:<id>` for a job's rollout, the device id for its execution's timer), and
 * every write is a compare-and-set, so a pass that races a lease move or another node writes nothing twice.
 */
import type { Clock, EventBus, Logger, Ownership } from '../core/index.js';
import { timeOut } from './execution-rules.js';
import type { ExecutionChange, JobsStore } from './jobs-store.js';
import type { Notifier } from './notifier.js';
import { abortCriterionMet, afterRelease, judgeGate, releasable } from './rollout.js';
import type { JobsService } from './service.js';
import { schedulePhase, type ScheduleState } from './job-schedule.js';
import { freezeReason, freezingSlos, watchedSlos, type SloFreeze, type SloSource } from './slo-freeze.js';
import type { Job, ProgressCounts } from './types.js';

export interface SchedulerDeps {
  store: JobsStore;
  service: () => JobsService;
  notifier: Notifier;
  ownership: Ownership;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  /** Pass interval (default 1 s). */
  intervalMs?: number;
  onChange(change: ExecutionChange, job: Job): void;
  /** The SLO engine (error-budget freezes). */
  slos?: SloSource | undefined;
  /** Jobs with a health gate changed (the health watcher's list). */
  gatedJobs(jobs: Job[]): void;
}

/** Executions released per job per pass: bounds one pass's work on huge jobs. */
const MAX_RELEASE_PER_PASS = 2000;
/** Notifications sent at once while releasing. */
const NOTIFY_PARALLEL = 64;
const MINUTE = 60_000;
const SOON_MS = 250;

export class Scheduler {
  private cancelTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(private readonly d: SchedulerDeps) {}

  start(): void {
    this.stopped = false;
    this.arm();
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.soonTimer?.();
    this.soonTimer = undefined;
    return this.idle();
  }

  private arm(): void {
    if (this.stopped) return;
    this.cancelTimer = this.d.clock.setTimer(this.d.intervalMs ?? 1000, () => {
      void this.pass().finally(() => this.arm());
    });
  }

  /** Run a pass soon (after a create, resume or new target). */
  kick(): void {
    if (!this.stopped) void this.pass();
  }

  private soonTimer: (() => void) | undefined;

  /**
   * A pass within `SOON_MS` (after an execution finished: abort criteria, completion). Coalesced, so
   * a stream of device updates costs one pass per interval, not one per update.
   */
  soon(): void {
    if (this.stopped || this.soonTimer) return;
    this.soonTimer = this.d.clock.setTimer(SOON_MS, () => {
      this.soonTimer = undefined;
      void this.pass();
    });
  }

  /** One pass; a pass asked for while one runs runs right after it. */
  pass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.passOnce();
        } catch (err) {
          this.d.log.error({ err }, 'jobs: scheduler pass failed');
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async passOnce(): Promise<void> {
    await this.timeouts();
    const jobs = await this.d.store.activeJobs();
    this.d.gatedJobs(jobs.filter((j) => j.config.healthGate));
    for (const job of jobs) if (this.d.ownership.owns(`job:${job.id}`)) await this.runJob(job);
  }

  private async timeouts(): Promise<void> {
    const now = this.d.clock.now();
    for (const e of await this.d.store.dueTimeouts(now, 1000)) {
      if (!this.d.ownership.owns(e.deviceId)) continue;
      const job = await this.d.store.getJob(e.jobId);
      if (!job) continue;
      const change = timeOut(job, e, now);
      if (!change) continue;
      const before = await this.d.store.pendingFor(e.deviceId);
      if (!(await this.d.store.commitExecution(change))) continue;
      this.d.onChange(change, job);
      await this.d.notifier.changed(e.deviceId, { before });
    }
  }

  private async runJob(job: Job): Promise<void> {
    const now = this.d.clock.now();
    const svc = this.d.service();
    let counts = await this.d.store.counts(job.id);
    const abort = abortCriterionMet(job.config.abort, counts);
    if (abort) {
      const reason = `abort criterion met: ${abort.criterion.failureType} ${abort.percent.toFixed(1)}% ≥ ${abort.criterion.thresholdPercentage}% of ${counts.SUCCEEDED + counts.FAILED + counts.REJECTED + counts.TIMED_OUT} executed`;
      await svc.cancel(job.id, { reason, by: 'abortConfig' });
      this.stopped_(job, 'canceled', reason, { criterion: abort.criterion, percent: abort.percent });
      return;
    }
    if (job.config.sloFreeze && (await this.sloFreeze(job, job.config.sloFreeze))) return;
    const gate = job.config.healthGate;
    if (gate && job.status === 'IN_PROGRESS') {
      const g = await this.d.store.gateCounts(job.id, now - gate.soakMinutes * MINUTE, now + 1);
      const v = judgeGate(gate, g);
      if (v.worse) {
        const reason = `health gate: ${v.updatedPercent.toFixed(1)}% of ${g.updated} updated devices unhealthy vs ${v.othersPercent.toFixed(1)}% of ${g.others} others (margin ${gate.marginPercent} points)`;
        const detail = { ...g, updatedPercent: v.updatedPercent, othersPercent: v.othersPercent };
        if (gate.action === 'CANCEL') await svc.cancel(job.id, { reason, by: 'healthGate' });
        else await svc.pause(job.id, reason);
        await svc.timeline(job.id, 'health-gate', detail);
        this.stopped_(job, gate.action === 'CANCEL' ? 'canceled' : 'paused', reason, detail);
        return;
      }
    }
    if (job.status !== 'IN_PROGRESS') return;
    const sched = job.config.schedule ? schedulePhase(job.config.schedule, now) : undefined;
    if (sched?.phase === 'ended' && !job.rollout.scheduleEnded) return this.endSchedule(job);
    if (job.config.schedule?.windows.length) await this.windowEdge(job, sched!);
    if (sched && sched.phase !== 'open') return this.completeIfDone(job, counts, sched.phase === 'ended');
    const { n } = releasable(job.rollout, now);
    const released = await this.d.store.releaseTargets(job.id, Math.min(n, MAX_RELEASE_PER_PASS), now);
    if (released.length > 0) {
      counts = await this.d.store.counts(job.id);
      await svc.mutate(job.id, (j) => {
        j.rollout = afterRelease(j, releasable(j.rollout, now).state, released.length, counts, now);
        return true;
      });
      await svc.timeline(job.id, 'released', {
        executions: released.length,
        pendingRollout: counts.PENDING_ROLLOUT,
      });
      for (let i = 0; i < released.length; i += NOTIFY_PARALLEL)
        await Promise.all(
          released
            .slice(i, i + NOTIFY_PARALLEL)
            .map((e) => this.d.notifier.changed(e.deviceId, { added: [e] })),
        );
      if (released.length === MAX_RELEASE_PER_PASS) this.again = true;
      return;
    }
    if (releasable(job.rollout, now).state.windowStart !== job.rollout.windowStart)
      await svc.mutate(job.id, (j) => {
        j.rollout = releasable(j.rollout, now).state;
        return true;
      });
    await this.completeIfDone(job, counts, false);
  }

  /**
   * Snapshot jobs complete when nothing is left to release or pending; after the schedule's end
   * (STOP_ROLLOUT) unreleased targets are dropped and continuous jobs complete too.
   */
  private async completeIfDone(job: Job, counts: ProgressCounts, ended: boolean): Promise<void> {
    if (job.continuous && !ended) return;
    if ((counts.PENDING_ROLLOUT > 0 && !ended) || counts.QUEUED > 0 || counts.IN_PROGRESS > 0) return;
    const now = this.d.clock.now();
    const svc = this.d.service();
    let changed = false;
    await svc.mutate(job.id, (j) => {
      changed = false;
      if (j.status !== 'IN_PROGRESS') return false;
      j.status = 'COMPLETED';
      j.completedAt = now;
      return (changed = true);
    });
    if (!changed) return;
    await svc.timeline(job.id, 'completed', { ...counts });
    this.d.bus.emit('job.finished', {
      jobId: job.id,
      status: 'COMPLETED',
      succeeded: counts.SUCCEEDED,
      failed: counts.FAILED + counts.REJECTED + counts.TIMED_OUT,
      at: now,
    });
  }

  /**
   * Error-budget freeze: pause while a watched SLO's budget is exhausted (or its alert fires); resume
   * a job the freeze paused once none does, when the policy says so. True when the job was paused now.
   */
  private async sloFreeze(job: Job, f: SloFreeze): Promise<boolean> {
    const src = this.d.slos;
    if (!src || (job.status !== 'IN_PROGRESS' && !job.rollout.frozenBySlo)) return false;
    const hits = freezingSlos(f, job, src);
    const svc = this.d.service();
    if (hits.length && job.status === 'IN_PROGRESS') {
      const reason = freezeReason(hits);
      await svc.pause(job.id, reason);
      await svc.mutate(job.id, (j) => {
        j.rollout = { ...j.rollout, frozenBySlo: true };
        return true;
      });
      const detail = { slos: hits };
      await svc.timeline(job.id, 'slo-freeze', detail);
      this.stopped_(job, 'paused', reason, detail);
      return true;
    }
    if (!hits.length && job.status === 'PAUSED' && f.onRecovery === 'RESUME') {
      await svc.timeline(job.id, 'slo-recovered', { slos: watchedSlos(f, job, src) });
      await svc.resume(job.id);
    }
    return false;
  }

  /** The schedule's end time passed: AWS `endBehavior` (once; the flag is written with the job). */
  private async endSchedule(job: Job): Promise<void> {
    const svc = this.d.service();
    const behavior = job.config.schedule!.endBehavior;
    await svc.mutate(job.id, (j) => {
      if (j.rollout.scheduleEnded) return false;
      j.rollout = { ...j.rollout, scheduleEnded: true };
      return true;
    });
    const counts = await this.d.store.counts(job.id);
    await svc.timeline(job.id, 'schedule-ended', {
      endBehavior: behavior,
      pendingRollout: counts.PENDING_ROLLOUT,
    });
    if (behavior === 'STOP_ROLLOUT') return this.completeIfDone(job, counts, true);
    await svc.cancel(job.id, {
      force: behavior === 'FORCE_CANCEL',
      reason: `schedule end time reached (${behavior})`,
      by: 'schedulingConfig',
    });
  }

  /** A maintenance window opened or closed since the last pass: one timeline entry per edge. */
  private async windowEdge(job: Job, state: ScheduleState): Promise<void> {
    const open = state.phase === 'open';
    if ((job.rollout.windowOpen ?? false) === open) return;
    job.rollout = { ...job.rollout, windowOpen: open };
    const svc = this.d.service();
    await svc.mutate(job.id, (j) => {
      if ((j.rollout.windowOpen ?? false) === open) return false;
      j.rollout = { ...j.rollout, windowOpen: open };
      return true;
    });
    await svc.timeline(
      job.id,
      open ? 'window-opened' : 'window-closed',
      open ? { closesAt: state.closesAt } : { opensAt: state.opensAt },
    );
  }

  private stopped_(
    job: Job,
    action: 'paused' | 'canceled',
    reason: string,
    detail: Record<string, unknown>,
  ): void {
    this.d.log.warn({ jobId: job.id, action, reason }, 'jobs: rollout stopped');
    this.d.bus.emit('job.rollout-stopped', { jobId: job.id, action, reason, at: this.d.clock.now(), detail });
  }
}
