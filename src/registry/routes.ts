/**
 * The registry's HTTP API under /api/v1: device models, devices, credentials, connectivity history
 * and fleet counts. Audit and YAML import/export are in routes-admin.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceState } from '../core/index.js';
import type { CredentialService, NewCredential } from './credentials.js';
import * as S from './schemas.js';
import type { ApiActor, RegistryService } from './service.js';
import type { DeviceQuery, DeviceSort, ServiceStateSource } from './types.js';

export function actorOf(req: FastifyRequest): ApiActor {
  const p = req.principal;
  return p
    ? { kind: p.kind ?? 'token', id: p.id, name: p.name }
    : { kind: 'system', id: 'unknown', name: null };
}

const errors = { 404: S.errorSchema, 409: S.errorSchema, 422: S.errorSchema };

/** POST without a body (`curl -X POST …/credentials`) means "all defaults". */
const emptyBodyIsObject = async (req: FastifyRequest): Promise<void> => {
  req.body ??= {};
};
const tags = (t: string): string[] => [t];

export function nextOffset(offset: number, count: number, total: number): number | null {
  return offset + count < total ? offset + count : null;
}

interface ListQuery {
  model?: string;
  tag?: string;
  online?: boolean;
  serviceState?: ServiceState;
  q?: string;
  sort: DeviceSort;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

/** One page of the devices a predicate admits (customer lists: small fleets, read in chunks). */
async function scopedPage(
  registry: RegistryService,
  query: DeviceQuery,
  admits: (d: { id: string; model: string | null; tags: string[] }) => boolean,
): ReturnType<RegistryService['queryDevices']> {
  const CHUNK = 500;
  const items: Awaited<ReturnType<RegistryService['queryDevices']>>['items'] = [];
  for (let offset = 0; ; offset += CHUNK) {
    const chunk = await registry.queryDevices({ ...query, limit: CHUNK, offset });
    items.push(...chunk.items.filter(admits));
    if (chunk.items.length < CHUNK) break;
  }
  return { items: items.slice(query.offset, query.offset + query.limit), total: items.length };
}

/** Health holds no state for a device: it is in service. */
const ALL_IN_SERVICE: ServiceStateSource = {
  of: () => ({ state: 'in_service', reasons: [] }),
  devicesIn: () => [],
};

/** The id set that a service-state filter adds to the query (in service: none held in another state). */
function serviceStateIds(states: ServiceStateSource, state: ServiceState | undefined): Partial<DeviceQuery> {
  if (state === undefined) return {};
  if (state !== 'in_service') return { idIn: states.devicesIn(state) };
  const held = (['out_of_service', 'maintenance', 'retired'] as const).flatMap((s) => states.devicesIn(s));
  return { idNotIn: held };
}

export function registryRoutes(
  registry: RegistryService,
  credentials: CredentialService,
  states: ServiceStateSource = ALL_IN_SERVICE,
) {
  return (api: FastifyInstance): void => {
    // --- device models -----------------------------------------------------------------------
    api.get(
      '/device-models',
      {
        schema: {
          tags: tags('device models'),
          summary: 'List device models',
          response: { 200: { type: 'object', properties: { items: { type: 'array', items: S.model } } } },
        },
      },
      async () => ({ items: await registry.listModels() }),
    );
    api.post(
      '/device-models',
      {
        config: { action: 'device-model.create' },
        schema: {
          tags: tags('device models'),
          summary: 'Create a device model',
          body: S.modelBody,
          response: { 201: S.model, ...errors },
        },
      },
      async (req, reply) => reply.status(201).send(await registry.createModel(req.body, actorOf(req))),
    );
    api.get<{ Params: { name: string } }>(
      '/device-models/:name',
      {
        schema: {
          tags: tags('device models'),
          summary: 'Get a device model',
          params: S.nameParam,
          response: { 200: S.model, ...errors },
        },
      },
      async (req) => registry.getModel(req.params.name),
    );
    api.put<{ Params: { name: string }; Body: Record<string, unknown> }>(
      '/device-models/:name',
      {
        config: { action: 'device-model.update' },
        schema: {
          tags: tags('device models'),
          summary: 'Replace a device model',
          params: S.nameParam,
          body: S.modelReplaceBody,
          response: { 200: S.model, ...errors },
        },
      },
      async (req) => {
        const { name: _ignored, ...body } = req.body;
        return registry.replaceModel(req.params.name, body, actorOf(req));
      },
    );
    api.delete<{ Params: { name: string } }>(
      '/device-models/:name',
      {
        config: { action: 'device-model.delete' },
        schema: {
          tags: tags('device models'),
          summary: 'Delete an unused device model',
          params: S.nameParam,
          response: { 204: { type: 'null' }, ...errors },
        },
      },
      async (req, reply) => {
        await registry.deleteModel(req.params.name, actorOf(req));
        return reply.status(204).send();
      },
    );

    // --- devices -----------------------------------------------------------------------------
    api.get<{ Querystring: ListQuery }>(
      '/devices',
      {
        schema: {
          tags: tags('devices'),
          summary: 'List devices (filters, paging, sort) with their service state',
          querystring: S.deviceListQuery,
          response: { 200: S.page(S.deviceListItem), ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const query: DeviceQuery = {
          ...(q.model !== undefined ? { model: q.model } : {}),
          ...(q.tag !== undefined ? { tag: q.tag } : {}),
          ...(q.online !== undefined ? { online: q.online } : {}),
          ...(q.q !== undefined ? { q: q.q } : {}),
          ...serviceStateIds(states, q.serviceState),
          sort: q.sort,
          order: q.order,
          limit: q.limit,
          offset: q.offset,
        };
        // A customer's principal (auth/) sees only its devices: filter every match, then page.
        const page = req.principal?.devices
          ? await scopedPage(registry, query, req.principal.devices)
          : await registry.queryDevices(query);
        return {
          items: page.items.map((d) => {
            const s = states.of(d.id);
            return { ...d, serviceState: s.state, serviceReasons: s.reasons };
          }),
          total: page.total,
          limit: q.limit,
          offset: q.offset,
          nextOffset: nextOffset(q.offset, page.items.length, page.total),
        };
      },
    );
    api.post(
      '/devices',
      {
        config: { action: 'device.create' },
        schema: {
          tags: tags('devices'),
          summary: 'Register a device',
          body: S.deviceBody,
          response: { 201: S.device, ...errors },
        },
      },
      async (req, reply) => reply.status(201).send(await registry.createDevice(req.body, actorOf(req))),
    );
    api.get<{ Params: { id: string } }>(
      '/devices/:id',
      {
        schema: {
          tags: tags('devices'),
          summary: 'Get a device',
          params: S.idParam,
          response: { 200: S.device, ...errors },
        },
      },
      async (req) => registry.getDevice(req.params.id),
    );
    api.patch<{ Params: { id: string } }>(
      '/devices/:id',
      {
        config: { action: 'device.update' },
        schema: {
          tags: tags('devices'),
          summary: 'Change a device (disabling disconnects it)',
          params: S.idParam,
          body: S.devicePatch,
          response: { 200: S.device, ...errors },
        },
      },
      async (req) => registry.patchDevice(req.params.id, req.body, actorOf(req)),
    );
    api.delete<{ Params: { id: string } }>(
      '/devices/:id',
      {
        config: { action: 'device.delete' },
        schema: {
          tags: tags('devices'),
          summary: 'Delete a device and its credentials',
          params: S.idParam,
          response: { 204: { type: 'null' }, ...errors },
        },
      },
      async (req, reply) => {
        await registry.deleteDevice(req.params.id, actorOf(req));
        return reply.status(204).send();
      },
    );

    // --- credentials -------------------------------------------------------------------------
    api.get<{ Params: { id: string } }>(
      '/devices/:id/credentials',
      {
        schema: {
          tags: tags('credentials'),
          summary: "List a device's credentials (never secrets)",
          params: S.idParam,
          response: {
            200: { type: 'object', properties: { items: { type: 'array', items: S.credential } } },
            ...errors,
          },
        },
      },
      async (req) => ({ items: await credentials.list(req.params.id) }),
    );
    api.post<{ Params: { id: string }; Body: NewCredential | undefined }>(
      '/devices/:id/credentials',
      {
        config: { action: 'credential.create' },
        preValidation: emptyBodyIsObject,
        schema: {
          tags: tags('credentials'),
          summary: 'Create a password (secret returned once) or certificate credential',
          params: S.idParam,
          body: S.credentialBody,
          response: { 201: S.credentialCreated, ...errors },
        },
      },
      async (req, reply) =>
        reply
          .status(201)
          .send(await credentials.create(req.params.id, req.body ?? { kind: 'password' }, actorOf(req))),
    );
    api.post<{ Params: { id: string; credentialId: string }; Body: { overlapMs?: number } | undefined }>(
      '/devices/:id/credentials/:credentialId/rotate',
      {
        config: { action: 'credential.rotate' },
        preValidation: emptyBodyIsObject,
        schema: {
          tags: tags('credentials'),
          summary: 'Rotate a password; the old one stays valid for overlapMs (default 24 h)',
          params: S.credentialParam,
          body: S.rotateBody,
          response: { 200: S.rotated, ...errors },
        },
      },
      async (req) =>
        credentials.rotate(req.params.id, req.params.credentialId, req.body?.overlapMs, actorOf(req)),
    );
    api.post<{ Params: { id: string; credentialId: string } }>(
      '/devices/:id/credentials/:credentialId/revoke',
      {
        config: { action: 'credential.revoke' },
        schema: {
          tags: tags('credentials'),
          summary: 'Revoke a credential (a device connected with it is disconnected)',
          params: S.credentialParam,
          response: { 200: S.credential, ...errors },
        },
      },
      async (req) => credentials.revoke(req.params.id, req.params.credentialId, actorOf(req)),
    );

    // --- connectivity ------------------------------------------------------------------------
    api.get<{ Params: { id: string }; Querystring: { limit: number; offset: number } }>(
      '/devices/:id/sessions',
      {
        schema: {
          tags: tags('connectivity'),
          summary: 'Connectivity history, newest first',
          params: S.idParam,
          querystring: { type: 'object', properties: S.paging, additionalProperties: false },
          response: { 200: S.page(S.session), ...errors },
        },
      },
      async (req) => {
        await registry.getDevice(req.params.id);
        await registry.deps.connectivity.flush();
        const { limit, offset } = req.query;
        const page = await registry.deps.store.listConnectivity(req.params.id, limit, offset);
        return { ...page, limit, offset, nextOffset: nextOffset(offset, page.items.length, page.total) };
      },
    );
    api.get(
      '/fleet/connectivity',
      { schema: { tags: tags('connectivity'), summary: 'Fleet-wide counts', response: { 200: S.fleet } } },
      async () => registry.fleet(),
    );
  };
}
