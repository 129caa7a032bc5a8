// The access matrix (issue 17), generated: every route of the OpenAPI document × admin, operator,
// viewer, customer A, customer B and anonymous, with the expected answer derived from the route's
// declared role and the customer table — then checked against the whole platform.
/* eslint-disable @typescript-eslint/no-explicit-any -- HTTP bodies are read loosely here */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROLE_RANK, type Role } from '../http/index.js';
import { startTestPlatform } from '../test-support/platform.js';
import { customerRule } from './index.js';

type Who = 'admin' | 'operator' | 'viewer' | 'customerA' | 'customerB' | 'anonymous';
const WHO: Who[] = ['admin', 'operator', 'viewer', 'customerA', 'customerB', 'anonymous'];
const PASSWORD = 'a long enough customer password';
/** Answers a server-sent event stream with no end: checked only where it is refused. */
const NEVER_ENDS = new Set(['GET /api/v1/stream']);
/** A person's own tokens: an API token (admin, operator and viewer here) is nobody's person, 403. */
const PEOPLE_ONLY = new Set(['GET /api/v1/auth/tokens', 'DELETE /api/v1/auth/tokens/:id']);

test(
  'access matrix: every OpenAPI route × admin, operator, viewer, customer A, customer B, anonymous',
  { timeout: 300_000 },
  async (t) => {
    const p = await startTestPlatform();
    t.after(() => p.close());
    const http = p.app.http;
    // Each call from its own address: the failed-authentication limit (30 a minute) must not turn 401s into 429s.
    let n = 0;
    const call = async (method: string, url: string, headers: Record<string, string>, body?: unknown) => {
      n++;
      const r = await http.inject({
        method: method as 'GET',
        url,
        headers,
        remoteAddress: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        ...(body !== undefined ? { payload: body as object } : {}),
      });
      let json: any;
      try {
        json = r.json();
      } catch {
        json = undefined;
      }
      return { status: r.statusCode, body: json, headers: r.headers };
    };
    const admin = p.auth;
    const ok = (r: { status: number; body: any }, what: string) =>
      assert.ok(r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.body)}`);

    // A fleet: one model whose set-point customers may change, two customers' devices.
    ok(
      await call('POST', '/api/v1/device-models', admin, {
        name: 'boiler',
        attributes: { customerWritable: ['setpoint'] },
      }),
      'model',
    );
    ok(await call('POST', '/api/v1/devices', admin, { id: 'dev-a', model: 'boiler' }), 'dev-a');
    ok(
      await call('POST', '/api/v1/devices', admin, { id: 'dev-b', model: 'boiler', tags: ['bolt-site'] }),
      'dev-b',
    );
    ok(await call('POST', '/api/v1/devices', admin, { id: 'dev-x', model: 'boiler' }), 'dev-x');
    ok(await call('PUT', '/api/v1/customers/acme', admin, { name: 'ACME', devices: ['dev-a'] }), 'acme');
    ok(await call('PUT', '/api/v1/customers/bolt', admin, { name: 'Bolt', tags: ['bolt-site'] }), 'bolt');

    const headers: Record<Who, Record<string, string>> = { admin, anonymous: {} } as never;
    for (const role of ['operator', 'viewer'] as const) {
      const r = await call('POST', '/api/v1/tokens', admin, { name: `matrix-${role}`, role });
      headers[role] = { authorization: `Bearer ${r.body.secret}` };
    }
    for (const [who, customer] of [
      ['customerA', 'acme'],
      ['customerB', 'bolt'],
    ] as const) {
      const email = `${who.toLowerCase()}@example.com`;
      ok(
        await call('POST', '/api/v1/users', admin, { email, role: 'viewer', customer, password: PASSWORD }),
        who,
      );
      const login = await call('POST', '/api/v1/auth/login', {}, { email, password: PASSWORD });
      const cookie = String(([] as string[]).concat(login.headers['set-cookie'] as string[])[0]).split(
        ';',
      )[0]!;
      headers[who] = { cookie, 'x-csrf-token': login.body.csrfToken };
    }
    const own: Record<Who, string> = { customerA: 'dev-a', customerB: 'dev-b' } as never;
    const other2: Record<Who, Who> = { customerA: 'customerB', customerB: 'customerA' } as never;
    const other: Record<Who, string> = { customerA: 'dev-b', customerB: 'dev-a' } as never;

    // Schedules and SLOs: one per customer (covering only its devices) and one for the whole fleet.
    const schedule = async (name: string, targets: object): Promise<string> => {
      const r = await call('POST', '/api/v1/schedules', admin, {
        name,
        timezone: 'UTC',
        targets,
        rules: [{ name: 'daily', when: {}, slots: [{ time: '06:00', patch: { setpoint: 20 } }] }],
      });
      ok(r, `schedule ${name}`);
      return r.body.id as string;
    };
    const slo = async (name: string, selector: object): Promise<string> => {
      const body = { name, sli: { type: 'availability', selector }, target: 0.99, window: { rolling: '7d' } };
      ok(await call('POST', '/api/v1/slos', admin, body), `slo ${name}`);
      return name;
    };
    const ownSchedule: Record<Who, string> = {
      customerA: await schedule('acme-heating', { devices: ['dev-a'] }),
      customerB: await schedule('bolt-heating', { tags: ['bolt-site'] }),
    } as never;
    const fleetSchedule = await schedule('fleet-heating', { models: ['boiler'] });
    const ownSlo: Record<Who, string> = {
      customerA: await slo('acme-availability', { device: 'dev-a' }),
      customerB: await slo('bolt-availability', { tag: 'bolt-site' }),
    } as never;
    const fleetSlo = await slo('fleet-availability', { model: 'boiler' });
    for (const [who, them] of [
      ['customerA', 'customerB'],
      ['customerB', 'customerA'],
    ] as const) {
      const names = (r: { body: any }, key: string) => (r.body as any[]).map((x: any) => x[key]).sort();
      const schedules = await call('GET', '/api/v1/schedules', headers[who]);
      assert.deepEqual(names(schedules, 'id'), [ownSchedule[who]], `${who}: only its schedule`);
      const slos = await call('GET', '/api/v1/slos', headers[who]);
      assert.deepEqual(names({ body: slos.body.items }, 'name'), [ownSlo[who]], `${who}: only its SLO`);
      for (const id of [ownSchedule[them], fleetSchedule])
        assert.equal(
          (await call('GET', `/api/v1/schedules/${id}`, headers[who])).body.error?.code,
          'SCHEDULE_NOT_FOUND',
          `${who}: schedule ${id} is not found`,
        );
      for (const name of [ownSlo[them], fleetSlo])
        assert.equal(
          (await call('GET', `/api/v1/slos/${name}/status`, headers[who])).body.error?.code,
          'SLO_NOT_FOUND',
          `${who}: SLO ${name} is not found`,
        );
    }
    assert.equal((await call('GET', '/api/v1/schedules', admin)).body.length, 3, 'staff see every schedule');

    // Customer lists and shadow writes, beyond allow/deny.
    const listA = await call('GET', '/api/v1/devices', headers.customerA);
    assert.deepEqual(
      listA.body.items.map((d: { id: string }) => d.id),
      ['dev-a'],
    );
    assert.equal(listA.body.total, 1);
    const write = (who: Who, id: string, desired: object) =>
      call('POST', `/api/v1/devices/${id}/shadow`, headers[who], { state: { desired } });
    assert.equal((await write('customerA', 'dev-a', { setpoint: 21 })).status, 200, 'customer-writable key');
    assert.equal((await write('customerA', 'dev-a', { firmware: 'x' })).status, 403, 'not customer-writable');
    assert.equal(
      (
        await call('POST', '/api/v1/devices/dev-a/shadow', headers.customerA, {
          state: { reported: { setpoint: 1 } },
        })
      ).status,
      403,
    );
    assert.equal(
      (await write('customerB', 'dev-a', { setpoint: 21 })).status,
      404,
      "another customer's device is not found",
    );

    // The matrix, from the OpenAPI document and each route's declared role.
    const doc = (await call('GET', '/api/v1/openapi.json', {})).body;
    const routes = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => ({ method: m.toUpperCase(), url: path.replace(/\{(\w+)\}/g, ':$1') })),
    );
    const table = new Map(http.routeTable.map((r) => [`${r.method} ${r.url}`, r]));
    // Sign-out last: it ends the customers' sessions.
    routes.sort((a, b) => Number(a.url.endsWith('/logout')) - Number(b.url.endsWith('/logout')));
    let checked = 0;
    const failures: string[] = [];
    for (const r of routes) {
      if (!r.url.startsWith('/api/v1/')) continue;
      const entry = table.get(`${r.method} ${r.url}`);
      assert.ok(entry, `${r.method} ${r.url} is in the OpenAPI document but not in the route table`);
      if (entry.config?.public) continue;
      const needed: Role = entry.config?.role ?? (r.method === 'GET' ? 'viewer' : 'operator');
      const rule = customerRule(r.method, r.url);
      for (const who of WHO) {
        const key = `${r.method} ${r.url}`;
        const customer = who === 'customerA' || who === 'customerB';
        type Expect = 'pass' | 401 | 403 | 404;
        const cases: [string, Expect][] =
          who === 'anonymous'
            ? [['missing', 401]]
            : customer
              ? !rule
                ? [[own[who], 403]]
                : rule.kind === 'any'
                  ? [[own[who], 'pass']]
                  : rule.kind === 'scoped'
                    ? r.url.includes(':')
                      ? [
                          [r.url.startsWith('/api/v1/slos') ? ownSlo[who] : ownSchedule[who], 'pass'],
                          [
                            r.url.startsWith('/api/v1/slos') ? ownSlo[other2[who]] : ownSchedule[other2[who]],
                            404,
                          ],
                        ]
                      : [[own[who], 'pass']]
                    : [
                        [own[who], 'pass'],
                        [other[who], 404],
                      ]
              : [
                  [
                    'matrix-missing',
                    ROLE_RANK[who] >= ROLE_RANK[needed] && !PEOPLE_ONLY.has(key) ? 'pass' : 403,
                  ],
                ];
        for (const [id, expect] of cases) {
          if (expect === 'pass' && NEVER_ENDS.has(key)) continue;
          const url = r.url
            .replace(':id', id)
            .replace(':name', rule?.kind === 'scoped' ? id : 'matrix-missing')
            .replace(/:(\w+)/g, 'matrix-missing');
          const body =
            r.method === 'GET' || r.method === 'DELETE'
              ? undefined
              : rule?.kind === 'shadow-write'
                ? { state: { desired: { setpoint: 20 } } }
                : {};
          const res = await call(r.method, url, headers[who], body);
          const got = res.status;
          const pass =
            expect === 'pass'
              ? got !== 401 &&
                got !== 403 &&
                !(got === 404 && res.body?.error?.code === 'DEVICE_NOT_FOUND' && customer)
              : expect === 404
                ? got === 404 &&
                  res.body?.error?.code ===
                    (rule?.kind === 'scoped'
                      ? r.url.startsWith('/api/v1/slos')
                        ? 'SLO_NOT_FOUND'
                        : r.url.startsWith('/api/v1/alarms')
                          ? 'ALARM_NOT_FOUND'
                          : 'SCHEDULE_NOT_FOUND'
                      : 'DEVICE_NOT_FOUND')
                : got === expect;
          checked++;
          if (!pass)
            failures.push(
              `${key} as ${who} (${url}): expected ${expect}, got ${got} ${JSON.stringify(res.body)?.slice(0, 160)}`,
            );
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(checked > 400, `checked ${checked} cases`);
    t.diagnostic(`access matrix: ${routes.length} routes, ${checked} checks`);
  },
);
