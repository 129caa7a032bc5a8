/** Bus events → notification items. Event ids are derived from the event, so a repeat is a duplicate. */
import { createHash } from 'node:crypto';
import type { Severity, TsunaguEvents } from '../core/index.js';
import type { EventKind, NotifyItem } from './types.js';

const idOf = (...parts: (string | number)[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

type Mapper<K extends EventKind> = (e: TsunaguEvents[K]) => NotifyItem | undefined;

const mappers: { [K in EventKind]: Mapper<K> } = {
  'service-state.changed': (e) => {
    // Reason-only changes (already out, one more reason) are recorded by health, not paged.
    if (e.from === e.to) return undefined;
    const out = e.to === 'out_of_service';
    const reason = out ? e.reasons.join('+') : e.to === 'in_service' ? 'back_in_service' : e.to;
    const sev: Severity = out
      ? e.reasons.some((r) => r.startsWith('hardware_error'))
        ? 'critical'
        : 'error'
      : 'info';
    return {
      eventId: idOf('ssc', e.deviceId, e.at, e.from, e.to, e.reasons.join(',')),
      kind: 'service-state.changed',
      severity: sev,
      reason,
      title: out
        ? `${e.deviceId} out of service (${e.reasons.join(', ')})`
        : `${e.deviceId} now ${e.to.replace(/_/g, ' ')}`,
      at: e.at,
      deviceId: e.deviceId,
      ...(e.model !== undefined ? { model: e.model } : {}),
      since: e.at,
      data: {
        from: e.from,
        to: e.to,
        reasons: e.reasons,
        actor: e.actor,
        ...(e.note !== undefined ? { note: e.note } : {}),
      },
    };
  },
  'health.alert': (e) => ({
    eventId: idOf('alert', e.deviceId, e.kind, e.code, e.at),
    kind: 'health.alert',
    severity: e.severity,
    reason: `${e.kind}:${e.code}`,
    title:
      e.kind === 'flapping'
        ? `${e.deviceId} is flapping (${e.count} connects)`
        : `${e.deviceId}: ${e.count} × ${e.code}`,
    at: e.at,
    deviceId: e.deviceId,
    ...(e.model !== undefined ? { model: e.model } : {}),
    since: e.at,
    data: { code: e.code, count: e.count, windowMs: e.windowMs, action: e.action },
  }),
  'device.flapping': (e) => ({
    eventId: idOf('flap', e.deviceId, e.at),
    kind: 'device.flapping',
    severity: 'warning',
    reason: 'flapping',
    title: `${e.deviceId} is flapping (${e.connects} connects in ${Math.round(e.windowMs / 1000)} s)`,
    at: e.at,
    deviceId: e.deviceId,
    since: e.at,
    data: { connects: e.connects, windowMs: e.windowMs },
  }),
  'device.event': (e) => ({
    eventId: idOf('event', e.deviceId, e.code, e.at),
    kind: 'device.event',
    severity: e.severity,
    reason: e.code,
    title: `${e.deviceId}: ${e.code} (${e.severity}) ${e.message}`.trim(),
    at: e.at,
    deviceId: e.deviceId,
    since: e.at,
    data: { code: e.code, message: e.message, ...(e.fields ? { fields: e.fields } : {}) },
  }),
  'slo.alert': (e) => ({
    eventId: idOf('slo', e.sloId, e.tier, e.state, e.at),
    kind: 'slo.alert',
    severity: e.state === 'resolved' ? 'info' : e.severity === 'page' ? 'critical' : 'warning',
    reason: `${e.sloId}:${e.tier}:${e.state}`,
    title: `SLO ${e.sloName}: ${e.tier} burn-rate alert ${e.state} (burn rate ${e.burnRate.toFixed(1)})`,
    at: e.at,
    data: { sloId: e.sloId, tier: e.tier, state: e.state, burnRate: e.burnRate, alertSeverity: e.severity },
  }),
  'slo.budget-exhausted': (e) => ({
    eventId: idOf('budget', e.sloId, e.at),
    kind: 'slo.budget-exhausted',
    severity: 'critical',
    reason: e.sloId,
    title: `SLO ${e.sloName}: error budget exhausted`,
    at: e.at,
    data: { sloId: e.sloId },
  }),
  // Only failures page: verified, superseded and overridden executions are routine.
  'schedule.execution': (e) =>
    e.status !== 'failed'
      ? undefined
      : {
          eventId: idOf('schedule', e.executionId, e.status),
          kind: 'schedule.execution',
          severity: 'error',
          reason: `schedule_failed:${e.scheduleId}`,
          title: `${e.deviceId}: schedule ${e.scheduleName} not applied (${e.reason ?? 'failed'})`,
          at: e.at,
          deviceId: e.deviceId,
          ...(e.model !== undefined ? { model: e.model } : {}),
          since: e.slotAt,
          data: {
            scheduleId: e.scheduleId,
            executionId: e.executionId,
            attempts: e.attempts,
            slotAt: e.slotAt,
          },
        },
  'job.rollout-stopped': (e) => ({
    eventId: idOf('job-stopped', e.jobId, e.action, e.at),
    kind: 'job.rollout-stopped',
    severity: e.action === 'canceled' ? 'error' : 'warning',
    reason: `${e.jobId}:${e.action}`,
    title: `Job ${e.jobId}: rollout ${e.action} (${e.reason})`,
    at: e.at,
    data: { jobId: e.jobId, action: e.action, reason: e.reason, ...(e.detail ? { detail: e.detail } : {}) },
  }),
  // A clean completion is routine (info); failures or a cancel deserve a look (warning).
  'job.finished': (e) => ({
    eventId: idOf('job-finished', e.jobId, e.status, e.at),
    kind: 'job.finished',
    severity: e.status === 'COMPLETED' && e.failed === 0 ? 'info' : 'warning',
    reason: `${e.jobId}:${e.status}`,
    title:
      e.status === 'COMPLETED'
        ? `Job ${e.jobId} completed: ${e.succeeded} succeeded, ${e.failed} failed`
        : `Job ${e.jobId} canceled${e.reason ? ` (${e.reason})` : ''}`,
    at: e.at,
    data: {
      jobId: e.jobId,
      status: e.status,
      succeeded: e.succeeded,
      failed: e.failed,
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
    },
  }),
};

export function toItem<K extends EventKind>(kind: K, e: TsunaguEvents[K]): NotifyItem | undefined {
  return (mappers[kind] as Mapper<K>)(e);
}
