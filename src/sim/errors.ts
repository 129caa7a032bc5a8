/** The simulator's error catalogue. */
import { defineError } from '../core/index.js';

export const SimErrors = {
  profileInvalid: defineError(
    'SIM_PROFILE_INVALID',
    422,
    (source: string, field: string, why: string) => `profile ${source}: ${field}: ${why}`,
    (_s, field) => field,
  ),
  profileNotFound: defineError(
    'SIM_PROFILE_NOT_FOUND',
    404,
    (name: string) => `profile "${name}" is neither a built-in (scooter, boiler) nor a readable file`,
  ),
  optionInvalid: defineError(
    'SIM_OPTION_INVALID',
    422,
    (option: string, why: string) => `${option}: ${why}`,
    (option) => option,
  ),
  sloInvalid: defineError('SIM_SLO_INVALID', 422, (text: string, why: string) => `SLO "${text}": ${why}`),
  apiFailed: defineError(
    'SIM_API_FAILED',
    502,
    (what: string, status: number, body: string) => `${what} failed: HTTP ${status} ${body.slice(0, 200)}`,
  ),
  resultInvalid: defineError('SIM_RESULT_INVALID', 422, (file: string, why: string) => `${file}: ${why}`),
};
