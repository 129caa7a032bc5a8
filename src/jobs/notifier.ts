/**
 * The jobs events a device receives (AWS IoT Jobs MQTT API): `jobs/notify` when an execution joins
 * or leaves its pending list, `jobs/notify-next` when the execution `$next` would return changes
 * (not when the next one's details change). Published through the broker's publish API, QoS 1.
 */
import { requireDelivered, type BrokerApi } from '../mqtt/index.js';
import type { Logger } from '../core/index.js';
import { executionOf, nextOf, seconds, summaryOf } from './device-views.js';
import { jobsPrefix } from './topics.js';
import type { Execution, Job } from './types.js';

export interface NotifierDeps {
  broker: BrokerApi;
  log: Logger;
  now(): number;
  /** The device's pending executions, oldest queued first. */
  pendingFor(deviceId: string): Promise<Execution[]>;
  getJob(id: string): Promise<Job | undefined>;
  render(job: Job, e: Execution): Promise<Record<string, unknown>>;
}

const key = (e: Execution | undefined): string => (e ? `${e.jobId}#${e.executionNumber}` : '');

export interface ChangeHint {
  before?: readonly Execution[];
  added?: readonly Execution[];
  /** Executions that left the pending list (their status before: IN_PROGRESS when started). */
  removed?: readonly Execution[];
}

function rebuild(after: readonly Execution[], hint: ChangeHint): Execution[] {
  const added = new Set((hint.added ?? []).map(key));
  const removed = (hint.removed ?? []).map((e): Execution => ({
    ...e,
    status: e.startedAt !== null ? 'IN_PROGRESS' : 'QUEUED',
  }));
  return [...after.filter((e) => !added.has(key(e))), ...removed].sort(
    (a, b) => a.queuedAt - b.queuedAt || a.jobId.localeCompare(b.jobId),
  );
}

export class Notifier {
  constructor(private readonly d: NotifierDeps) {}

  /**
   * Tell the device what changed. `before` is its pending list before the change; without it, the
   * list is rebuilt from now: minus executions just `added`, plus executions just `removed` from it.
   */
  async changed(deviceId: string, hint: ChangeHint = {}): Promise<void> {
    try {
      const after = await this.d.pendingFor(deviceId);
      const was = hint.before ?? rebuild(after, hint);
      const ids = (l: readonly Execution[]): string => l.map(key).sort().join(',');
      if (ids(was) !== ids(after)) await this.notify(deviceId, after);
      const next = nextOf(after);
      if (key(nextOf(was)) !== key(next)) await this.notifyNext(deviceId, next);
    } catch (err) {
      this.d.log.warn({ err, deviceId }, 'jobs: notifying the device failed');
    }
  }

  private async notify(deviceId: string, pending: readonly Execution[]): Promise<void> {
    const jobs: Record<string, unknown[]> = {};
    for (const e of pending) (jobs[e.status] ??= []).push(summaryOf(e));
    const topic = `${jobsPrefix(deviceId)}/notify`;
    const r = await this.d.broker.publish({
      topic,
      payload: JSON.stringify({ timestamp: seconds(this.d.now()), jobs }),
      qos: 1,
    });
    requireDelivered(topic, r); // logged by the caller (the device asks again at its next connect)
  }

  private async notifyNext(deviceId: string, next: Execution | undefined): Promise<void> {
    let body: Record<string, unknown> = { timestamp: seconds(this.d.now()) };
    if (next) {
      const job = await this.d.getJob(next.jobId);
      const doc = job ? await this.d.render(job, next) : undefined;
      body = { timestamp: body.timestamp, execution: executionOf(next, doc) };
    }
    const topic = `${jobsPrefix(deviceId)}/notify-next`;
    requireDelivered(topic, await this.d.broker.publish({ topic, payload: JSON.stringify(body), qos: 1 }));
  }
}
