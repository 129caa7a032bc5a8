/**
 * Health observations for health gates: bad signals from the event bus (heartbeat missed, hardware
 * error, decode error, failed command) about devices a gated job targets are stored, so any node's
 * evaluation sees every node's observations.
 */
import type { EventBus, Logger } from '../core/index.js';
import type { JobsStore } from './jobs-store.js';
import type { HealthSignal, Job } from './types.js';

export class HealthWatch {
  private gated: Job[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly off: (() => void)[] = [];

  constructor(
    private readonly store: JobsStore,
    private readonly log: Logger,
  ) {}

  setJobs(jobs: Job[]): void {
    this.gated = jobs;
  }

  start(bus: EventBus): void {
    this.off.push(
      bus.on('heartbeat.checked', (e) => {
        if (!e.received) this.saw(e.deviceId, e.at, 'heartbeat_lost');
      }),
      bus.on('device.message', (e) => {
        if (e.hardwareError) this.saw(e.deviceId, e.at, 'hardware_error');
        if (!e.decoded) this.saw(e.deviceId, e.at, 'decode_error');
      }),
      bus.on('command.finished', (e) => {
        if (e.status === 'failed' || e.status === 'timed_out')
          this.saw(e.deviceId, e.finishedAt, 'command_failed');
      }),
    );
  }

  async stop(): Promise<void> {
    for (const f of this.off.splice(0)) f();
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }

  private saw(deviceId: string, at: number, signal: HealthSignal): void {
    const jobs = this.gated.filter((j) => j.config.healthGate?.signals.includes(signal));
    if (!jobs.length) return;
    const p = (async () => {
      for (const j of jobs)
        if (await this.store.isTarget(j.id, deviceId))
          await this.store.recordHealth(j.id, deviceId, at, signal);
    })()
      .catch((err: unknown) => this.log.warn({ err, deviceId }, 'jobs: recording a health signal failed'))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
