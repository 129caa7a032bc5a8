/** JSON schemas for the registry routes (they validate requests and feed the OpenAPI document). */
import { paging as pagingQuery } from '../http/index.js';

const obj = (properties: Record<string, unknown>, required: string[] = [], extra = false) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: extra,
});

const free = { type: 'object', additionalProperties: true } as const;
const ms = { type: 'integer', description: 'epoch milliseconds' } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;

export const errorSchema = obj(
  {
    error: obj(
      {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string' },
        details: free,
      },
      ['code', 'message'],
    ),
  },
  ['error'],
);

const heartbeat = obj(
  {
    intervalMs: { type: 'integer', minimum: 1000 },
    graceMs: { type: 'integer', minimum: 0 },
    signOfLife: { type: 'string', enum: ['heartbeat', 'any_message', 'connection'] },
  },
  ['intervalMs'],
);
const acl = obj({ publish: strings, subscribe: strings });
const shadow = obj({
  clearDesiredOnReport: { type: 'boolean' },
  maxDocumentBytes: { type: 'integer', minimum: 64 },
});

const decoderRoute = obj(
  {
    match: obj({
      transport: { type: 'string', enum: ['mqtt', 'telegram', 'http'] },
      topic: { type: 'string', description: 'MQTT topic filter (+, #); implies transport mqtt' },
    }),
    decoder: { type: 'string' },
  },
  ['match', 'decoder'],
);

const modelFields = {
  name: { type: 'string' },
  description: { type: 'string' },
  heartbeat,
  acl,
  decoder: { type: 'string', description: 'decoder for messages no `decoders` entry matches' },
  decoders: {
    type: 'array',
    maxItems: 32,
    items: decoderRoute,
    description: 'decoders per transport/topic; the first matching entry wins',
  },
  shadow,
  outOfServiceCommands: {
    type: 'string',
    enum: ['allow', 'warn', 'refuse'],
    description: 'commands to out-of-service devices (unset: the platform setting, default warn)',
  },
  fields: {
    type: 'array',
    maxItems: 256,
    description: 'telemetry keys with unit and label (display only)',
    items: obj({ key: { type: 'string' }, unit: { type: 'string' }, label: { type: 'string' } }, ['key']),
  },
  attributes: free,
};

export const modelBody = obj(modelFields, ['name']);
export const modelReplaceBody = obj(modelFields);
export const model = obj({ ...modelFields, createdAt: ms, updatedAt: ms }, [
  'name',
  'description',
  'attributes',
]);

const deviceFields = {
  model: { type: ['string', 'null'] },
  name: { type: 'string' },
  tags: strings,
  attributes: free,
  enabled: { type: 'boolean' },
};

export const deviceBody = obj({ id: { type: 'string' }, ...deviceFields }, ['id']);
export const devicePatch = obj(deviceFields);
export const device = obj(
  {
    id: { type: 'string' },
    ...deviceFields,
    createdAt: ms,
    updatedAt: ms,
    online: { type: 'boolean' },
    lastSeenAt: { ...ms, description: 'last connect, disconnect or message (0 = never)' },
  },
  ['id', 'model', 'name', 'tags', 'attributes', 'enabled', 'online'],
);

export const paging = pagingQuery({ max: 1000, default: 50 });

export const page = (item: unknown) =>
  obj(
    {
      items: { type: 'array', items: item },
      total: { type: 'integer' },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
      nextOffset: { type: ['integer', 'null'] },
    },
    ['items', 'total'],
  );

export const SERVICE_STATES = ['in_service', 'out_of_service', 'maintenance', 'retired'];

/** A device list row: the device plus its service state (health's, read when the page is built). */
export const deviceListItem = obj(
  {
    ...device.properties,
    serviceState: { type: 'string', enum: SERVICE_STATES },
    serviceReasons: { type: 'array', items: { type: 'string' }, description: 'why out of service' },
  },
  [...device.required, 'serviceState', 'serviceReasons'],
);

export const deviceListQuery = obj({
  model: { type: 'string' },
  tag: { type: 'string' },
  online: { type: 'boolean' },
  serviceState: {
    type: 'string',
    enum: SERVICE_STATES,
    description: 'only devices in this service state (health); in_service is every device in no other',
  },
  q: { type: 'string', description: 'case-insensitive substring of id or name' },
  sort: { type: 'string', enum: ['id', 'name', 'createdAt', 'updatedAt', 'lastSeenAt'], default: 'id' },
  order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
  ...paging,
});

export const credential = obj(
  {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    kind: { type: 'string', enum: ['password', 'certificate'] },
    username: { type: 'string' },
    fingerprint: { type: 'string' },
    status: { type: 'string', enum: ['active', 'expired', 'revoked'] },
    createdAt: ms,
    expiresAt: { type: ['integer', 'null'] },
    revokedAt: { type: ['integer', 'null'] },
  },
  ['id', 'deviceId', 'kind', 'status'],
);

export const credentialBody = obj({
  kind: { type: 'string', enum: ['password', 'certificate'], default: 'password' },
  username: { type: 'string', description: 'password credentials; defaults to the device id' },
  fingerprint: { type: 'string', description: 'certificate credentials: SHA-256, hex, colons allowed' },
});

export const credentialCreated = obj(
  { credential, secret: { type: 'string', description: 'shown only in this response' } },
  ['credential'],
);

export const rotateBody = obj({ overlapMs: { type: 'integer', minimum: 0 } });
export const rotated = obj(
  {
    credential,
    previous: credential,
    secret: { type: 'string', description: 'shown only in this response' },
  },
  ['credential', 'previous', 'secret'],
);

export const session = obj({
  id: { type: 'integer' },
  event: { type: 'string', enum: ['connect', 'disconnect'] },
  at: ms,
  remoteAddress: { type: 'string' },
  protocolVersion: { type: ['integer', 'null'] },
  keepalive: { type: ['integer', 'null'] },
  reason: { type: ['string', 'null'] },
  refused: { type: 'boolean' },
  detail: { type: ['string', 'null'] },
});

export const fleet = obj(
  {
    total: { type: 'integer' },
    online: { type: 'integer' },
    offline: { type: 'integer' },
    flapping: { type: 'integer' },
  },
  ['total', 'online', 'offline', 'flapping'],
);

export const token = obj(
  {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: ['viewer', 'operator', 'admin'] },
    createdAt: ms,
    expiresAt: { type: ['integer', 'null'] },
    revokedAt: { type: ['integer', 'null'] },
    bootstrap: { type: 'boolean' },
  },
  ['id', 'name', 'role'],
);

export const tokenBody = obj(
  {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    role: { type: 'string', enum: ['viewer', 'operator', 'admin'] },
    expiresAt: { ...ms, description: 'optional expiry, epoch milliseconds' },
    expiresInSeconds: { type: 'integer', minimum: 1 },
  },
  ['name', 'role'],
);

export const tokenCreated = obj(
  { token, secret: { type: 'string', description: 'shown only in this response' } },
  ['token', 'secret'],
);

export const importResult = obj({
  models: obj({ created: { type: 'integer' }, updated: { type: 'integer' } }),
  devices: obj({ created: { type: 'integer' }, updated: { type: 'integer' } }),
});

export const idParam = obj({ id: { type: 'string' } }, ['id']);
export const nameParam = obj({ name: { type: 'string' } }, ['name']);
export const credentialParam = obj({ id: { type: 'string' }, credentialId: { type: 'string' } }, [
  'id',
  'credentialId',
]);
