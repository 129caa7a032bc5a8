/** The JobsStore, written once over `SqlPort` (SQLite and PostgreSQL differ only in the port). */
import { migrate, type Database } from '../store/index.js';
import type { JobsStore } from './jobs-store.js';
import { JOBS_MIGRATIONS } from './jobs-store.js';
import type { SqlPort } from './sql-port.js';
import { EXECUTION_STATUSES, type Execution, type ExecutionStatus, type ProgressCounts } from './types.js';

import {
  EXEC_COLUMNS,
  INSERT_EXEC,
  JOB_COLUMNS,
  execValues,
  jobValues,
  toArtifact,
  toExecution,
  toJob,
  type ArtifactRow,
  type ExecRow,
  type JobRow,
  type Num,
} from './rows.js';

/** Rows per multi-row INSERT (PostgreSQL allows 65,535 parameters per statement). */
const BATCH = 500;

const PENDING = "status IN ('QUEUED', 'IN_PROGRESS')";

export async function openSqlJobsStore(db: Database, port: SqlPort): Promise<JobsStore> {
  await migrate(db, 'jobs', JOBS_MIGRATIONS);
  const q = port;

  async function insertTargets(
    tx: SqlPort,
    jobId: string,
    ids: readonly string[],
    from: number,
  ): Promise<number> {
    let added = 0;
    for (let i = 0; i < ids.length; i += BATCH) {
      const chunk = ids.slice(i, i + BATCH);
      const params: unknown[] = [];
      chunk.forEach((id, k) => params.push(jobId, id, from + i + k, 0));
      added += await tx.run(
        `INSERT INTO job_targets (job_id, device_id, seq, released) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
        params,
      );
    }
    return added;
  }

  return {
    async createJob(job, deviceIds) {
      await q.tx(async (tx) => {
        await tx.run(
          `INSERT INTO jobs (${JOB_COLUMNS}) VALUES (${JOB_COLUMNS.split(',')
            .map(() => '?')
            .join(', ')})`,
          jobValues(job),
        );
        await insertTargets(tx, job.id, deviceIds, 0);
      });
    },
    async getJob(id) {
      const [r] = await q.all<JobRow>('SELECT * FROM jobs WHERE id = ?', [id]);
      return r && toJob(r);
    },
    async listJobs({ status, limit, offset }) {
      const rows = status
        ? await q.all<JobRow>(
            'SELECT * FROM jobs WHERE status = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?',
            [status, limit, offset],
          )
        : await q.all<JobRow>('SELECT * FROM jobs ORDER BY created_at DESC, id LIMIT ? OFFSET ?', [
            limit,
            offset,
          ]);
      return rows.map(toJob);
    },
    async activeJobs() {
      const rows = await q.all<JobRow>(
        "SELECT * FROM jobs WHERE status IN ('IN_PROGRESS', 'PAUSED') ORDER BY created_at, id",
      );
      return rows.map(toJob);
    },
    async updateJob(job, expectRevision) {
      const n = await q.run(
        'UPDATE jobs SET description = ?, status = ?, config = ?, rollout = ?, reason = ?, updated_at = ?, completed_at = ?, revision = ? WHERE id = ? AND revision = ?',
        [
          job.description,
          job.status,
          JSON.stringify(job.config),
          JSON.stringify(job.rollout),
          job.reason,
          job.updatedAt,
          job.completedAt,
          expectRevision + 1,
          job.id,
          expectRevision,
        ],
      );
      if (n > 0) job.revision = expectRevision + 1;
      return n > 0;
    },
    async deleteJob(id) {
      return q.tx(async (tx) => {
        for (const t of ['job_targets', 'job_executions', 'job_timeline', 'job_health'])
          await tx.run(`DELETE FROM ${t} WHERE job_id = ?`, [id]);
        return (await tx.run('DELETE FROM jobs WHERE id = ?', [id])) > 0;
      });
    },
    async addTargets(jobId, deviceIds) {
      return q.tx(async (tx) => {
        const [m] = await tx.all<{ m: Num | null }>(
          'SELECT max(seq) AS m FROM job_targets WHERE job_id = ?',
          [jobId],
        );
        return insertTargets(tx, jobId, deviceIds, Number(m?.m ?? -1) + 1);
      });
    },
    async isTarget(jobId, deviceId) {
      return (
        (await q.all('SELECT 1 FROM job_targets WHERE job_id = ? AND device_id = ?', [jobId, deviceId]))
          .length > 0
      );
    },
    async jobsTargeting(deviceId) {
      return (
        await q.all<{ job_id: string }>('SELECT job_id FROM job_targets WHERE device_id = ?', [deviceId])
      ).map((r) => r.job_id);
    },
    async releaseTargets(jobId, n, now) {
      if (n <= 0) return [];
      return q.tx(async (tx) => {
        const rows = await tx.all<{ device_id: string; seq: Num }>(
          'SELECT device_id, seq FROM job_targets WHERE job_id = ? AND released = 0 ORDER BY seq LIMIT ?',
          [jobId, n],
        );
        if (rows.length === 0) return [];
        const out: Execution[] = rows.map((r) => ({
          jobId,
          deviceId: r.device_id,
          executionNumber: 1,
          status: 'QUEUED',
          statusDetails: {},
          versionNumber: 1,
          queuedAt: now,
          startedAt: null,
          lastUpdatedAt: now,
          timeoutAt: null,
          stepTimeoutAt: null,
          retriesFailed: 0,
          retriesTimedOut: 0,
        }));
        for (let i = 0; i < out.length; i += BATCH) {
          const chunk = out.slice(i, i + BATCH);
          const one = `(${EXEC_COLUMNS.split(',')
            .map(() => '?')
            .join(', ')})`;
          await tx.run(
            `INSERT INTO job_executions (${EXEC_COLUMNS}) VALUES ${chunk.map(() => one).join(', ')} ON CONFLICT DO NOTHING`,
            chunk.flatMap(execValues),
          );
          const seqs = rows.slice(i, i + BATCH).map((r) => Number(r.seq));
          await tx.run(
            `UPDATE job_targets SET released = 1 WHERE job_id = ? AND seq IN (${seqs.map(() => '?').join(', ')})`,
            [jobId, ...seqs],
          );
        }
        return out;
      });
    },
    async counts(jobId) {
      const out = Object.fromEntries(
        [...EXECUTION_STATUSES, 'PENDING_ROLLOUT'].map((s) => [s, 0]),
      ) as ProgressCounts;
      const rows = await q.all<{ status: string; n: Num }>(
        'SELECT status, count(*) AS n FROM job_executions WHERE job_id = ? AND latest = 1 GROUP BY status',
        [jobId],
      );
      for (const r of rows) out[r.status as ExecutionStatus] = Number(r.n);
      const [p] = await q.all<{ n: Num }>(
        'SELECT count(*) AS n FROM job_targets WHERE job_id = ? AND released = 0',
        [jobId],
      );
      out.PENDING_ROLLOUT = Number(p?.n ?? 0);
      return out;
    },
    async getExecution(jobId, deviceId, executionNumber) {
      const [r] =
        executionNumber === undefined
          ? await q.all<ExecRow>(
              'SELECT * FROM job_executions WHERE job_id = ? AND device_id = ? AND latest = 1',
              [jobId, deviceId],
            )
          : await q.all<ExecRow>(
              'SELECT * FROM job_executions WHERE job_id = ? AND device_id = ? AND execution_number = ?',
              [jobId, deviceId, executionNumber],
            );
      return r && toExecution(r);
    },
    async listExecutions(x) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (x.jobId !== undefined) {
        where.push('job_id = ?');
        args.push(x.jobId);
      }
      if (x.deviceId !== undefined) {
        where.push('device_id = ?');
        args.push(x.deviceId);
      }
      if (x.status !== undefined) {
        where.push('status = ?');
        args.push(x.status);
      }
      if (x.latestOnly !== false) where.push('latest = 1');
      const rows = await q.all<ExecRow>(
        `SELECT * FROM job_executions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY queued_at DESC, device_id DESC, job_id, execution_number DESC LIMIT ? OFFSET ?`,
        [...args, x.limit, x.offset],
      );
      return rows.map(toExecution);
    },
    async pendingFor(deviceId) {
      const rows = await q.all<ExecRow>(
        `SELECT * FROM job_executions WHERE device_id = ? AND latest = 1 AND ${PENDING} ORDER BY queued_at, job_id`,
        [deviceId],
      );
      return rows.map(toExecution);
    },
    async commitExecution({ update: e, expectVersion, insert }) {
      return q.tx(async (tx) => {
        const n = await tx.run(
          `UPDATE job_executions SET status = ?, status_details = ?, version_number = ?, started_at = ?, last_updated_at = ?, timeout_at = ?, step_timeout_at = ?, latest = ?
           WHERE job_id = ? AND device_id = ? AND execution_number = ? AND version_number = ?`,
          [
            e.status,
            JSON.stringify(e.statusDetails),
            e.versionNumber,
            e.startedAt,
            e.lastUpdatedAt,
            e.timeoutAt,
            e.stepTimeoutAt,
            insert ? 0 : 1,
            e.jobId,
            e.deviceId,
            e.executionNumber,
            expectVersion,
          ],
        );
        if (n === 0) return false;
        if (insert) await tx.run(INSERT_EXEC, execValues(insert));
        return true;
      });
    },
    async dueTimeouts(now, limit) {
      const rows = await q.all<ExecRow>(
        "SELECT * FROM job_executions WHERE timeout_at <= ? AND status = 'IN_PROGRESS' ORDER BY timeout_at LIMIT ?",
        [now, limit],
      );
      return rows.map(toExecution);
    },
    async cancelExecutions(jobId, force, now) {
      const statuses = force ? "('QUEUED', 'IN_PROGRESS')" : "('QUEUED')";
      return q.tx(async (tx) => {
        const rows = await tx.all<ExecRow>(
          `SELECT * FROM job_executions WHERE job_id = ? AND latest = 1 AND status IN ${statuses}`,
          [jobId],
        );
        await tx.run(
          `UPDATE job_executions SET status = 'CANCELED', version_number = version_number + 1, last_updated_at = ?, timeout_at = NULL, step_timeout_at = NULL
           WHERE job_id = ? AND latest = 1 AND status IN ${statuses}`,
          [now, jobId],
        );
        return rows.map((r) => ({
          ...toExecution(r),
          status: 'CANCELED' as const,
          versionNumber: Number(r.version_number) + 1,
          lastUpdatedAt: now,
          timeoutAt: null,
          stepTimeoutAt: null,
        }));
      });
    },
    async removeDevice(deviceId, now) {
      return q.tx(async (tx) => {
        const rows = await tx.all<ExecRow>(
          `SELECT * FROM job_executions WHERE device_id = ? AND latest = 1 AND ${PENDING}`,
          [deviceId],
        );
        await tx.run(
          `UPDATE job_executions SET status = 'REMOVED', version_number = version_number + 1, last_updated_at = ?, timeout_at = NULL, step_timeout_at = NULL
           WHERE device_id = ? AND latest = 1 AND ${PENDING}`,
          [now, deviceId],
        );
        await tx.run('DELETE FROM job_targets WHERE device_id = ? AND released = 0', [deviceId]);
        return rows.map((r) => ({
          ...toExecution(r),
          status: 'REMOVED' as const,
          versionNumber: Number(r.version_number) + 1,
          lastUpdatedAt: now,
        }));
      });
    },
    async addTimeline(jobId, e) {
      await q.run('INSERT INTO job_timeline (job_id, at, event, detail) VALUES (?, ?, ?, ?)', [
        jobId,
        e.at,
        e.event,
        e.detail === undefined ? null : JSON.stringify(e.detail),
      ]);
    },
    async timeline(jobId, limit) {
      const rows = await q.all<{ at: Num; event: string; detail: string | null }>(
        'SELECT at, event, detail FROM job_timeline WHERE job_id = ? ORDER BY id LIMIT ?',
        [jobId, limit],
      );
      return rows.map((r) => ({
        at: Number(r.at),
        event: r.event,
        ...(r.detail === null ? {} : { detail: JSON.parse(r.detail) as Record<string, unknown> }),
      }));
    },
    async putArtifact(a) {
      await q.run(
        'INSERT INTO job_artifacts (id, name, size, sha256, signature, content_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [a.id, a.name, a.size, a.sha256, a.signature, a.contentType, a.createdAt],
      );
    },
    async getArtifact(id) {
      const [r] = await q.all<ArtifactRow>('SELECT * FROM job_artifacts WHERE id = ?', [id]);
      return r && toArtifact(r);
    },
    async findArtifact(idOrName) {
      const [r] = await q.all<ArtifactRow>(
        'SELECT * FROM job_artifacts WHERE id = ? OR name = ? ORDER BY CASE WHEN id = ? THEN 0 ELSE 1 END, created_at DESC LIMIT 1',
        [idOrName, idOrName, idOrName],
      );
      return r && toArtifact(r);
    },
    async listArtifacts(limit, offset) {
      return (
        await q.all<ArtifactRow>(
          'SELECT * FROM job_artifacts ORDER BY created_at DESC, id LIMIT ? OFFSET ?',
          [limit, offset],
        )
      ).map(toArtifact);
    },
    async deleteArtifact(id) {
      return (await q.run('DELETE FROM job_artifacts WHERE id = ?', [id])) > 0;
    },
    async setting(key, value) {
      await q.run('INSERT INTO job_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
        key,
        value,
      ]);
      const [r] = await q.all<{ value: string }>('SELECT value FROM job_settings WHERE key = ?', [key]);
      return r!.value;
    },
    async recordHealth(jobId, deviceId, at, signal) {
      await q.run('INSERT INTO job_health (job_id, device_id, at, signal) VALUES (?, ?, ?, ?)', [
        jobId,
        deviceId,
        at,
        signal,
      ]);
    },
    async gateCounts(jobId, since, until) {
      const one = async (sql: string, args: unknown[]): Promise<number> => {
        const [r] = await q.all<{ n: Num }>(sql, args);
        return Number(r?.n ?? 0);
      };
      const updated = await one(
        "SELECT count(*) AS n FROM job_executions WHERE job_id = ? AND latest = 1 AND status = 'SUCCEEDED'",
        [jobId],
      );
      const others = await one(
        `SELECT count(*) AS n FROM job_targets t WHERE t.job_id = ? AND NOT EXISTS (
           SELECT 1 FROM job_executions e WHERE e.job_id = t.job_id AND e.device_id = t.device_id AND e.latest = 1 AND e.status <> 'QUEUED')`,
        [jobId],
      );
      const updatedBad = await one(
        `SELECT count(DISTINCT h.device_id) AS n FROM job_health h JOIN job_executions e
           ON e.job_id = h.job_id AND e.device_id = h.device_id AND e.latest = 1 AND e.status = 'SUCCEEDED' AND h.at >= e.last_updated_at
         WHERE h.job_id = ? AND h.at >= ? AND h.at < ?`,
        [jobId, since, until],
      );
      const othersBad = await one(
        `SELECT count(DISTINCT h.device_id) AS n FROM job_health h WHERE h.job_id = ? AND h.at >= ? AND h.at < ? AND NOT EXISTS (
           SELECT 1 FROM job_executions e WHERE e.job_id = h.job_id AND e.device_id = h.device_id AND e.latest = 1 AND e.status <> 'QUEUED')`,
        [jobId, since, until],
      );
      return { updated, updatedBad, others, othersBad };
    },
  };
}
