/**
 * The executor's I/O, batched per event-loop turn (core/batcher.ts): shadow writes go to shadows'
 * `updateMany` (one store transaction per batch, history actor `schedule:<id>`), verification
 * reads to `reportedMany` (one query per batch), and execution transitions to the store's
 * `updateExecutions` (one statement per batch, each row still a compare-and-set). Callers await
 * their own item, so the executor's per-device logic reads as before.
 */
import { Batcher } from '../core/index.js';
import type { ExecutorDeps } from './executor-deps.js';
import type { Execution } from './execution.js';
import type { JsonObject, Schedule } from './types.js';

interface Write {
  s: Schedule;
  deviceId: string;
  patch: JsonObject;
}
type Reported = Record<string, unknown> | undefined;
interface SetChange {
  e: Execution;
  expected: Pick<Execution, 'status' | 'attempts'>;
}

export class ExecutorIo {
  private readonly writes: Batcher<Write, undefined>;
  private readonly reads: Batcher<{ deviceId: string; name: string }, Reported>;
  private readonly sets: Batcher<SetChange, boolean>;

  constructor(
    private readonly deps: Pick<ExecutorDeps, 'shadows' | 'store' | 'log'>,
    max: number,
  ) {
    this.writes = new Batcher((ws) => this.writeMany(ws), max);
    this.reads = new Batcher((keys) => deps.shadows.reportedMany(keys), max);
    this.sets = new Batcher((cs: SetChange[]) => this.setMany(cs), max);
  }

  /** Write the patch as desired state; a failure is logged (verification sees it and re-sends). */
  write(s: Schedule, deviceId: string, patch: JsonObject): Promise<void> {
    return this.writes.add({ s, deviceId, patch }).then(() => undefined);
  }

  reported(key: { deviceId: string; name: string }): Promise<Reported> {
    return this.reads.add(key);
  }

  /** Store `next` if the row still has `expected` status and attempts (false: another writer won). */
  set(next: Execution, expected: SetChange['expected']): Promise<boolean> {
    return this.sets.add({ e: next, expected });
  }

  /**
   * One statement per batch; an execution named twice (two reports in one turn) goes to a
   * following statement, so the second compare-and-set sees the first's result as it would one
   * at a time (one UPDATE cannot apply two source rows to one target row predictably).
   */
  private async setMany(cs: SetChange[]): Promise<boolean[]> {
    const out = new Array<boolean>(cs.length).fill(false);
    let rest = cs.map((_, i) => i);
    while (rest.length > 0) {
      const seen = new Set<string>();
      const now: number[] = [];
      const later: number[] = [];
      for (const i of rest) {
        (seen.has(cs[i]!.e.id) ? later : now).push(i);
        seen.add(cs[i]!.e.id);
      }
      const ok = await this.deps.store.updateExecutions(now.map((i) => cs[i]!));
      for (const i of now) out[i] = ok.has(cs[i]!.e.id);
      rest = later;
    }
    return out;
  }

  private async writeMany(ws: Write[]): Promise<undefined[]> {
    const fail = (err: unknown, w: Write): void =>
      this.deps.log.warn({ err, deviceId: w.deviceId, scheduleId: w.s.id }, 'schedules: shadow write failed');
    try {
      const out = await this.deps.shadows.updateMany(
        ws.map((w) => ({
          deviceId: w.deviceId,
          name: w.s.shadowName,
          body: { state: { desired: w.patch } },
          actor: { kind: 'system' as const, id: `schedule:${w.s.id}`, name: w.s.name },
        })),
      );
      out.forEach((r, i) => {
        if (!r.ok) fail(r.error, ws[i]!);
      });
    } catch (err) {
      for (const w of ws) fail(err, w);
    }
    return ws.map(() => undefined);
  }
}
