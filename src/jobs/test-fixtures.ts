/** Jobs and executions for the store contract and the service tests. */
import type { Execution, Job } from './types.js';

export function makeJob(id: string, over: Partial<Job> = {}): Job {
  return {
    id,
    description: '',
    document: { operation: 'update', version: '2.0.0' },
    targets: { deviceIds: [], models: [], tags: [] },
    continuous: false,
    status: 'IN_PROGRESS',
    config: { rollout: {}, abort: [], retry: [] },
    rollout: {
      ratePerMinute: 1000,
      windowStart: 0,
      releasedInWindow: 0,
      notifiedSinceIncrease: 0,
      succeededAtIncrease: 0,
      soakUntil: 0,
    },
    reason: null,
    createdAt: 1000,
    updatedAt: 1000,
    completedAt: null,
    revision: 1,
    ...over,
  };
}

/** The same execution one step on: a new status and version, as the service writes it. */
export function next(e: Execution, over: Partial<Execution>): Execution {
  return { ...e, versionNumber: e.versionNumber + 1, ...over };
}
