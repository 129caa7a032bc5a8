/**
 * A simulated device's AWS IoT Jobs agent: on `notify-next` (and when its session starts) it asks
 * `start-next`, downloads every `{url, sha256}` file of the job document, checks the checksum, and
 * reports SUCCEEDED — or FAILED when the checksum is wrong or the configured share of jobs fails, or
 * nothing at all for the share that hangs (the platform's timeouts must catch those).
 */
import { createHash } from 'node:crypto';

export interface JobsAgentOptions {
  /** Share of jobs (0–1) reported FAILED. */
  failShare: number;
  /** Share of jobs (0–1) started and never reported. */
  hangShare: number;
  random: () => number;
  fetch?: typeof fetch;
}

export interface JobsAgentStats {
  started: number;
  succeeded: number;
  failed: number;
  hung: number;
  downloadedBytes: number;
}

type Doc = Record<string, unknown>;

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{url, sha256}` pairs anywhere in the document (top level, or under `files`). */
function filesOf(doc: Doc): { url: string; sha256?: string }[] {
  const list = Array.isArray(doc.files) ? doc.files : [doc];
  return list
    .filter(isObject)
    .flatMap((f) =>
      typeof f.url === 'string'
        ? [{ url: f.url, ...(typeof f.sha256 === 'string' ? { sha256: f.sha256 } : {}) }]
        : [],
    );
}

export class JobsAgent {
  readonly stats: JobsAgentStats = { started: 0, succeeded: 0, failed: 0, hung: 0, downloadedBytes: 0 };
  private readonly prefix: string;
  private busy = false;

  constructor(
    id: string,
    private readonly publish: (topic: string, payload: string) => void,
    private readonly o: JobsAgentOptions,
  ) {
    this.prefix = `$aws/things/${id}/jobs`;
  }

  /** What the device subscribes to. */
  topics(): string[] {
    return [
      `${this.prefix}/notify-next`,
      `${this.prefix}/start-next/accepted`,
      `${this.prefix}/+/update/accepted`,
      `${this.prefix}/+/update/rejected`,
    ];
  }

  handles(topic: string): boolean {
    return topic.startsWith(`${this.prefix}/`);
  }

  /** Session started: ask for anything pending. */
  start(): void {
    this.busy = false;
    this.publish(`${this.prefix}/start-next`, JSON.stringify({ stepTimeoutInMinutes: 60 }));
  }

  onMessage(topic: string, payload: Buffer): void {
    let body: Doc;
    try {
      const v: unknown = JSON.parse(payload.toString());
      if (!isObject(v)) return;
      body = v;
    } catch {
      return;
    }
    if (topic === `${this.prefix}/notify-next`) {
      if (isObject(body.execution) && !this.busy) this.start();
      return;
    }
    if (topic === `${this.prefix}/start-next/accepted`) {
      const e = body.execution;
      if (!isObject(e) || this.busy || e.status !== 'IN_PROGRESS') return;
      this.busy = true;
      void this.run(String(e.jobId), isObject(e.jobDocument) ? e.jobDocument : {});
      return;
    }
    if (topic.endsWith('/update/accepted') || topic.endsWith('/update/rejected')) {
      if (isObject(body.executionState) && body.executionState.status === 'IN_PROGRESS') return;
      this.busy = false;
      this.start();
    }
  }

  private async run(jobId: string, doc: Doc): Promise<void> {
    this.stats.started++;
    const update = (status: string, details: Record<string, string>): void =>
      this.publish(
        `${this.prefix}/${jobId}/update`,
        JSON.stringify({ status, statusDetails: details, includeJobExecutionState: true }),
      );
    const roll = this.o.random();
    if (roll < this.o.hangShare) {
      this.stats.hung++;
      return;
    }
    try {
      for (const f of filesOf(doc)) {
        const res = await (this.o.fetch ?? fetch)(f.url);
        if (!res.ok) throw new Error(`download ${res.status}`);
        const bytes = Buffer.from(await res.arrayBuffer());
        this.stats.downloadedBytes += bytes.length;
        const sha = createHash('sha256').update(bytes).digest('hex');
        if (f.sha256 !== undefined && sha !== f.sha256) throw new Error('sha256 mismatch');
      }
      if (roll < this.o.hangShare + this.o.failShare) throw new Error('simulated failure');
      this.stats.succeeded++;
      update('SUCCEEDED', { agent: 'tsunagu-sim' });
    } catch (err) {
      this.stats.failed++;
      update('FAILED', { reason: (err as Error).message.slice(0, 200) });
    }
  }
}
