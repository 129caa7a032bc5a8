/** The health module's error catalogue (code, HTTP status, message). */
import { defineError } from '../core/index.js';

export const HealthErrors = {
  deviceNotFound: defineError(
    'HEALTH_DEVICE_NOT_FOUND',
    404,
    (id: string) => `device ${id} is not tracked by health`,
  ),
  policyNotFound: defineError(
    'HEALTH_POLICY_NOT_FOUND',
    404,
    (model: string) => `no health policy for model ${model}`,
  ),
  noteRequired: defineError(
    'HEALTH_NOTE_REQUIRED',
    422,
    () => 'note: a non-empty note is required (say what was checked in the field)',
    () => 'note',
  ),
  invalidReason: defineError(
    'HEALTH_INVALID_REASON',
    422,
    (why: string) => `reason: ${why}`,
    () => 'reason',
  ),
  invalidPolicy: defineError(
    'HEALTH_INVALID_POLICY',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
};
