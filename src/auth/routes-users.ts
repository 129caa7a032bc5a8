/** Users and customers (admin). */
import type { FastifyInstance } from 'fastify';
import type { Role } from '../http/index.js';
import type { CustomerInput } from './customers.js';
import * as S from './schemas.js';
import type { AuthService } from './service.js';
import { userView } from './users.js';

interface UserBody {
  email: string;
  name?: string;
  role: Role;
  customer?: string | null;
  password?: string;
}
type UserPatch = Partial<Pick<UserBody, 'name' | 'role' | 'customer' | 'password'>> & { disabled?: boolean };

export function userRoutes(auth: AuthService) {
  const { users, customers, sessions, tokens } = auth.deps;
  const items = <T>(schema: T) => ({
    type: 'object',
    properties: { items: { type: 'array', items: schema } },
  });
  return (api: FastifyInstance): void => {
    api.get(
      '/users',
      {
        config: { role: 'admin' },
        schema: { tags: ['users'], summary: 'List users', response: { 200: items(S.user) } },
      },
      async () => ({
        items: await users.list(),
      }),
    );
    api.post<{ Body: UserBody }>(
      '/users',
      {
        config: { role: 'admin', action: 'user.create' },
        schema: {
          tags: ['users'],
          summary: 'Create a local user',
          body: S.userBody,
          response: { 201: S.user, ...S.errors },
        },
      },
      async (req, reply) => {
        if (req.body.customer) await customers.get(req.body.customer);
        const u = await users.createLocal(req.body);
        auth.audit(req.principal, 'user.create', `users/${u.id}`, null, userView(u));
        return reply.status(201).send(userView(u));
      },
    );
    api.get<{ Params: { id: string } }>(
      '/users/:id',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['users'],
          summary: 'Get a user',
          params: S.idParam,
          response: { 200: S.user, ...S.errors },
        },
      },
      async (req) => userView(await users.get(req.params.id)),
    );
    api.patch<{ Params: { id: string }; Body: UserPatch }>(
      '/users/:id',
      {
        config: { role: 'admin', action: 'user.update' },
        schema: {
          tags: ['users'],
          summary: 'Change a user: role, customer, name, password; disable (ends sessions and tokens)',
          params: S.idParam,
          body: S.userPatch,
          response: { 200: S.user, ...S.errors },
        },
      },
      async (req) => {
        const { password, ...patch } = req.body;
        if (patch.customer) await customers.get(patch.customer);
        if (password !== undefined) await users.setPassword(req.params.id, password);
        const { before, after } = await users.update(req.params.id, patch);
        if (after.disabled || after.role !== before.role || after.customer !== before.customer)
          await sessions.endAllFor(after.id);
        tokens.forgetUser(after.id);
        auth.audit(req.principal, 'user.update', `users/${after.id}`, userView(before), userView(after));
        return userView(after);
      },
    );

    api.get(
      '/customers',
      {
        config: { role: 'admin' },
        schema: { tags: ['customers'], summary: 'List customers', response: { 200: items(S.customer) } },
      },
      async () => ({
        items: await customers.list(),
      }),
    );
    api.get<{ Params: { id: string } }>(
      '/customers/:id',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['customers'],
          summary: 'Get a customer',
          params: S.idParam,
          response: { 200: S.customer, ...S.errors },
        },
      },
      async (req) => customers.get(req.params.id),
    );
    api.put<{ Params: { id: string }; Body: CustomerInput }>(
      '/customers/:id',
      {
        config: { role: 'admin', action: 'customer.put' },
        schema: {
          tags: ['customers'],
          summary: 'Create or change a customer and the devices it owns (by id, model or tag)',
          params: S.idParam,
          body: S.customerBody,
          response: { 200: S.customer, ...S.errors },
        },
      },
      async (req) => {
        const { before, after } = await customers.put(req.params.id, req.body);
        auth.audit(
          req.principal,
          before ? 'customer.update' : 'customer.create',
          `customers/${after.id}`,
          before,
          after,
        );
        return after;
      },
    );
    api.delete<{ Params: { id: string } }>(
      '/customers/:id',
      {
        config: { role: 'admin', action: 'customer.delete' },
        schema: {
          tags: ['customers'],
          summary: 'Delete a customer (its users then see no devices)',
          params: S.idParam,
          response: { 200: S.customer, ...S.errors },
        },
      },
      async (req) => {
        const before = await customers.remove(req.params.id);
        auth.audit(req.principal, 'customer.delete', `customers/${before.id}`, before, null);
        return before;
      },
    );
  };
}
