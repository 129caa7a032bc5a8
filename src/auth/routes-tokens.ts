/**
 * API tokens: an admin's tokens for machines (`/tokens`, moved from registry/ with the same API),
 * and a signed-in person's own tokens (`/auth/tokens`): role no higher than their own, must expire.
 */
import type { FastifyInstance } from 'fastify';
import type { Role } from '../http/index.js';
import { AuthErrors } from './errors.js';
import * as S from './schemas.js';
import type { AuthService } from './service.js';
import type { User } from './types.js';

export function tokenRoutes(auth: AuthService) {
  const { tokens, clock, store } = auth.deps;
  const owner = async (id: string | undefined): Promise<User> => {
    const u = id === undefined ? undefined : await store.getUser(id);
    if (!u)
      throw AuthErrors.forbidden(
        'personal tokens belong to signed-in users (use /tokens for machine tokens)',
      );
    return u;
  };
  /** A session's user, or the user behind a personal token. */
  const userOf = (p: { kind?: string; id: string; userId?: string } | undefined): string | undefined =>
    p?.kind === 'user' ? p.id : p?.userId;

  return (api: FastifyInstance): void => {
    api.get(
      '/tokens',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['tokens'],
          summary: 'List API tokens (never secrets)',
          response: { 200: { type: 'object', properties: { items: { type: 'array', items: S.token } } } },
        },
      },
      async () => ({ items: await tokens.list() }),
    );
    api.post<{ Body: { name: string; role: Role; expiresAt?: number; expiresInSeconds?: number } }>(
      '/tokens',
      {
        config: { action: 'token.create', role: 'admin' },
        schema: {
          tags: ['tokens'],
          summary: 'Create an API token (secret returned once)',
          body: S.tokenBody,
          response: { 201: S.tokenCreated, ...S.errors },
        },
      },
      async (req, reply) => {
        const b = req.body;
        if (b.expiresAt !== undefined && b.expiresInSeconds !== undefined)
          throw AuthErrors.invalid('body.expiresInSeconds', 'give expiresAt or expiresInSeconds, not both');
        const expiresAt =
          b.expiresAt ?? (b.expiresInSeconds !== undefined ? clock.now() + b.expiresInSeconds * 1000 : null);
        const created = await tokens.create(b.name, b.role, expiresAt);
        auth.audit(req.principal, 'token.create', `tokens/${created.token.id}`, null, created.token);
        return reply.status(201).send(created);
      },
    );
    api.delete<{ Params: { id: string } }>(
      '/tokens/:id',
      {
        config: { action: 'token.revoke', role: 'admin' },
        schema: {
          tags: ['tokens'],
          summary: 'Revoke an API token',
          params: S.idParam,
          response: { 200: S.token, ...S.errors },
        },
      },
      async (req) => {
        const { before, after } = await tokens.revoke(req.params.id);
        auth.audit(req.principal, 'token.revoke', `tokens/${req.params.id}`, before, after);
        return after;
      },
    );

    api.get(
      '/auth/tokens',
      {
        schema: {
          tags: ['auth'],
          summary: 'My personal API tokens',
          response: {
            200: { type: 'object', properties: { items: { type: 'array', items: S.token } } },
            ...S.errors,
          },
        },
      },
      async (req) => ({ items: await tokens.list((await owner(userOf(req.principal))).id) }),
    );
    api.post<{ Body: { name: string; role: Role; expiresInSeconds: number } }>(
      '/auth/tokens',
      {
        config: { action: 'token.create_personal', role: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: 'Create a personal API token (role ≤ mine, must expire; secret returned once)',
          body: S.personalTokenBody,
          response: { 201: S.tokenCreated, ...S.errors },
        },
      },
      async (req, reply) => {
        const u = await owner(userOf(req.principal));
        const created = await tokens.create(
          req.body.name,
          req.body.role,
          clock.now() + req.body.expiresInSeconds * 1000,
          u,
        );
        auth.audit(req.principal, 'token.create_personal', `tokens/${created.token.id}`, null, created.token);
        return reply.status(201).send(created);
      },
    );
    api.delete<{ Params: { id: string } }>(
      '/auth/tokens/:id',
      {
        config: { action: 'token.revoke_personal', role: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: 'Revoke one of my tokens',
          params: S.idParam,
          response: { 200: S.token, ...S.errors },
        },
      },
      async (req) => {
        const u = await owner(userOf(req.principal));
        const { before, after } = await tokens.revoke(req.params.id, u.id);
        auth.audit(req.principal, 'token.revoke_personal', `tokens/${req.params.id}`, before, after);
        return after;
      },
    );
  };
}
