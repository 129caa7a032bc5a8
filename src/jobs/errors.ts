/**
 * The jobs module's error catalogue: operator API errors (HTTP) and the device API's rejection codes
 * (AWS IoT Jobs, "Jobs device MQTT API": the `code` of an `…/rejected` answer).
 */
import { defineError, TsunaguError } from '../core/index.js';
import type { ExecutionStatus } from './types.js';

export const JobErrors = {
  jobNotFound: defineError('JOB_NOT_FOUND', 404, (id: string) => `job ${id} not found`),
  jobExists: defineError('JOB_EXISTS', 409, (id: string) => `job ${id} already exists`),
  invalid: defineError(
    'JOB_INVALID',
    422,
    (field: string, why: string) => `${field}: ${why}`,
    (field) => field,
  ),
  badState: defineError(
    'JOB_STATE',
    409,
    (id: string, status: string, why: string) => `job ${id} is ${status}: ${why}`,
  ),
  executionNotFound: defineError(
    'JOB_EXECUTION_NOT_FOUND',
    404,
    (jobId: string, deviceId: string) => `no execution of job ${jobId} on device ${deviceId}`,
  ),
  executionState: defineError(
    'JOB_EXECUTION_STATE',
    409,
    (deviceId: string, status: string) =>
      `the execution on ${deviceId} is ${status}; use force to cancel an IN_PROGRESS one`,
  ),
  artifactNotFound: defineError('JOB_ARTIFACT_NOT_FOUND', 404, (id: string) => `artifact ${id} not found`),
  artifactTooLarge: defineError(
    'JOB_ARTIFACT_TOO_LARGE',
    413,
    (max: number) => `artifact larger than ${max} bytes`,
  ),
  artifactFileMissing: defineError(
    'JOB_ARTIFACT_FILE_MISSING',
    503,
    (id: string, dir: string) =>
      `artifact ${id} is recorded but its file is not in this node's artifact directory ${dir}; in a cluster set --artifacts-dir to a directory every node shares`,
  ),
  badSignature: defineError('JOB_URL_INVALID', 403, (why: string) => `download URL ${why}`),
  badRange: defineError('JOB_RANGE_NOT_SATISFIABLE', 416, (size: number) => `range outside 0–${size}`),
};

/** AWS IoT Jobs rejection codes (RejectedErrorCode). */
export type DeviceErrorCode =
  | 'InvalidTopic'
  | 'InvalidJson'
  | 'InvalidRequest'
  | 'InvalidStateTransition'
  | 'ResourceNotFound'
  | 'VersionMismatch'
  | 'InternalError'
  | 'RequestThrottled'
  | 'TerminalStateReached';

export interface ExecutionStateView {
  status: ExecutionStatus;
  statusDetails?: Record<string, string>;
  versionNumber: number;
}

/** A device request the jobs API rejects; `executionState` rides along for state and version conflicts. */
export class DeviceJobError extends TsunaguError {
  constructor(
    readonly awsCode: DeviceErrorCode,
    message: string,
    readonly executionState?: ExecutionStateView,
  ) {
    super(`JOBS_${awsCode}`, message, awsCode === 'InternalError' ? 500 : 400);
  }
}

export const deviceError = (
  code: DeviceErrorCode,
  message: string,
  state?: ExecutionStateView,
): DeviceJobError => new DeviceJobError(code, message, state);
