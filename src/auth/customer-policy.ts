/**
 * What a customer's principal may call: one table, default deny (403). Every route that names one
 * device answers another customer's device exactly as a missing one (404), so ids don't leak.
 * `access-matrix.test.ts` checks this table against every route of the OpenAPI document.
 */
export type CustomerRule =
  /** Allowed; the handler scopes the answer with `req.principal.devices` (lists). */
  | { kind: 'any' }
  /** The device named by the path parameter `id` must be the customer's. */
  | { kind: 'device' }
  /** A shadow write: the device must be the customer's and only customer-writable desired keys change. */
  | { kind: 'shadow-write' }
  /**
   * A resource that acts on devices (a schedule, an SLO): the module shows it only when it covers
   * only the customer's devices (http's `principalSees`) and answers 404 otherwise.
   */
  | { kind: 'scoped' };

const device: CustomerRule = { kind: 'device' };
const any: CustomerRule = { kind: 'any' };
const shadowWrite: CustomerRule = { kind: 'shadow-write' };
const scoped: CustomerRule = { kind: 'scoped' };

/** Keys are `METHOD url` with Fastify's URL (`:id`), relative to /api/v1. */
export const CUSTOMER_ROUTES: Readonly<Record<string, CustomerRule>> = {
  'GET /me': any,
  // The live stream filters events to the customer's devices (http/session-routes.ts).
  'GET /stream': any,
  'GET /devices': any,
  'GET /devices/:id': device,
  'GET /devices/:id/events': device,
  'GET /devices/:id/latest': device,
  // Positions for the map: the handler keeps only the customer's devices.
  'GET /fleet/positions': any,
  'GET /devices/:id/telemetry': device,
  'GET /devices/:id/telemetry.csv': device,
  'GET /devices/:id/service-state': device,
  'GET /devices/:id/sessions': device,
  'GET /devices/:id/commands': device,
  'GET /devices/:id/shadow': device,
  'GET /devices/:id/shadow/diff': device,
  'GET /devices/:id/shadow/history': device,
  'GET /devices/:id/shadows': device,
  'GET /devices/:id/shadows/:name': device,
  'GET /devices/:id/shadows/:name/diff': device,
  'GET /devices/:id/shadows/:name/history': device,
  'GET /devices/:id/schedule-executions': device,
  'POST /devices/:id/shadow': shadowWrite,
  // Which desired keys the customer may set (the console's set-point editor asks first).
  'GET /devices/:id/customer-writable': device,
  // Schedules and SLOs (read only) that cover only the customer's devices; others answer 404.
  'GET /schedules': scoped,
  'GET /schedules/:id': scoped,
  'GET /schedules/:id/preview': scoped,
  'GET /schedules/:id/executions': scoped,
  'GET /schedules/:id/overrides': scoped,
  'GET /slos': scoped,
  'GET /slos/:name': scoped,
  'GET /slos/:name/status': scoped,
  'GET /slos/:name/history': scoped,
  'GET /alerts': scoped,
  // Alarms on the customer's devices only (the list filters; another's alarm answers 404).
  'GET /alarms': any,
  'GET /alarms/:id': scoped,
  'POST /devices/:id/shadows/:name': shadowWrite,
  // Dashboards (read only): the module shows a customer its customer's dashboards and unassigned
  // ones that pin none of another customer's devices (404 otherwise); widgets read data through the
  // routes above, which show only the customer's devices. Model fields are key names, not data.
  'GET /dashboards': any,
  'GET /dashboards/:id': any,
  'GET /dashboards/default': any,
  'GET /dashboards/fields': any,
  // auth/'s own routes every signed-in person uses
  'GET /auth/session': any,
  'POST /auth/logout': any,
  'GET /auth/tokens': any,
  'POST /auth/tokens': any,
  'DELETE /auth/tokens/:id': any,
  'PUT /auth/password': any,
};

export function customerRule(method: string, url: string): CustomerRule | undefined {
  return CUSTOMER_ROUTES[`${method} ${url.replace(/^\/api\/v1/, '')}`];
}

/** The desired keys a shadow write touches that the model does not mark customer-writable. */
/** The desired keys a customer's user may set on a device of `model` (`attributes.customerWritable`). */
export function customerWritableKeys(model: { attributes: Record<string, unknown> } | undefined): string[] {
  const writable = model?.attributes.customerWritable;
  return Array.isArray(writable) ? writable.map(String) : [];
}

export function forbiddenDesiredKeys(
  body: unknown,
  writable: readonly string[],
): string[] | 'not-desired-only' {
  const state = (body as { state?: unknown } | null)?.state;
  if (state === null || typeof state !== 'object') return 'not-desired-only';
  const keys = Object.keys(state);
  if (keys.some((k) => k !== 'desired')) return 'not-desired-only';
  const desired = (state as { desired?: unknown }).desired;
  if (desired === null || typeof desired !== 'object') return 'not-desired-only';
  return Object.keys(desired).filter((k) => !writable.includes(k));
}
