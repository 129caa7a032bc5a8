/**
 * The alarm API (inside `/api/v1`): list with filters and cursor paging, one alarm, ack and clear.
 * Reads need the viewer role, ack and clear the operator role; both are audited by http/ (action
 * `alarm.ack` / `alarm.clear`). A customer's principal reads only alarms on its devices (another
 * customer's alarm answers 404, as a missing one) and cannot ack or clear.
 */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger'; // schema.tags / summary
import type { DeviceDirectory } from '../core/index.js';
import { paging, type Principal } from '../http/index.js';
import {
  ALARM_SOURCES,
  ALARM_STATES,
  SEVERITIES,
  type Alarm,
  type AlarmQuery,
  type AlarmState,
} from './alarms-store.js';
import { AlarmErrors } from './errors.js';
import type { AlarmsService } from './service.js';

const nullable = (type: string) => ({ type: [type, 'null'] });
const ms = { type: 'integer', description: 'epoch milliseconds' } as const;

export const alarmSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    source: { type: 'string', enum: ALARM_SOURCES },
    originator: { type: 'string' },
    deviceId: nullable('string'),
    sloId: nullable('string'),
    ruleId: nullable('string'),
    severity: { type: 'string', enum: SEVERITIES },
    type: { type: 'string' },
    message: { type: 'string' },
    state: { type: 'string', enum: ALARM_STATES },
    count: { type: 'integer' },
    raisedAt: ms,
    lastSeen: ms,
    ackBy: nullable('string'),
    ackAt: nullable('integer'),
    clearedBy: nullable('string'),
    clearedAt: nullable('integer'),
    details: { type: 'object', additionalProperties: true },
  },
  required: [
    'id',
    'source',
    'originator',
    'severity',
    'type',
    'message',
    'state',
    'count',
    'raisedAt',
    'lastSeen',
  ],
} as const;

const idParams = {
  type: 'object',
  // A string, so any id that names no alarm (`abc`, a UUID) is simply not found (404), as for customers.
  properties: { id: { type: 'string', maxLength: 64, description: 'alarm id' } },
  required: ['id'],
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: {
      type: 'string',
      description: `comma-separated: ${ALARM_STATES.join(', ')}, or ACTIVE / CLEARED (both of each)`,
    },
    source: { type: 'string', enum: ALARM_SOURCES },
    severity: { type: 'string', enum: SEVERITIES },
    deviceId: { type: 'string', minLength: 1, maxLength: 256 },
    since: { type: 'integer', minimum: 0, description: 'epoch ms: alarms seen at or after this time' },
    cursor: { type: 'string', pattern: '^[1-9][0-9]{0,15}$', description: "the previous page's nextCursor" },
    ...paging({ max: 500, default: 50, offset: false }),
  },
} as const;

interface ListQuery {
  state?: string;
  source?: AlarmQuery['source'];
  severity?: AlarmQuery['severity'];
  deviceId?: string;
  since?: number;
  cursor?: string;
  limit: number;
}

const SHORTHAND: Record<string, AlarmState[]> = {
  ACTIVE: ['ACTIVE_UNACK', 'ACTIVE_ACK'],
  CLEARED: ['CLEARED_UNACK', 'CLEARED_ACK'],
};

/** `ACTIVE_UNACK,CLEARED_UNACK` or `ACTIVE` → states; 422 naming `querystring.state` otherwise. */
export function parseStates(raw: string): AlarmState[] {
  const out = new Set<AlarmState>();
  for (const part of raw.split(',')) {
    const s = part.trim().toUpperCase();
    const states = SHORTHAND[s] ?? (ALARM_STATES.includes(s as AlarmState) ? [s as AlarmState] : undefined);
    if (!states)
      throw AlarmErrors.badQuery(
        'querystring.state',
        `unknown state ${JSON.stringify(part)}; one of ${ALARM_STATES.join(', ')}, ACTIVE, CLEARED`,
      );
    for (const x of states) out.add(x);
  }
  return [...out];
}

/** A path id as a number; anything that cannot name an alarm is not found. */
function alarmId(raw: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw AlarmErrors.notFound(raw);
  return Number(raw);
}

/** Who acts: the signed-in user's e-mail or the token's name. */
const who = (p: Principal | undefined): string => p?.name ?? 'unknown';

export function alarmsRoutes(alarms: AlarmsService, directory: DeviceDirectory) {
  /** A customer's device ids (undefined for staff, who see every alarm). */
  async function customerDevices(p: Principal | undefined): Promise<string[] | undefined> {
    if (p?.customer === undefined) return undefined;
    const admits = p.devices;
    const ids: string[] = [];
    if (admits) for await (const d of directory.listDevices()) if (admits(d)) ids.push(d.id);
    return ids;
  }

  /** 404 for an alarm a customer does not see (as for a missing one). */
  async function visible(p: Principal | undefined, a: Alarm): Promise<Alarm> {
    if (p?.customer === undefined) return a;
    if (a.deviceId !== null && p.owns && (await p.owns(a.deviceId))) return a;
    throw AlarmErrors.notFound(a.id);
  }

  return (api: FastifyInstance): void => {
    api.get<{ Querystring: ListQuery }>(
      '/alarms',
      {
        schema: {
          tags: ['alarms'],
          summary: 'Alarms, newest first, with filters; page with nextCursor',
          querystring: listQuery,
          response: {
            200: {
              type: 'object',
              properties: { items: { type: 'array', items: alarmSchema }, nextCursor: nullable('string') },
              required: ['items', 'nextCursor'],
            },
          },
        },
      },
      async (req) => {
        const q = req.query;
        const deviceIn = await customerDevices(req.principal);
        const items = await alarms.list({
          ...(q.state !== undefined ? { states: parseStates(q.state) } : {}),
          ...(q.source !== undefined ? { source: q.source } : {}),
          ...(q.severity !== undefined ? { severity: q.severity } : {}),
          ...(q.deviceId !== undefined ? { deviceId: q.deviceId } : {}),
          ...(deviceIn !== undefined ? { deviceIn } : {}),
          ...(q.since !== undefined ? { since: q.since } : {}),
          ...(q.cursor !== undefined ? { before: Number(q.cursor) } : {}),
          limit: q.limit,
        });
        const last = items.at(-1);
        return { items, nextCursor: items.length === q.limit && last ? String(last.id) : null };
      },
    );
    api.get<{ Params: { id: string } }>(
      '/alarms/:id',
      {
        schema: {
          tags: ['alarms'],
          summary: 'One alarm',
          params: idParams,
          response: { 200: alarmSchema },
        },
      },
      async (req) => visible(req.principal, await alarms.get(alarmId(req.params.id))),
    );
    for (const verb of ['ack', 'clear'] as const)
      api.post<{ Params: { id: string } }>(
        `/alarms/:id/${verb}`,
        {
          config: { role: 'operator', action: `alarm.${verb}` },
          schema: {
            tags: ['alarms'],
            summary:
              verb === 'ack'
                ? 'Acknowledge an alarm (409 when already acknowledged)'
                : 'Clear an alarm (409 when already cleared)',
            params: idParams,
            response: { 200: alarmSchema },
          },
        },
        async (req) =>
          verb === 'ack'
            ? alarms.ack(alarmId(req.params.id), who(req.principal))
            : alarms.clear(alarmId(req.params.id), who(req.principal)),
      );
  };
}
