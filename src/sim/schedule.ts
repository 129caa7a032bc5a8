/**
 * The boilers' yearly program (`tsunagu sim --schedule`, and the demo): a schedule targeting the
 * simulated model that heats by day and saves at night. Created or replaced by name through the
 * API; the platform applies the state due now at once, so executions (verified, re-sent when a
 * boiler ignores a change, failed after the last attempt) show within seconds of the start.
 */
import { apiRequest, type ApiTarget } from './api-client.js';
import { SimErrors } from './errors.js';

export interface SimScheduleOptions {
  /** Default `sim: <model> day and night`. */
  name?: string;
  timezone?: string;
  /** Verification (the platform's defaults otherwise: 60 s timeout, 5 attempts). */
  verify?: { timeoutMs?: number; attempts?: number; backoffMs?: number; maxBackoffMs?: number };
}

/** The schedule definition: 06:00 heat at 65 °C flow, 22:00 eco at 45 °C, every day. */
export function boilerSchedule(model: string, o: SimScheduleOptions = {}): Record<string, unknown> {
  return {
    name: o.name ?? `sim: ${model} day and night`,
    timezone: o.timezone ?? 'Europe/Berlin',
    targets: { models: [model] },
    rules: [
      {
        name: 'every day',
        when: {},
        slots: [
          { time: '06:00', patch: { mode: 'heat', flowTempSetpoint: 65 } },
          { time: '22:00', patch: { mode: 'eco', flowTempSetpoint: 45 } },
        ],
      },
    ],
    ...(o.verify ? { verify: o.verify } : {}),
  };
}

/** Create the schedule, or replace the one with its name; returns its id. */
export async function ensureSchedule(api: ApiTarget, body: Record<string, unknown>): Promise<string> {
  const list = await apiRequest(api, 'GET', '/api/v1/schedules');
  if (list.status !== 200) throw SimErrors.apiFailed('listing schedules', list.status, list.text);
  const found = (list.body as { id: string; name: string }[]).find((s) => s.name === body.name);
  const r = found
    ? await apiRequest(api, 'PUT', `/api/v1/schedules/${encodeURIComponent(found.id)}`, body)
    : await apiRequest(api, 'POST', '/api/v1/schedules', body);
  if (r.status !== 200 && r.status !== 201)
    throw SimErrors.apiFailed('creating the schedule', r.status, r.text);
  return (r.body as { id: string }).id;
}
