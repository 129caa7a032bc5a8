/**
 * Reading device request payloads (AWS IoT Jobs MQTT API request fields). Anything malformed is an
 * `InvalidJson` or `InvalidRequest` rejection naming the field; nothing a device sends throws
 * anything else.
 */
import { deviceError } from './errors.js';
import type { ExecutionStatus } from './types.js';
import { DEVICE_SETTABLE } from './transitions.js';

export interface BaseRequest {
  clientToken?: string;
}
export interface StartNextRequest extends BaseRequest {
  statusDetails?: Record<string, string>;
  stepTimeoutInMinutes?: number;
}
export interface DescribeRequest extends BaseRequest {
  executionNumber?: number;
  includeJobDocument: boolean;
}
export interface UpdateRequest extends BaseRequest {
  status: ExecutionStatus;
  statusDetails?: Record<string, string>;
  expectedVersion?: number;
  executionNumber?: number;
  includeJobExecutionState: boolean;
  includeJobDocument: boolean;
  stepTimeoutInMinutes?: number;
}

type Obj = Record<string, unknown>;

/** The payload as a JSON object (an empty payload is `{}`). */
export function parsePayload(payload: Buffer): Obj {
  if (payload.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    throw deviceError('InvalidJson', 'The request could not be parsed as UTF-8 JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw deviceError('InvalidRequest', 'The request payload must be a JSON object');
  return v as Obj;
}

/** The clientToken, when it is a usable string (also read from requests that are otherwise invalid). */
export function tokenOf(body: Obj): string | undefined {
  const t = body.clientToken;
  return typeof t === 'string' && t.length <= 64 ? t : undefined;
}

function base(body: Obj): BaseRequest {
  const t = body.clientToken;
  if (t === undefined) return {};
  if (typeof t !== 'string' || t.length > 64)
    throw deviceError('InvalidRequest', 'clientToken must be a string of at most 64 characters');
  return { clientToken: t };
}

function integer(body: Obj, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw deviceError('InvalidRequest', `${field} must be an integer from ${min} to ${max}`);
  return v;
}

function bool(body: Obj, field: string, dflt: boolean): boolean {
  const v = body[field];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw deviceError('InvalidRequest', `${field} must be true or false`);
  return v;
}

const DETAIL_KEY = /^[A-Za-z0-9:_-]{1,128}$/;

/** AWS statusDetails: string keys `[a-zA-Z0-9:_-]{1,128}`, non-empty string values up to 1,024 characters. */
function statusDetails(body: Obj): Record<string, string> | undefined {
  const v = body.statusDetails;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw deviceError('InvalidRequest', 'statusDetails must be an object');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Obj)) {
    if (!DETAIL_KEY.test(k))
      throw deviceError(
        'InvalidRequest',
        `statusDetails key "${k.slice(0, 40)}" is not [a-zA-Z0-9:_-]{1,128}`,
      );
    if (typeof val !== 'string' || val.length === 0 || val.length > 1024)
      throw deviceError('InvalidRequest', `statusDetails.${k} must be a string of 1 to 1024 characters`);
    out[k] = val;
  }
  if (Object.keys(out).length > 10)
    throw deviceError('InvalidRequest', 'statusDetails holds at most 10 entries');
  return out;
}

const STEP = (body: Obj): number | undefined => integer(body, 'stepTimeoutInMinutes', 1, 10080);

export function readStartNext(body: Obj): StartNextRequest {
  const details = statusDetails(body);
  const step = STEP(body);
  return {
    ...base(body),
    ...(details ? { statusDetails: details } : {}),
    ...(step ? { stepTimeoutInMinutes: step } : {}),
  };
}

export function readDescribe(body: Obj): DescribeRequest {
  const n = integer(body, 'executionNumber', 1, Number.MAX_SAFE_INTEGER);
  // AWS DescribeJobExecution: "Unless set to false, the response contains the job document."
  return {
    ...base(body),
    ...(n ? { executionNumber: n } : {}),
    includeJobDocument: bool(body, 'includeJobDocument', true),
  };
}

export function readUpdate(body: Obj): UpdateRequest {
  const b = base(body);
  const status = body.status;
  if (typeof status !== 'string' || !DEVICE_SETTABLE.has(status as ExecutionStatus))
    throw deviceError('InvalidRequest', 'status must be one of IN_PROGRESS, SUCCEEDED, FAILED, REJECTED');
  const details = statusDetails(body);
  const expectedVersion = integer(body, 'expectedVersion', 0, Number.MAX_SAFE_INTEGER);
  const executionNumber = integer(body, 'executionNumber', 1, Number.MAX_SAFE_INTEGER);
  const step = STEP(body);
  return {
    ...b,
    status: status as ExecutionStatus,
    ...(details ? { statusDetails: details } : {}),
    ...(expectedVersion !== undefined ? { expectedVersion } : {}),
    ...(executionNumber !== undefined ? { executionNumber } : {}),
    includeJobExecutionState: bool(body, 'includeJobExecutionState', false),
    includeJobDocument: bool(body, 'includeJobDocument', false),
    ...(step ? { stepTimeoutInMinutes: step } : {}),
  };
}
