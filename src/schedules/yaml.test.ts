/**
 * YAML export and import of schedule definitions (with the other definitions users keep in git):
 * a round trip, matching by name, dry run, and a bad document refused whole with the field named.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { api, type Body } from './e2e-helpers.js';

const def = (name: string, setpoint: number): Body => ({
  name,
  timezone: 'Europe/Berlin',
  targets: { models: ['boiler'] },
  rules: [
    { name: 'weekday', when: { days: ['weekday'] }, slots: [{ time: '06:00', patch: { setpoint } }] },
    { name: 'rest', when: {}, slots: [{ time: '08:00', patch: { setpoint: 40 } }] },
  ],
  holidays: { 'de-be': ['2026-12-25'] },
  exceptions: [{ date: '2026-12-24', slots: [] }],
});

let p: TestPlatform;
before(async () => {
  p = await startTestPlatform();
});
after(() => p.close());

async function yaml(
  method: 'GET' | 'POST',
  url: string,
  payload?: string,
): Promise<{ status: number; body: string }> {
  const r = await p.app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...p.auth, ...(payload ? { 'content-type': 'application/yaml' } : {}) },
    ...(payload ? { payload } : {}),
  });
  return { status: r.statusCode, body: r.body };
}

test('export → edit → import round trip, matched by name; dry run writes nothing', async () => {
  for (const [n, sp] of [['north', 55] as const, ['south', 50] as const])
    assert.equal((await api(p, 'POST', '/schedules', def(n, sp))).status, 201);
  const exported = await yaml('GET', '/schedules/export');
  assert.equal(exported.status, 200);
  const doc = parse(exported.body) as { schedules: Body[] };
  assert.deepEqual(
    doc.schedules.map((s) => s.name),
    ['north', 'south'],
  );
  assert.equal(doc.schedules[0]!.id, undefined, 'no ids in the export');
  assert.deepEqual(doc.schedules[0]!.holidays, { 'de-be': ['2026-12-25'] });

  const edited =
    exported.body.replace('setpoint: 55', 'setpoint: 60') + '  - ' + JSON.stringify(def('east', 45)) + '\n';
  const dry = await yaml('POST', '/schedules/import?dryRun=true', edited);
  assert.equal(dry.status, 200, dry.body);
  assert.deepEqual(JSON.parse(dry.body), { created: ['east'], updated: ['north', 'south'] });
  assert.equal(((await api(p, 'GET', '/schedules')).body as unknown as Body[]).length, 2);

  const done = await yaml('POST', '/schedules/import', edited);
  assert.deepEqual(JSON.parse(done.body), { created: ['east'], updated: ['north', 'south'] });
  const all = (await api(p, 'GET', '/schedules')).body as unknown as Body[];
  assert.deepEqual(all.map((s) => s.name).sort(), ['east', 'north', 'south']);
  const north = all.find((s) => s.name === 'north')!;
  assert.equal(north.version, 2);
  assert.deepEqual(north.rules[0].slots[0].patch, { setpoint: 60 });
});

test('a bad schedule refuses the whole import and names the field', async () => {
  const before = ((await api(p, 'GET', '/schedules')).body as unknown as Body[]).length;
  const text = `schedules:\n  - ${JSON.stringify(def('west', 50))}\n  - ${JSON.stringify({ ...def('broken', 50), timezone: 'Mars/Olympus' })}\n`;
  const r = await yaml('POST', '/schedules/import', text);
  assert.equal(r.status, 422, r.body);
  assert.equal((JSON.parse(r.body) as Body).error.field, 'schedules[1].timezone');
  assert.equal(((await api(p, 'GET', '/schedules')).body as unknown as Body[]).length, before);
  const twice = await yaml(
    'POST',
    '/schedules/import',
    `- ${JSON.stringify(def('w', 1))}\n- ${JSON.stringify(def('w', 2))}\n`,
  );
  assert.equal((JSON.parse(twice.body) as Body).error.field, 'schedules[1].name');
  const empty = await yaml('POST', '/schedules/import', 'schedules: []\n');
  assert.equal(empty.status, 422);
});
