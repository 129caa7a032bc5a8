/** JSON schemas of auth/'s routes (request validation and the OpenAPI document). */
const obj = (properties: Record<string, unknown>, required: string[] = [], extra = false) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: extra,
});
const ms = { type: 'integer', description: 'epoch milliseconds' } as const;
const strings = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 256 },
  maxItems: 10_000,
} as const;
const role = { type: 'string', enum: ['viewer', 'operator', 'admin'] } as const;

export const errorSchema = obj(
  {
    error: obj(
      {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
      ['code', 'message'],
    ),
  },
  ['error'],
);
export const errors = {
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
  422: errorSchema,
  429: errorSchema,
};

export const idParam = obj({ id: { type: 'string', minLength: 1, maxLength: 128 } }, ['id']);

export const token = obj(
  {
    id: { type: 'string' },
    name: { type: 'string' },
    role,
    createdAt: ms,
    expiresAt: { type: ['integer', 'null'] },
    revokedAt: { type: ['integer', 'null'] },
    bootstrap: { type: 'boolean' },
    userId: { type: 'string', description: 'owner of a personal token' },
    customer: { type: 'string', description: 'customer scope of a personal token' },
  },
  ['id', 'name', 'role'],
);

export const tokenBody = obj(
  {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    role,
    expiresAt: { ...ms, description: 'optional expiry, epoch milliseconds' },
    expiresInSeconds: { type: 'integer', minimum: 1 },
  },
  ['name', 'role'],
);

/** Personal tokens must expire (at most a year). */
export const personalTokenBody = obj(
  {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    role,
    expiresInSeconds: { type: 'integer', minimum: 60, maximum: 366 * 24 * 3600 },
  },
  ['name', 'role', 'expiresInSeconds'],
);

export const tokenCreated = obj(
  { token, secret: { type: 'string', description: 'shown only in this response' } },
  ['token', 'secret'],
);

export const user = obj(
  {
    id: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    role,
    customer: { type: ['string', 'null'] },
    source: { type: 'string', enum: ['local', 'oidc'] },
    subject: { type: ['string', 'null'] },
    disabled: { type: 'boolean' },
    hasPassword: { type: 'boolean' },
    createdAt: ms,
    updatedAt: ms,
    lastLoginAt: { type: ['integer', 'null'] },
  },
  ['id', 'email', 'name', 'role', 'disabled'],
);

export const userBody = obj(
  {
    email: { type: 'string', minLength: 3, maxLength: 254 },
    name: { type: 'string', minLength: 1, maxLength: 128 },
    role,
    customer: { type: ['string', 'null'], maxLength: 64 },
    password: { type: 'string', minLength: 1, maxLength: 1024, writeOnly: true },
  },
  ['email', 'role'],
);

export const userPatch = obj({
  name: { type: 'string', minLength: 1, maxLength: 128 },
  role,
  customer: { type: ['string', 'null'], maxLength: 64 },
  disabled: { type: 'boolean' },
  password: { type: 'string', minLength: 1, maxLength: 1024, writeOnly: true },
});

export const loginBody = obj(
  {
    email: { type: 'string', minLength: 1, maxLength: 254 },
    password: { type: 'string', minLength: 1, maxLength: 1024, writeOnly: true },
  },
  ['email', 'password'],
);

export const passwordBody = obj(
  {
    current: { type: 'string', maxLength: 1024, writeOnly: true },
    password: { type: 'string', minLength: 1, maxLength: 1024, writeOnly: true },
  },
  ['password'],
);

export const session = obj(
  {
    principal: obj(
      {
        id: { type: 'string' },
        name: { type: 'string' },
        role,
        kind: { type: 'string', enum: ['token', 'user'] },
        customer: { type: 'string' },
      },
      ['id', 'name', 'role', 'kind'],
    ),
    csrfToken: {
      type: 'string',
      description: 'send as X-CSRF-Token on state-changing requests (browser sessions)',
    },
    console: obj({
      mapTilesUrl: {
        type: 'string',
        description: "the map's default raster tile URL template (--map-tiles-url); absent: outlines only",
      },
    }),
  },
  ['principal'],
);

export const signInOptions = obj(
  { local: { type: 'boolean' }, oidc: { type: 'boolean' }, oidcLoginUrl: { type: 'string' } },
  ['local', 'oidc'],
);

export const logoutResult = obj({
  endSessionUrl: {
    type: 'string',
    description: 'send the browser here to sign out at the identity provider too',
  },
});

export const customer = obj(
  {
    id: { type: 'string' },
    name: { type: 'string' },
    devices: strings,
    models: strings,
    tags: strings,
    createdAt: ms,
    updatedAt: ms,
  },
  ['id', 'name', 'devices', 'models', 'tags'],
);
export const customerBody = obj({
  name: { type: 'string', minLength: 1, maxLength: 128 },
  devices: strings,
  models: strings,
  tags: strings,
});
