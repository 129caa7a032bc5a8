/**
 * Health policies per device model: an optional heartbeat override on top of the model's own
 * heartbeat policy (from the registry), and hardware-error thresholds per error code.
 */
import type { DeviceLastSeen, HeartbeatPolicy, Severity, SignOfLife } from '../core/index.js';
import { HealthErrors } from './errors.js';

export interface ErrorThreshold {
  code: string;
  /** N occurrences … */
  threshold: number;
  /** … within this sliding window (an occurrence exactly `windowMs` old is outside it). */
  windowMs: number;
  severity: Severity;
  action: 'out_of_service' | 'alert_only';
}

export interface HealthPolicy {
  model: string;
  /** Overrides the model's heartbeat policy field by field. */
  heartbeat?: { intervalMs?: number; graceMs?: number; signOfLife?: SignOfLife };
  errorThresholds: ErrorThreshold[];
  /** Alert on `device.flapping` only when at least this many connects were counted (0 = always). */
  flappingMinConnects: number;
  updatedAt: number;
}

/** The model's heartbeat policy with the health override applied; undefined = no deadlines. */
export function effectiveHeartbeat(
  fromModel: HeartbeatPolicy | undefined,
  override: HealthPolicy['heartbeat'] | undefined,
): HeartbeatPolicy | undefined {
  const intervalMs = override?.intervalMs ?? fromModel?.intervalMs;
  if (intervalMs === undefined || intervalMs <= 0) return undefined;
  return {
    intervalMs,
    graceMs: override?.graceMs ?? fromModel?.graceMs ?? 0,
    signOfLife: override?.signOfLife ?? fromModel?.signOfLife ?? 'heartbeat',
  };
}

/**
 * A device's last sign of life as its policy counts it, from presence's last-seen record (the
 * engine's `signOfLife` counts the same: no policy or `connection` → anything; `any_message` →
 * any message, heartbeats included; `heartbeat` → heartbeats only). 0 when never seen.
 */
export function signOfLifeAt(seen: DeviceLastSeen | undefined, hb: HeartbeatPolicy | undefined): number {
  if (!seen) return 0;
  if (!hb || hb.signOfLife === 'connection') return seen.at;
  return hb.signOfLife === 'any_message' ? seen.messageAt : seen.heartbeatAt;
}

/** Whether a sign of life of this kind counts under the policy (the same rule as `signOfLifeAt`). */
export function countsAsSignOfLife(
  hb: HeartbeatPolicy | undefined,
  via: 'heartbeat' | 'message' | 'connected' | 'disconnected',
): boolean {
  return (
    hb === undefined ||
    hb.signOfLife === 'connection' ||
    via === 'heartbeat' ||
    (via === 'message' && hb.signOfLife === 'any_message')
  );
}

/** Reject thresholds that can never fire or would fire on every event by mistake. */
export function validatePolicy(p: Omit<HealthPolicy, 'updatedAt'>): void {
  const seen = new Set<string>();
  p.errorThresholds.forEach((t, i) => {
    const f = `errorThresholds.${i}`;
    if (seen.has(t.code)) throw HealthErrors.invalidPolicy(`${f}.code`, `duplicate code "${t.code}"`);
    seen.add(t.code);
    if (!Number.isInteger(t.threshold) || t.threshold < 1)
      throw HealthErrors.invalidPolicy(`${f}.threshold`, 'must be a whole number ≥ 1');
    if (!(t.windowMs > 0)) throw HealthErrors.invalidPolicy(`${f}.windowMs`, 'must be > 0');
  });
  const hb = p.heartbeat;
  if (hb?.intervalMs !== undefined && !(hb.intervalMs >= 1000))
    throw HealthErrors.invalidPolicy('heartbeat.intervalMs', 'must be at least 1000 ms');
  if (hb?.graceMs !== undefined && hb.graceMs < 0)
    throw HealthErrors.invalidPolicy('heartbeat.graceMs', 'must not be negative');
}
