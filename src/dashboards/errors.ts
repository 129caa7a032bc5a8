/** The dashboards module's error catalogue. */
import { defineError } from '../core/index.js';

export const DashboardErrors = {
  notFound: defineError('DASHBOARD_NOT_FOUND', 404, (id: string) => `dashboard ${id} not found`),
  invalid: defineError(
    'DASHBOARD_INVALID',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
  nameTaken: defineError(
    'DASHBOARD_NAME_TAKEN',
    409,
    (name: string) => `a dashboard named "${name}" exists already`,
    () => 'name',
  ),
  conflict: defineError(
    'DASHBOARD_VERSION_CONFLICT',
    409,
    (id: string, expected: number, actual: number) =>
      `dashboard ${id} is at version ${actual}, not ${expected}; reload and retry`,
  ),
  modelNotFound: defineError(
    'DASHBOARD_MODEL_NOT_FOUND',
    404,
    (model: string) => `device model ${model} not found`,
    () => 'model',
  ),
};
