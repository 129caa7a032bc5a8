/** The orchestrator's side of one client worker process (see worker.ts for the protocol). */
import type { ChildProcess } from 'node:child_process';
import type { FromWorker, ToWorker, WorkerResult, WorkerSpec } from './ipc.js';
import { siblingEntry, siblingNodeArgs, spawnWithFileLimit, stopChild, waitExit } from './spawn.js';

export class WorkerHandle {
  /** Latest count the worker reported (messages received so far). */
  progress = 0;
  progressAt = Date.now();
  result: WorkerResult | undefined;
  readonly done: Promise<WorkerResult>;
  private readonly ready: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    let onReady!: () => void;
    let onReadyFail!: (e: Error) => void;
    this.ready = new Promise((res, rej) => {
      onReady = res;
      onReadyFail = rej;
    });
    let onDone!: (r: WorkerResult) => void;
    let onFail!: (e: Error) => void;
    this.done = new Promise((res, rej) => {
      onDone = res;
      onFail = rej;
    });
    // Either promise may be left unobserved when a workload fails early.
    this.ready.catch(() => undefined);
    this.done.catch(() => undefined);
    child.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          onReady();
          break;
        case 'progress':
          if (m.count !== this.progress) this.progressAt = Date.now();
          this.progress = m.count;
          break;
        case 'done':
          this.result = m.result;
          onDone(m.result);
          break;
        case 'error': {
          const err = new Error(`bench worker: ${m.message}`);
          onReadyFail(err);
          onFail(err);
          break;
        }
      }
    });
    child.once('exit', (code, signal) => {
      const err = new Error(`bench worker exited (${code ?? signal})`);
      onReadyFail(err);
      onFail(err);
    });
  }

  /** Spawn a worker and send it its spec, without waiting for it to be ready. */
  static spawn(spec: WorkerSpec): WorkerHandle {
    const child = spawnWithFileLimit(process.execPath, [...siblingNodeArgs(), siblingEntry('worker')], {
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    const w = new WorkerHandle(child);
    w.send({ type: 'start', spec });
    return w;
  }

  /** Resolves true when the worker is ready within `timeoutMs`, false on time-out; rejects on failure. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.ready.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  static async start(spec: WorkerSpec, timeoutMs: number): Promise<WorkerHandle> {
    const w = WorkerHandle.spawn(spec);
    try {
      if (!(await w.waitReady(timeoutMs)))
        throw new Error(`bench worker (${spec.role}) not ready in ${timeoutMs} ms`);
    } catch (err) {
      await w.close();
      throw err;
    }
    return w;
  }

  send(msg: ToWorker): void {
    if (this.child.connected) this.child.send(msg);
  }

  /** Disconnecting the IPC channel tells the worker to close its clients and exit. */
  async close(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    const exited = await waitExit(this.child, 3000);
    if (!exited) await stopChild(this.child, 2000);
  }
}

/** Start workers in parallel; if one fails, close the others. */
export async function startWorkers(specs: WorkerSpec[], timeoutMs: number): Promise<WorkerHandle[]> {
  const settled = await Promise.allSettled(specs.map((s) => WorkerHandle.start(s, timeoutMs)));
  const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((w) => w.close()));
    throw failed.reason;
  }
  return ok;
}
