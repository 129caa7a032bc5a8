/**
 * The dashboards API on the whole platform: strict validation (422 naming the field), CRUD with
 * If-Match, roles and audit, a customer's view, the default dashboard generated from a model's
 * decoder fields and reported keys, and the YAML export → import round trip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { api, type Body } from '../test-support/platform-api.js';

const PASSWORD = 'a long enough customer password';

const board = (over: Body = {}): Body => ({
  name: 'Boiler room',
  scope: 'fleet',
  widgets: [
    {
      kind: 'time_series',
      device: 'b1',
      keys: ['flow_temp', 'return_temp'],
      range: '6h',
      x: 0,
      y: 0,
      w: 8,
      h: 4,
    },
    { kind: 'latest_value', device: 'b1', key: 'pressure', x: 8, y: 0, w: 4, h: 2 },
    { kind: 'service_state', x: 8, y: 2, w: 4, h: 2 },
  ],
  ...over,
});

describe('dashboards API', () => {
  let p: TestPlatform;

  async function as(
    headers: Record<string, string>,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    extra: Record<string, string> = {},
  ): Promise<{ status: number; body: Body; text: string }> {
    const r = await p.app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...headers, ...extra },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
    let body: Body = {};
    try {
      body = r.json();
    } catch {
      /* YAML or empty */
    }
    return { status: r.statusCode, body, text: r.body };
  }

  before(async () => {
    p = await startTestPlatform();
    const decoder = {
      id: 'boiler-json',
      name: 'Boiler',
      type: 'json',
      spec: {
        metrics: [
          { path: 'temps[0]', name: 'flow_temp', unit: 'degC', scale: 0.1 },
          { path: 'temps[1]', name: 'return_temp', unit: 'degC', scale: 0.1 },
          { path: 'pressure', unit: 'bar' },
        ],
        attributes: [{ path: 'mode' }],
      },
    };
    assert.equal((await api(p, 'POST', '/decoders', decoder)).status, 201);
    assert.equal(
      (await api(p, 'POST', '/device-models', { name: 'boiler', decoder: 'boiler-json' })).status,
      201,
    );
    assert.equal((await api(p, 'POST', '/device-models', { name: 'scooter' })).status, 201);
    for (const [id, model] of [
      ['b1', 'boiler'],
      ['b2', 'boiler'],
      ['s1', 'scooter'],
    ])
      assert.equal((await api(p, 'POST', '/devices', { id, model })).status, 201);
  });
  after(() => p.close());

  test('validation: every bad field is a 422 naming it', async () => {
    const cases: [Body, string][] = [
      [board({ name: '' }), 'name'],
      [board({ scope: 'region:eu' }), 'scope'],
      [board({ scope: 'model:nope' }), 'scope'],
      [board({ colour: 'red' }), 'colour'],
      [board({ widgets: [{ kind: 'pie', x: 0, y: 0, w: 4, h: 2 }] }), 'widgets[0].kind'],
      [board({ widgets: [{ kind: 'map', x: 10, y: 0, w: 4, h: 2 }] }), 'widgets[0].w'],
      [board({ widgets: [{ kind: 'map', x: -1, y: 0, w: 4, h: 2 }] }), 'widgets[0].x'],
      [board({ widgets: [{ kind: 'map', x: 0, y: 0, w: 4, h: 0 }] }), 'widgets[0].h'],
      [board({ widgets: [{ kind: 'map', x: 0, y: 0, w: 4, h: 2, key: 'a' }] }), 'widgets[0].key'],
      [
        board({ widgets: [{ kind: 'time_series', device: 'b1', x: 0, y: 0, w: 4, h: 2 }] }),
        'widgets[0].keys',
      ],
      [
        board({ widgets: [{ kind: 'time_series', device: 'b1', keys: [], x: 0, y: 0, w: 4, h: 2 }] }),
        'widgets[0].keys',
      ],
      [
        board({
          widgets: [{ kind: 'time_series', device: 'b1', keys: ['a', 'a b'], x: 0, y: 0, w: 4, h: 2 }],
        }),
        'widgets[0].keys[1]',
      ],
      [
        board({
          widgets: [{ kind: 'time_series', device: 'b1', keys: ['a'], range: '2y', x: 0, y: 0, w: 4, h: 2 }],
        }),
        'widgets[0].range',
      ],
      [board({ widgets: [{ kind: 'alarm_list', slo: 'x', x: 0, y: 0, w: 6, h: 3 }] }), 'widgets[0].slo'],
      [
        board({ widgets: [{ kind: 'alarm_list', device: 'ghost', x: 0, y: 0, w: 6, h: 3 }] }),
        'widgets[0].device',
      ],
      // A fleet dashboard has no device to fall back on.
      [
        board({ widgets: [{ kind: 'latest_value', key: 'pressure', x: 0, y: 0, w: 4, h: 2 }] }),
        'widgets[0].device',
      ],
      [
        board({ widgets: [{ kind: 'latest_value', device: 'ghost', key: 'p', x: 0, y: 0, w: 4, h: 2 }] }),
        'widgets[0].device',
      ],
      [
        board({
          scope: 'model:boiler',
          widgets: [{ kind: 'latest_value', device: 's1', key: 'p', x: 0, y: 0, w: 4, h: 2 }],
        }),
        'widgets[0].device',
      ],
      [
        board({
          widgets: [{ kind: 'gauge', device: 'b1', key: 'p', min: 5, max: 5, x: 0, y: 0, w: 4, h: 2 }],
        }),
        'widgets[0].max',
      ],
      [
        board({
          widgets: [
            {
              kind: 'gauge',
              device: 'b1',
              key: 'p',
              min: 0,
              max: 10,
              thresholds: [
                { from: 6, tone: 'warn' },
                { from: 4, tone: 'bad' },
              ],
              x: 0,
              y: 0,
              w: 4,
              h: 2,
            },
          ],
        }),
        'widgets[0].thresholds[1].from',
      ],
      [
        board({ widgets: [{ kind: 'slo_budget', slo: 'no-such-slo', x: 0, y: 0, w: 4, h: 2 }] }),
        'widgets[0].slo',
      ],
      [
        board({ widgets: [{ kind: 'service_state', mode: 'counts', device: 'b1', x: 0, y: 0, w: 4, h: 2 }] }),
        'widgets[0].device',
      ],
      [
        board({
          widgets: [
            { id: 'a', kind: 'map', x: 0, y: 0, w: 4, h: 2 },
            { id: 'a', kind: 'map', x: 4, y: 0, w: 4, h: 2 },
          ],
        }),
        'widgets[1].id',
      ],
    ];
    for (const [body, field] of cases) {
      const r = await api(p, 'POST', '/dashboards', body);
      assert.equal(r.status, 422, `${field}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, field, JSON.stringify(r.body));
    }
    assert.equal((await api(p, 'GET', '/dashboards')).body.length, 0, 'nothing was written');
  });

  test('an alarm list widget: of one device or of every device the user may see', async () => {
    const body = board({
      name: 'alarms board',
      widgets: [
        { id: 'a1', kind: 'alarm_list', device: 'b1', x: 0, y: 0, w: 6, h: 3 },
        { id: 'a2', kind: 'alarm_list', x: 6, y: 0, w: 6, h: 3 },
      ],
    });
    const created = await api(p, 'POST', '/dashboards', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(
      created.body.widgets.map((w: Body) => [w.id, w.kind, w.device]),
      [
        ['a1', 'alarm_list', 'b1'],
        ['a2', 'alarm_list', undefined],
      ],
    );
    assert.equal((await api(p, 'DELETE', `/dashboards/${created.body.id}`)).status, 204);
  });

  test('create, read, update with If-Match, delete; names unique; audited; viewers read only', async () => {
    const created = await api(p, 'POST', '/dashboards', board());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const d = created.body;
    assert.match(d.id, /^dsh_/);
    assert.deepEqual(
      d.widgets.map((w: Body) => [w.id, w.kind]),
      [
        ['w1', 'time_series'],
        ['w2', 'latest_value'],
        ['w3', 'service_state'],
      ],
    );
    assert.equal(d.widgets[2].mode, 'counts');
    assert.deepEqual((await api(p, 'GET', `/dashboards/${d.id}`)).body, d);
    assert.equal((await api(p, 'POST', '/dashboards', board())).status, 409, 'name taken');

    const moved = { ...board(), widgets: [{ ...board().widgets[0], x: 2, w: 10 }] };
    const put = await as(p.auth, 'PUT', `/dashboards/${d.id}`, moved, { 'if-match': '1' });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual([put.body.version, put.body.widgets[0].x, put.body.widgets.length], [2, 2, 1]);
    const stale = await as(p.auth, 'PUT', `/dashboards/${d.id}`, moved, { 'if-match': '1' });
    assert.deepEqual([stale.status, stale.body.error.code], [409, 'DASHBOARD_VERSION_CONFLICT']);

    const viewer = (await api(p, 'POST', '/tokens', { name: 'dash-viewer', role: 'viewer' })).body.secret;
    const vh = { authorization: `Bearer ${viewer}` };
    assert.equal((await as(vh, 'GET', `/dashboards/${d.id}`)).status, 200);
    assert.equal((await as(vh, 'POST', '/dashboards', board({ name: 'mine' }))).status, 403);
    assert.equal((await as(vh, 'DELETE', `/dashboards/${d.id}`)).status, 403);

    assert.equal((await api(p, 'DELETE', `/dashboards/${d.id}`)).status, 204);
    assert.equal((await api(p, 'GET', `/dashboards/${d.id}`)).status, 404);
    const log = await api(p, 'GET', `/audit?resource=dashboards/${d.id}`);
    assert.deepEqual(log.body.items.map((a: Body) => a.action).reverse(), [
      'dashboard.update',
      'dashboard.delete',
    ]);
    const first = await api(p, 'GET', '/audit?resource=dashboards&limit=1000');
    assert.ok(
      first.body.items.some((a: Body) => a.action === 'dashboard.create' && a.after?.name === 'Boiler room'),
      'the create is audited with its body',
    );
  });

  test('a customer sees its own and unassigned dashboards that show only its devices, and cannot write', async () => {
    assert.equal((await api(p, 'PUT', '/customers/acme', { name: 'ACME', devices: ['b1'] })).status, 200);
    const mk = async (over: Body): Promise<string> => {
      const r = await api(p, 'POST', '/dashboards', board(over));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as string;
    };
    const own = await mk({ name: 'acme', customer: 'acme' });
    const other = await mk({ name: 'other', customer: 'globex' });
    const shared = await mk({ name: 'shared b1' }); // pins b1 only: ACME's device
    const foreign = await mk({
      name: 'shared b2',
      widgets: [{ kind: 'latest_value', device: 'b2', key: 'pressure', x: 0, y: 0, w: 4, h: 2 }],
    });
    const email = 'dash-customer@example.com';
    assert.equal(
      (await api(p, 'POST', '/users', { email, role: 'viewer', customer: 'acme', password: PASSWORD }))
        .status,
      201,
    );
    const login = await p.app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: PASSWORD },
    });
    const cookie = String(([] as string[]).concat(login.headers['set-cookie'] as string[])[0]).split(';')[0]!;
    const ch = { cookie, 'x-csrf-token': login.json().csrfToken as string };
    const seen = (await as(ch, 'GET', '/dashboards')).body.map((x: Body) => x.id).sort();
    assert.deepEqual(seen, [own, shared].sort());
    assert.equal((await as(ch, 'GET', `/dashboards/${other}`)).status, 404);
    assert.equal((await as(ch, 'GET', `/dashboards/${foreign}`)).status, 404);
    assert.equal((await as(ch, 'POST', '/dashboards', board({ name: 'x' }))).status, 403);
    for (const id of [own, other, shared, foreign])
      assert.equal((await api(p, 'DELETE', `/dashboards/${id}`)).status, 204);
  });

  test('default dashboard from a model: decoder fields with units, then reported keys', async () => {
    const ingest = await api(p, 'POST', '/devices/b1/telemetry', {
      temps: [550, 420],
      pressure: 1.4,
      mode: 'eco',
    });
    assert.equal(ingest.status, 200, JSON.stringify(ingest.body));
    // A key the decoder does not declare cannot arrive through it: write one the way a rule does.
    const telemetry = p.app.modules.find((m) => m.name === 'telemetry') as unknown as {
      writeValues(id: string, json: Buffer): Promise<unknown>;
      flush(): Promise<void>;
    };
    await telemetry.writeValues('b2', Buffer.from(JSON.stringify({ burner_hours: 1200 })));
    await telemetry.flush();

    const fields = await api(p, 'GET', '/dashboards/fields?model=boiler');
    assert.equal(fields.status, 200);
    assert.deepEqual(fields.body, [
      { key: 'flow_temp', kind: 'number', unit: 'degC', source: 'boiler-json' },
      { key: 'return_temp', kind: 'number', unit: 'degC', source: 'boiler-json' },
      { key: 'pressure', kind: 'number', unit: 'bar', source: 'boiler-json' },
      { key: 'mode', kind: 'text', source: 'boiler-json' },
      { key: 'burner_hours', kind: 'number', source: 'reported' },
    ]);

    const r = await api(p, 'GET', '/dashboards/default?model=boiler');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const d = r.body;
    assert.deepEqual([d.id, d.scope], ['default:boiler', 'model:boiler']);
    assert.deepEqual(
      d.widgets.filter((w: Body) => w.kind === 'latest_value').map((w: Body) => w.key),
      ['flow_temp', 'return_temp', 'pressure', 'mode', 'burner_hours'],
    );
    // One chart per unit: degrees together, bar apart, unitless apart.
    assert.deepEqual(
      d.widgets.filter((w: Body) => w.kind === 'time_series').map((w: Body) => w.keys),
      [['flow_temp', 'return_temp'], ['pressure'], ['burner_hours']],
    );
    assert.equal(d.widgets[0].kind, 'service_state');
    // Widgets stay on the grid and do not overlap.
    const cells = new Set<string>();
    for (const w of d.widgets as Body[]) {
      assert.ok(w.x + w.w <= 12);
      for (let x = w.x; x < w.x + w.w; x++)
        for (let y = w.y; y < w.y + w.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${w.id} overlaps at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
    }
    // Saved as is, it is a valid dashboard.
    const { id: _i, version: _v, createdAt: _c, updatedAt: _u, ...spec } = d;
    const saved = await api(p, 'POST', '/dashboards', spec);
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    assert.equal((await api(p, 'DELETE', `/dashboards/${saved.body.id}`)).status, 204);

    // A model without a decoder or data gets the service state alone; an unknown model is 404.
    assert.deepEqual(
      (await api(p, 'GET', '/dashboards/default?model=scooter')).body.widgets.map((w: Body) => w.kind),
      ['service_state'],
    );
    const missing = await api(p, 'GET', '/dashboards/default?model=nope');
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'DASHBOARD_MODEL_NOT_FOUND']);
    const noModel = await api(p, 'GET', '/dashboards/default');
    assert.deepEqual([noModel.status, noModel.body.error.field], [422, 'querystring.model']);
  });

  test('YAML: export → edit → import round trip by name; a bad document changes nothing', async () => {
    const a = await api(p, 'POST', '/dashboards', board({ name: 'north' }));
    const b = await api(
      p,
      'POST',
      '/dashboards',
      board({ name: 'south', scope: 'model:boiler', widgets: [] }),
    );
    assert.deepEqual([a.status, b.status], [201, 201]);
    const exported = await as(p.auth, 'GET', '/dashboards/export');
    assert.equal(exported.status, 200);
    assert.match(String(exported.text), /^dashboards:/);
    const doc = parse(exported.text) as { dashboards: Body[] };
    assert.deepEqual(
      doc.dashboards.map((x) => x.name),
      ['north', 'south'],
    );
    assert.equal(doc.dashboards[0]!.id, undefined, 'no ids: matched by name');
    assert.deepEqual(doc.dashboards[0]!.widgets, a.body.widgets);

    doc.dashboards[1]!.widgets = [{ kind: 'map', x: 0, y: 0, w: 12, h: 6 }];
    doc.dashboards.push({ name: 'west', scope: 'fleet', widgets: [{ kind: 'table', keys: ['pressure'] }] });
    const yamlHeaders = { ...p.auth, 'content-type': 'application/yaml' };
    const dry = await as(yamlHeaders, 'POST', '/dashboards/import?dryRun=true', stringify(doc));
    assert.deepEqual(dry.body, { created: ['west'], updated: ['north', 'south'] });
    assert.equal((await api(p, 'GET', '/dashboards')).body.length, 2, 'dry run writes nothing');
    const imported = await as(yamlHeaders, 'POST', '/dashboards/import', stringify(doc));
    assert.deepEqual(imported.body, { created: ['west'], updated: ['north', 'south'] });
    const after = await api(p, 'GET', '/dashboards');
    assert.deepEqual(
      after.body.map((x: Body) => [x.name, x.widgets.map((w: Body) => w.kind)]),
      [
        ['north', ['time_series', 'latest_value', 'service_state']],
        ['south', ['map']],
        ['west', ['table']],
      ],
    );
    const south = after.body.find((x: Body) => x.name === 'south');
    assert.deepEqual([south.id, south.version], [b.body.id, 2], 'updated in place');
    // Re-exported, the same document comes back.
    const again = parse((await as(p.auth, 'GET', '/dashboards/export')).text) as { dashboards: Body[] };
    assert.deepEqual(again.dashboards[1]!.widgets, [{ id: 'w1', kind: 'map', x: 0, y: 0, w: 12, h: 6 }]);

    const bad = stringify({
      dashboards: [
        { name: 'east', scope: 'fleet' },
        { name: 'x', scope: 'fleet', widgets: [{ kind: 'gauge' }] },
      ],
    });
    const refused = await as(yamlHeaders, 'POST', '/dashboards/import', bad);
    assert.deepEqual([refused.status, refused.body.error.field], [422, 'dashboards[1].widgets[0].key']);
    const broken = await as(yamlHeaders, 'POST', '/dashboards/import', 'dashboards: [\n');
    assert.equal(broken.status, 422);
    assert.equal((await api(p, 'GET', '/dashboards')).body.length, 3, 'nothing written');
  });
});
