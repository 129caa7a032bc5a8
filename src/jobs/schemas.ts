/** JSON schemas of the jobs API (OpenAPI document and request validation). */
import { EXECUTION_STATUSES, HEALTH_SIGNALS } from './types.js';

const str = { type: 'string' };
const strings = (max = 10_000) => ({
  type: 'array',
  maxItems: max,
  items: { type: 'string', minLength: 1, maxLength: 128 },
});
const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });

export const createJobBody = {
  type: 'object',
  required: ['document', 'targets'],
  additionalProperties: false,
  properties: {
    jobId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    description: { type: 'string', maxLength: 2028 },
    document: {
      type: 'object',
      additionalProperties: true,
      description: 'the job document (JSON, at most 32 KB)',
    },
    targets: {
      type: 'object',
      additionalProperties: false,
      properties: { deviceIds: strings(), models: strings(100), tags: strings(100) },
    },
    targetSelection: { type: 'string', enum: ['SNAPSHOT', 'CONTINUOUS'] },
    jobExecutionsRolloutConfig: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maximumPerMinute: int(1, 1000),
        exponentialRate: {
          type: 'object',
          required: ['baseRatePerMinute', 'incrementFactor', 'rateIncreaseCriteria'],
          additionalProperties: false,
          properties: {
            baseRatePerMinute: int(1, 1000),
            incrementFactor: { type: 'number', minimum: 1.1, maximum: 5 },
            rateIncreaseCriteria: {
              type: 'object',
              additionalProperties: false,
              properties: {
                numberOfNotifiedThings: int(1, 1_000_000),
                numberOfSucceededThings: int(1, 1_000_000),
              },
            },
          },
        },
      },
    },
    abortConfig: {
      type: 'object',
      required: ['criteriaList'],
      additionalProperties: false,
      properties: {
        criteriaList: {
          type: 'array',
          minItems: 1,
          maxItems: 10,
          items: {
            type: 'object',
            required: ['failureType', 'action', 'thresholdPercentage', 'minNumberOfExecutedThings'],
            additionalProperties: false,
            properties: {
              failureType: { type: 'string', enum: ['FAILED', 'REJECTED', 'TIMED_OUT', 'ALL'] },
              action: { type: 'string', enum: ['CANCEL'] },
              thresholdPercentage: { type: 'number', minimum: 0, maximum: 100 },
              minNumberOfExecutedThings: int(1, 1_000_000),
            },
          },
        },
      },
    },
    jobExecutionsRetryConfig: {
      type: 'object',
      required: ['criteriaList'],
      additionalProperties: false,
      properties: {
        criteriaList: {
          type: 'array',
          minItems: 1,
          maxItems: 2,
          items: {
            type: 'object',
            required: ['failureType', 'numberOfRetries'],
            additionalProperties: false,
            properties: {
              failureType: { type: 'string', enum: ['FAILED', 'TIMED_OUT', 'ALL'] },
              numberOfRetries: int(0, 10),
            },
          },
        },
      },
    },
    timeoutConfig: {
      type: 'object',
      additionalProperties: false,
      properties: { inProgressTimeoutInMinutes: int(1, 10080) },
    },
    presignedUrlConfig: {
      type: 'object',
      required: ['expiresInSec'],
      additionalProperties: false,
      properties: { expiresInSec: int(60, 3600) },
    },
    schedulingConfig: {
      type: 'object',
      additionalProperties: false,
      properties: {
        startTime: { type: 'string', maxLength: 64, description: 'ISO 8601; without an offset, in timeZone' },
        endTime: { type: 'string', maxLength: 64 },
        endBehavior: { type: 'string', enum: ['STOP_ROLLOUT', 'CANCEL', 'FORCE_CANCEL'] },
        timeZone: { type: 'string', maxLength: 64, description: 'IANA zone (default UTC)' },
        maintenanceWindows: {
          type: 'array',
          maxItems: 10,
          items: {
            type: 'object',
            required: ['recurrence', 'startTime', 'durationInMinutes'],
            additionalProperties: false,
            properties: {
              recurrence: {
                type: 'string',
                maxLength: 500,
                description: 'RRULE, e.g. FREQ=WEEKLY;BYDAY=SA,SU',
              },
              startTime: { type: 'string', maxLength: 64, description: 'local HH:mm' },
              durationInMinutes: int(1, 10080),
            },
          },
        },
      },
    },
    sloFreeze: {
      type: 'object',
      additionalProperties: false,
      properties: {
        slos: {
          type: 'array',
          maxItems: 20,
          items: { type: 'string', minLength: 1, maxLength: 128 },
          default: [],
        },
        targetModels: { type: 'boolean', default: true },
        trigger: {
          type: 'string',
          enum: ['BUDGET_EXHAUSTED', 'BURN_ALERT', 'EITHER'],
          default: 'BUDGET_EXHAUSTED',
        },
        onRecovery: { type: 'string', enum: ['RESUME', 'STAY_PAUSED'], default: 'RESUME' },
      },
    },
    healthGate: {
      type: 'object',
      required: ['soakMinutes', 'signals', 'marginPercent'],
      additionalProperties: false,
      properties: {
        soakMinutes: int(1, 10080),
        signals: { type: 'array', minItems: 1, items: { type: 'string', enum: [...HEALTH_SIGNALS] } },
        marginPercent: { type: 'number', minimum: 0, maximum: 100 },
        minDevices: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
        action: { type: 'string', enum: ['PAUSE', 'CANCEL'], default: 'PAUSE' },
      },
    },
  },
};

const counts = {
  type: 'object',
  properties: Object.fromEntries(
    [...EXECUTION_STATUSES, 'PENDING_ROLLOUT'].map((s) => [s, { type: 'integer' }]),
  ),
};

export const jobView = {
  type: 'object',
  properties: {
    id: str,
    description: str,
    document: { type: 'object', additionalProperties: true },
    targets: { type: 'object', additionalProperties: true },
    continuous: { type: 'boolean' },
    status: { type: 'string', enum: ['IN_PROGRESS', 'PAUSED', 'CANCELED', 'COMPLETED'] },
    config: { type: 'object', additionalProperties: true },
    rollout: {
      type: 'object',
      properties: {
        ratePerMinute: { type: 'number', nullable: true },
        soakUntil: { type: 'number', nullable: true },
      },
    },
    reason: { type: 'string', nullable: true },
    createdAt: { type: 'number' },
    updatedAt: { type: 'number' },
    completedAt: { type: 'number', nullable: true },
    progress: counts,
    schedule: {
      type: 'object',
      properties: {
        phase: { type: 'string', enum: ['before-start', 'closed', 'open', 'ended'] },
        opensAt: { type: 'number', nullable: true },
        closesAt: { type: 'number', nullable: true },
      },
    },
  },
};

export const jobSummary = {
  type: 'object',
  properties: {
    id: str,
    description: str,
    continuous: { type: 'boolean' },
    status: str,
    reason: { type: 'string', nullable: true },
    createdAt: { type: 'number' },
    updatedAt: { type: 'number' },
    completedAt: { type: 'number', nullable: true },
  },
};

export const execution = {
  type: 'object',
  properties: {
    jobId: str,
    deviceId: str,
    executionNumber: { type: 'integer' },
    status: { type: 'string', enum: [...EXECUTION_STATUSES] },
    statusDetails: { type: 'object', additionalProperties: { type: 'string' } },
    versionNumber: { type: 'integer' },
    queuedAt: { type: 'number' },
    startedAt: { type: 'number', nullable: true },
    lastUpdatedAt: { type: 'number' },
    timeoutAt: { type: 'number', nullable: true },
  },
};

export const timelineEntry = {
  type: 'object',
  properties: { at: { type: 'number' }, event: str, detail: { type: 'object', additionalProperties: true } },
};

export const artifact = {
  type: 'object',
  properties: {
    id: str,
    name: str,
    size: { type: 'integer' },
    sha256: str,
    signature: { type: 'string', nullable: true },
    contentType: str,
    createdAt: { type: 'number' },
  },
};

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
};
