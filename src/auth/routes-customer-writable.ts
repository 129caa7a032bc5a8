/**
 * `GET /devices/{id}/customer-writable`: the desired-state keys a customer's user may set on the
 * device — its model's `attributes.customerWritable`, the list the access check enforces on shadow
 * writes (access.ts). The console's set-point editor shows them; staff read it too. A customer asking
 * about another customer's device gets 404, as for a missing one (customer-policy.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { DeviceDirectory } from '../core/index.js';
import { customerWritableKeys } from './customer-policy.js';
import { AuthErrors } from './errors.js';
import * as S from './schemas.js';

export function customerWritableRoutes(directory: DeviceDirectory) {
  return (api: FastifyInstance): void => {
    api.get<{ Params: { id: string } }>(
      '/devices/:id/customer-writable',
      {
        schema: {
          tags: ['auth'],
          summary: "The desired-state keys a customer's user may set on this device",
          params: {
            type: 'object',
            properties: { id: { type: 'string' } },
            required: ['id'],
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: { keys: { type: 'array', items: { type: 'string' } } },
              required: ['keys'],
              additionalProperties: false,
            },
            ...S.errors,
          },
        },
      },
      async (req) => {
        const device = await directory.getDevice(req.params.id);
        if (!device) throw AuthErrors.deviceNotFound(req.params.id);
        const model = device.model ? await directory.getModel(device.model) : undefined;
        return { keys: customerWritableKeys(model) };
      },
    );
  };
}
