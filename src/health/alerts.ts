/** The `health.alert` payloads health emits: a hardware-error threshold crossed, or flapping. */
import type { TsunaguEvents } from '../core/index.js';
import type { ErrorThreshold } from './policy.js';
import { modelOf } from './state-change.js';
import type { TrackedDevice } from './tracked-device.js';

type HealthAlert = TsunaguEvents['health.alert'];

export const thresholdAlert = (d: TrackedDevice, t: ErrorThreshold, at: number): HealthAlert => ({
  deviceId: d.id,
  ...modelOf(d),
  kind: 'hardware_error',
  code: t.code,
  severity: t.severity,
  count: t.threshold,
  windowMs: t.windowMs,
  action: t.action,
  at,
});

export const flappingAlert = (
  d: TrackedDevice,
  at: number,
  connects: number,
  windowMs: number,
): HealthAlert => ({
  deviceId: d.id,
  ...modelOf(d),
  kind: 'flapping',
  code: 'flapping',
  severity: 'warning',
  count: connects,
  windowMs,
  action: 'alert_only',
  at,
});
