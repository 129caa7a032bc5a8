/** The schedules module's error catalogue. */
import { defineError } from '../core/index.js';

export const ScheduleErrors = {
  notFound: defineError('SCHEDULE_NOT_FOUND', 404, (id: string) => `schedule ${id} not found`),
  invalid: defineError(
    'SCHEDULE_INVALID',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
  conflict: defineError(
    'SCHEDULE_VERSION_CONFLICT',
    409,
    (id: string, expected: number, actual: number) =>
      `schedule ${id} is at version ${actual}, not ${expected}; reload and retry`,
  ),
  overrideNotFound: defineError(
    'SCHEDULE_OVERRIDE_NOT_FOUND',
    404,
    (id: string, device: string) => `schedule ${id} has no override for device ${device}`,
  ),
  previewTooLong: defineError(
    'SCHEDULE_PREVIEW_TOO_LONG',
    422,
    (max: number) => `to: a preview spans at most ${max} days`,
    () => 'to',
  ),
};
