/** JSON schemas of the telemetry API (they also feed the OpenAPI document). */
import { paging } from '../http/index.js';

const anyObject = { type: 'object', additionalProperties: true } as const;

export const decoderSchema = {
  type: 'object',
  required: ['id', 'type', 'spec'],
  properties: {
    id: { type: 'string', maxLength: 64 },
    name: { type: 'string' },
    type: { type: 'string', enum: ['json', 'csv', 'protobuf'] },
    description: { type: 'string' },
    spec: anyObject,
  },
  additionalProperties: false,
} as const;

export const decoderBodySchema = { ...decoderSchema, required: ['type', 'spec'] } as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export const samplePayload = {
  payload: { type: 'string', description: 'sample message, as text or base64' },
  encoding: { type: 'string', enum: ['text', 'base64'], default: 'text' },
} as const;

const valueSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, value: { type: 'number' }, unit: { type: 'string' } },
} as const;
const decodedEventSchema = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    severity: { type: 'string' },
    message: { type: 'string' },
    fields: anyObject,
  },
} as const;

export const testResultSchema = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    ts: { type: 'number' },
    deviceId: { type: 'string' },
    points: { type: 'array', items: valueSchema },
    events: { type: 'array', items: decodedEventSchema },
    attributes: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, text: { type: 'string' } } },
    },
    errors: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const storedEventSchema = {
  type: 'object',
  properties: {
    id: { type: 'number' },
    deviceId: { type: 'string' },
    ts: { type: 'number' },
    time: { type: 'string' },
    code: { type: 'string' },
    severity: { type: 'string' },
    message: { type: 'string' },
    fields: anyObject,
  },
} as const;

export const latestSchema = {
  type: 'object',
  properties: {
    deviceId: { type: 'string' },
    metric: { type: 'string' },
    ts: { type: 'number' },
    value: { type: ['number', 'null'] },
    text: { type: ['string', 'null'] },
  },
} as const;

export const seriesQuerySchema = {
  type: 'object',
  properties: {
    metric: { type: 'string' },
    from: { type: 'string', description: 'epoch ms or ISO 8601 (default: 24 h before `to`)' },
    to: { type: 'string', description: 'epoch ms or ISO 8601, exclusive (default: now)' },
    bucket: { type: 'string', description: 'bucket size: 30s, 5m, 1h, 1d … (absent: raw points)' },
    agg: { type: 'string', enum: ['avg', 'min', 'max', 'sum', 'count', 'last'], default: 'avg' },
    format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
    ...paging({ max: 100_000, default: 10_000, offset: false }),
  },
  additionalProperties: false,
} as const;

export const seriesResponseSchema = {
  type: 'object',
  properties: {
    deviceId: { type: 'string' },
    metric: { type: ['string', 'null'] },
    from: { type: 'number' },
    to: { type: 'number' },
    bucket: { type: ['number', 'null'] },
    agg: { type: ['string', 'null'] },
    source: { type: 'string' },
    points: {
      type: 'array',
      items: {
        type: 'object',
        properties: { ts: { type: 'number' }, metric: { type: 'string' }, value: { type: 'number' } },
      },
    },
  },
} as const;

export const errorResponse = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string' },
        details: anyObject,
      },
    },
  },
} as const;
