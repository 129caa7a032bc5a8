/* eslint-disable @typescript-eslint/no-explicit-any -- test responses are read loosely */
/** Test helpers for auth/: a module context on an in-memory SQLite, a small device directory, fast KDF. */
import type { FastifyInstance } from 'fastify';
import { Registry as Metrics } from 'prom-client';
import {
  defaultConfig,
  EventBus,
  ManualClock,
  silentLogger,
  type DeviceDirectory,
  type DeviceInfo,
  type DeviceModelInfo,
  type TsunaguConfig,
} from '../core/index.js';
import type { ModuleContext } from '../platform/index.js';
import type { Database } from '../store/index.js';
import { openSqlite } from '../store/index.js';
import { FakeBroker } from '../test-support/fake-broker.js';
import { createHttpServer, registerApi } from '../http/index.js';
import { createAuth, type AuthModule, type AuthOptions } from './index.js';
import type { KdfParams } from './passwords.js';

/** Fast enough for tests; production uses DEFAULT_KDF. */
export const TEST_KDF: KdfParams = { N: 1024, r: 8, p: 1 };

export function authContext(
  db: Database = openSqlite(':memory:'),
  config: Partial<TsunaguConfig> = {},
  clock = new ManualClock(),
): ModuleContext & { clock: ManualClock } {
  return {
    config: { ...defaultConfig(), ...config },
    db,
    bus: new EventBus(silentLogger),
    clock,
    log: silentLogger,
    broker: new FakeBroker(),
    metrics: new Metrics(),
  };
}

export class MemoryDirectory implements DeviceDirectory {
  readonly devices = new Map<string, DeviceInfo>();
  readonly models = new Map<string, DeviceModelInfo>();

  add(id: string, model: string | null, tags: string[] = []): this {
    this.devices.set(id, { id, model, name: id, tags, enabled: true, attributes: {} });
    return this;
  }

  async getDevice(id: string): Promise<DeviceInfo | undefined> {
    return this.devices.get(id);
  }

  async getModel(name: string): Promise<DeviceModelInfo | undefined> {
    return this.models.get(name);
  }

  async *listDevices(filter?: { model?: string; tag?: string }): AsyncIterable<DeviceInfo> {
    for (const d of this.devices.values())
      if ((!filter?.model || d.model === filter.model) && (!filter?.tag || d.tags.includes(filter.tag)))
        yield d;
  }
}

export const HARNESS_ADMIN = 'auth-test-admin-token-0123456789abcdef';

export interface AuthHarness {
  auth: AuthModule;
  http: FastifyInstance;
  clock: ManualClock;
  directory: MemoryDirectory;
  lines: string[];
  admin: { authorization: string };
  call(
    method: string,
    url: string,
    opts?: { body?: unknown; headers?: Record<string, string>; cookie?: string },
  ): Promise<{ status: number; body: any; headers: Record<string, unknown>; cookie?: string }>;
  close(): Promise<void>;
}

/** auth/ alone behind the real HTTP server and access check, with extra routes to probe access. */
export async function startAuthHarness(
  opts: {
    config?: Partial<TsunaguConfig>;
    auth?: AuthOptions;
    extraRoutes?: (api: FastifyInstance) => void;
  } = {},
): Promise<AuthHarness> {
  const clock = new ManualClock();
  const ctx = authContext(openSqlite(':memory:'), { adminToken: HARNESS_ADMIN, ...opts.config }, clock);
  const directory = new MemoryDirectory();
  const lines: string[] = [];
  const auth = await createAuth(ctx, directory, {
    kdf: TEST_KDF,
    announce: (l) => lines.push(l),
    ...opts.auth,
  });
  const http = createHttpServer({
    log: silentLogger,
    metrics: ctx.metrics,
    tokens: auth.tokens,
    ready: () => true,
  });
  await registerApi(http, auth.access, [auth.routes!, ...(opts.extraRoutes ? [opts.extraRoutes] : [])]);
  await http.ready();
  return {
    auth,
    http,
    clock,
    directory,
    lines,
    admin: { authorization: `Bearer ${HARNESS_ADMIN}` },
    async call(method, url, o = {}) {
      const r = await http.inject({
        method: method as 'GET',
        url: `/api/v1${url}`,
        headers: { ...(o.cookie ? { cookie: o.cookie } : {}), ...o.headers },
        ...(o.body !== undefined ? { payload: o.body as object } : {}),
      });
      const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
      const session = set.find((c) => c.startsWith('tsunagu_session='));
      return {
        status: r.statusCode,
        body: r.body
          ? r.headers['content-type']?.toString().includes('json')
            ? r.json()
            : r.body
          : undefined,
        headers: r.headers,
        ...(session ? { cookie: session } : {}),
      };
    },
    async close() {
      await http.close();
      await ctx.db.close();
    },
  };
}

/** `name=value` of a Set-Cookie line, for the Cookie header. */
export const cookiePair = (setCookie: string): string => setCookie.split(';')[0]!;
