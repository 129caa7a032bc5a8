/** JSON schemas of the schedules routes (OpenAPI document and response serialization). */
const strings = { type: 'array', items: { type: 'string' } };
const patch = { type: 'object', additionalProperties: true, description: 'desired-state patch' };
const slot = {
  type: 'object',
  required: ['time', 'patch'],
  properties: { time: { type: 'string', description: 'local wall time HH:MM' }, patch },
};
const when = {
  type: 'object',
  properties: {
    days: { ...strings, description: 'sun…sat, weekday, weekend' },
    holidays: { ...strings, description: 'names of holiday lists' },
    between: {
      type: 'object',
      required: ['from', 'to'],
      properties: { from: { type: 'string' }, to: { type: 'string' } },
      description: 'inclusive MM-DD (yearly, may wrap) or YYYY-MM-DD range',
    },
    rrule: { type: 'string', description: 'RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=1MO' },
  },
};
const rule = {
  type: 'object',
  required: ['name', 'when', 'slots'],
  properties: { name: { type: 'string' }, when, slots: { type: 'array', items: slot } },
};
const exception = {
  type: 'object',
  required: ['date', 'slots'],
  properties: { date: { type: 'string' }, slots: { type: 'array', items: slot }, note: { type: 'string' } },
};
const verify = {
  type: 'object',
  properties: {
    timeoutMs: { type: 'integer' },
    attempts: { type: 'integer' },
    backoffMs: { type: 'integer' },
    maxBackoffMs: { type: 'integer' },
  },
};
const targets = {
  type: 'object',
  properties: { devices: strings, models: strings, tags: strings },
};
const holidays = {
  type: 'object',
  additionalProperties: strings,
  description: 'list name → YYYY-MM-DD dates',
};
const common = {
  name: { type: 'string' },
  enabled: { type: 'boolean' },
  timezone: { type: 'string', description: 'IANA zone, e.g. Europe/Berlin' },
  zoneAttribute: { type: 'string', nullable: true, description: 'device attribute overriding the zone' },
  targets,
  shadowName: { type: 'string' },
  rules: { type: 'array', items: rule },
  exceptions: { type: 'array', items: exception },
  holidays,
  overrideMode: { type: 'string', enum: ['until_next_slot', 'until_cleared'] },
  verify,
};

/** Validated in validate.ts (errors name the nested field); the schema documents the shape. */
export const scheduleBody = { type: 'object', required: ['name', 'timezone', 'rules'], properties: common };

export const schedule = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    ...common,
    version: { type: 'integer' },
    createdAt: { type: 'number' },
    updatedAt: { type: 'number' },
  },
};

export const slotWrite = {
  type: 'object',
  properties: {
    at: { type: 'number' },
    date: { type: 'string' },
    time: { type: 'string' },
    source: { type: 'string' },
    patch,
  },
};

export const preview = {
  type: 'object',
  properties: {
    scheduleId: { type: 'string' },
    zone: { type: 'string' },
    deviceId: { type: 'string', nullable: true },
    from: { type: 'number' },
    to: { type: 'number' },
    writes: { type: 'array', items: slotWrite },
  },
};

export const execution = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    scheduleId: { type: 'string' },
    deviceId: { type: 'string' },
    shadowName: { type: 'string' },
    slotAt: { type: 'number' },
    slotDate: { type: 'string' },
    slotTime: { type: 'string' },
    kind: { type: 'string', enum: ['slot', 'startup'] },
    patch,
    status: { type: 'string', enum: ['sent', 'offline', 'verified', 'failed', 'superseded', 'overridden'] },
    attempts: { type: 'integer' },
    nextCheckAt: { type: 'number', nullable: true },
    reason: { type: 'string', nullable: true },
    createdAt: { type: 'number' },
    updatedAt: { type: 'number' },
    finishedAt: { type: 'number', nullable: true },
  },
};

export const override = {
  type: 'object',
  properties: {
    scheduleId: { type: 'string' },
    deviceId: { type: 'string' },
    mode: { type: 'string' },
    keys: strings,
    actor: { type: 'string' },
    at: { type: 'number' },
    untilAt: { type: 'number', nullable: true },
  },
};

export const page = (items: object) => ({
  type: 'object',
  properties: { items: { type: 'array', items }, total: { type: 'integer' } },
});
