/**
 * JSON schemas of the dashboards routes (OpenAPI and response serialization). Request bodies are
 * checked by validate.ts, strictly and with the field named, so the body schemas stay loose.
 */
import { THRESHOLD_TONES, WIDGET_KINDS } from './types.js';

const strings = { type: 'array', items: { type: 'string' } };

export const widget = {
  type: 'object',
  required: ['id', 'kind', 'x', 'y', 'w', 'h'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: [...WIDGET_KINDS] },
    title: { type: 'string' },
    x: { type: 'integer', description: 'column 0-11' },
    y: { type: 'integer', description: 'row' },
    w: { type: 'integer', description: 'columns spanned (x + w ≤ 12)' },
    h: { type: 'integer', description: 'rows spanned' },
    device: { type: 'string', description: 'device the widget reads (model dashboards: the one viewed)' },
    keys: { ...strings, description: 'time_series, table' },
    key: { type: 'string', description: 'latest_value, gauge' },
    range: { type: 'string', description: 'time_series: 15m, 1h, 24h, 7d… or data' },
    min: { type: 'number' },
    max: { type: 'number' },
    thresholds: {
      type: 'array',
      items: {
        type: 'object',
        required: ['from', 'tone'],
        properties: { from: { type: 'number' }, tone: { type: 'string', enum: [...THRESHOLD_TONES] } },
      },
    },
    mode: { type: 'string', enum: ['counts', 'device'] },
    slo: { type: 'string' },
  },
} as const;

const specProperties = {
  name: { type: 'string' },
  description: { type: 'string' },
  scope: { type: 'string', description: '`fleet` or `model:<modelId>`' },
  customer: { type: 'string', description: 'only this customer’s users (and staff) see it' },
} as const;

export const dashboard = {
  type: 'object',
  required: ['id', 'name', 'scope', 'widgets', 'version', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    ...specProperties,
    widgets: { type: 'array', items: widget },
    version: { type: 'integer' },
    createdAt: { type: 'number' },
    updatedAt: { type: 'number' },
  },
} as const;

export const dashboardBody = {
  type: 'object',
  required: ['name', 'scope'],
  properties: {
    ...specProperties,
    widgets: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

export const field = {
  type: 'object',
  required: ['key', 'kind', 'source'],
  properties: {
    key: { type: 'string' },
    kind: { type: 'string', enum: ['number', 'text'] },
    unit: { type: 'string' },
    source: { type: 'string', description: 'decoder id, or `reported`' },
  },
} as const;
