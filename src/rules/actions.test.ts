// Rules against their real peers: MQTT clients (mqtt.js), an HTTP server, PostgreSQL, RabbitMQ, NATS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { connect as natsConnect } from 'nats';
import { verifySignature } from '../notify/index.js';
import {
  freshPgSchema,
  NATS_URL,
  PG_URL,
  requireNats,
  requirePostgres,
  requireServer,
} from '../test-support/services.js';
import { until } from '../test-support/until.js';
import { startRulesHarness, system, type RulesHarness } from './test-harness.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

async function client(url: string, id: string, v5 = true): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId: id, protocolVersion: v5 ? 5 : 4, reconnectPeriod: 0 });
  await new Promise<void>((res, rej) => {
    c.once('connect', () => res());
    c.once('error', rej);
  });
  return c;
}

interface Received {
  topic: string;
  body: string;
  props: Record<string, unknown> | undefined;
}

function collect(c: MqttClient): Received[] {
  const got: Received[] = [];
  c.on('message', (topic, payload, packet) =>
    got.push({ topic, body: payload.toString(), props: packet.properties?.userProperties }),
  );
  return got;
}

interface Hit {
  body: string;
  headers: IncomingMessage['headers'];
}

async function httpPeer(
  status: (n: number) => number,
): Promise<{ url: string; hits: Hit[]; server: Server }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      hits.push({ body, headers: req.headers });
      res.writeHead(status(hits.length)).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

describe('rules: actions against real peers', () => {
  let h: RulesHarness;
  let sub: MqttClient;
  let pub: MqttClient;
  let got: Received[];
  before(async () => {
    h = await startRulesHarness();
    sub = await client(h.mqttUrl, 'watcher');
    pub = await client(h.mqttUrl, 'dev-1');
    got = collect(sub);
    await sub.subscribeAsync(['alerts/#', 'errors/#', 'fleet/#'], { qos: 1 });
  });
  after(async () => {
    sub.end(true);
    pub.end(true);
    await h.close();
  });

  test('republish: topic template, QoS 1, MQTT 5 user properties; WHERE filters', async () => {
    await h.rules.service.create(
      {
        name: 'hot',
        sql: "SELECT temp, topic(2) AS device FROM 'sensors/+/temp' WHERE temp > 50",
        actions: [
          {
            type: 'republish',
            topic: 'alerts/${topic(2)}',
            qos: 1,
            userProperties: { source: '${clientid()}' },
          },
        ],
      },
      system,
    );
    await pub.publishAsync('sensors/dev-1/temp', JSON.stringify({ temp: 10 }), { qos: 1 });
    await pub.publishAsync('sensors/dev-1/temp', JSON.stringify({ temp: 90 }), { qos: 1 });
    await until('the republished message', () => got.some((m) => m.topic === 'alerts/dev-1'));
    const m = got.filter((x) => x.topic === 'alerts/dev-1');
    assert.equal(m.length, 1);
    assert.deepEqual(JSON.parse(m[0]!.body), { temp: 90, device: 'dev-1' });
    assert.deepEqual({ ...m[0]!.props }, { source: 'dev-1', 'tsunagu-rules': 'hot' });
    const v = await h.rules.service.get('hot');
    assert.equal(v.metrics.evaluated, 2);
    assert.equal(v.metrics.matched, 1);
    await until(
      'the delivery recorded',
      async () => (await h.rules.service.get('hot')).metrics.actions.succeeded === 1,
    );
  });

  test('republish may not reach $SYS or platform topics: refused at definition, and at run time the error action gets the AWS error payload', async () => {
    await assert.rejects(
      h.rules.service.create(
        { name: 'sys', sql: "SELECT * FROM 'a'", actions: [{ type: 'republish', topic: '$SYS/broker/x' }] },
        system,
      ),
      /actions\[0\]\.topic: topic \$SYS\/broker\/x is reserved/,
    );
    await assert.rejects(
      h.rules.service.create(
        {
          name: 'sh',
          sql: "SELECT * FROM 'a'",
          actions: [{ type: 'republish', topic: '$aws/things/x/shadow/update/accepted' }],
        },
        system,
      ),
      /reserved for the platform/,
    );
    await h.rules.service.create(
      {
        name: 'sneaky',
        sql: "SELECT * FROM 'sneak/+'",
        actions: [{ type: 'republish', topic: '${target}', maxAttempts: 2 }],
        errorAction: { type: 'republish', topic: 'errors/${topic(2)}', qos: 1 },
      },
      system,
    );
    const sys: Received[] = [];
    const spy = await client(h.mqttUrl, 'spy');
    spy.on('message', (topic, payload) => sys.push({ topic, body: payload.toString(), props: undefined }));
    await spy.subscribeAsync('$SYS/#');
    await pub.publishAsync('sneak/dev-1', JSON.stringify({ target: '$SYS/broker/uptime' }), { qos: 1 });
    await until('the error action', () => got.some((m) => m.topic === 'errors/dev-1'));
    const e = JSON.parse(got.find((m) => m.topic === 'errors/dev-1')!.body) as Record<string, unknown>;
    assert.equal(e.ruleName, 'sneaky');
    assert.equal(e.topic, 'sneak/dev-1');
    assert.equal(e.clientId, 'dev-1');
    assert.equal(
      Buffer.from(String(e.base64OriginalPayload), 'base64').toString(),
      JSON.stringify({ target: '$SYS/broker/uptime' }),
    );
    const f = (e.failures as { failedAction: string; failedResource: string; errorMessage: string }[])[0]!;
    assert.equal(f.failedAction, 'RepublishAction');
    assert.equal(f.failedResource, '$SYS/broker/uptime');
    assert.match(f.errorMessage, /not authorized.*reserved for the broker/);
    assert.deepEqual(sys, []);
    const v = await h.rules.service.get('sneaky');
    assert.equal(v.metrics.actions.failed, 1);
    assert.equal(v.metrics.actions.retries, 1);
    spy.end(true);
  });

  test('http: signed body, retried until the endpoint answers 2xx, same event id on every attempt', async () => {
    const peer = await httpPeer((n) => (n <= 2 ? 503 : 200));
    try {
      await h.rules.service.create(
        {
          name: 'to_http',
          sql: "SELECT temp, clientid() AS device FROM 'http/+'",
          actions: [
            {
              type: 'http',
              url: `${peer.url}/hook/\${topic(2)}`,
              secret: 's3cret',
              headers: { 'x-device': '${topic(2)}' },
            },
          ],
        },
        system,
      );
      await pub.publishAsync('http/dev-1', JSON.stringify({ temp: 21 }), { qos: 1 });
      await until('three attempts', () => peer.hits.length >= 3);
      const last = peer.hits[2]!;
      assert.deepEqual(JSON.parse(last.body), { temp: 21, device: 'dev-1' });
      assert.equal(last.headers['x-device'], 'dev-1');
      assert.ok(verifySignature('s3cret', last.body, last.headers['x-tsunagu-signature'] as string));
      assert.equal(new Set(peer.hits.map((x) => x.headers['x-tsunagu-event-id'])).size, 1);
      await until(
        'delivered',
        async () => (await h.rules.service.deliveries('to_http', 'delivered', 10)).length === 1,
      );
      const [d] = await h.rules.service.deliveries('to_http', 'delivered', 10);
      assert.equal(d!.attempts, 3);
      // The secret is write-only.
      const view = await h.rules.service.get('to_http');
      assert.equal((view.actions[0] as { secret?: string }).secret, '***');
    } finally {
      peer.server.close();
    }
  });

  test('http failing for good: the error action (http) gets the failure after the last retry', async () => {
    const bad = await httpPeer(() => 500);
    const errors = await httpPeer(() => 204);
    try {
      await h.rules.service.create(
        {
          name: 'broken_http',
          sql: "SELECT * FROM 'broken/+'",
          actions: [{ type: 'http', url: bad.url, maxAttempts: 3 }],
          errorAction: { type: 'http', url: errors.url },
        },
        system,
      );
      await pub.publishAsync('broken/dev-1', '{"x":1}', { qos: 1 });
      await until('the error action', () => errors.hits.length === 1);
      assert.equal(bad.hits.length, 3);
      const e = JSON.parse(errors.hits[0]!.body) as {
        failures: { failedAction: string; errorMessage: string; failedResource: string }[];
      };
      assert.equal(e.failures[0]!.failedAction, 'HttpAction');
      assert.equal(e.failures[0]!.failedResource, `${bad.url}/`);
      assert.match(e.failures[0]!.errorMessage, /HTTP 500/);
    } finally {
      bad.server.close();
      errors.server.close();
    }
  });

  test('nothing queued is lost across a restart', async () => {
    const peer = await httpPeer(() => 200);
    const port = (peer.server.address() as AddressInfo).port;
    peer.server.close(); // down while the message arrives
    await h.rules.service.create(
      {
        name: 'survivor',
        sql: "SELECT * FROM 'keep/+'",
        actions: [{ type: 'http', url: `http://127.0.0.1:${port}/in`, maxAttempts: 50 }],
      },
      system,
    );
    await pub.publishAsync('keep/dev-1', '{"n":1}', { qos: 1 });
    await until('a failed attempt', async () =>
      (await h.rules.service.deliveries('survivor', 'pending', 10)).some((d) => d.attempts > 0),
    );
    await h.restart();
    const hits: string[] = [];
    const again = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        hits.push(b);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => again.listen(port, '127.0.0.1', r));
    try {
      await until('delivery after the restart', () => hits.length === 1);
      assert.deepEqual(JSON.parse(hits[0]!), { n: 1 });
    } finally {
      again.close();
    }
  });

  test('postgres: one row per message into a user table, values bound (never interpolated)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const schema = await freshPgSchema('rules_user');
    try {
      await schema.pool.query(
        'CREATE TABLE readings (device TEXT, temp DOUBLE PRECISION, note TEXT, doc JSONB)',
      );
      await h.rules.service.create(
        {
          name: 'to_pg',
          sql: "SELECT * FROM 'pg/+'",
          actions: [
            {
              type: 'postgres',
              url: PG_URL,
              table: `${schema.schema}.readings`,
              columns: { device: '${topic(2)}', temp: '${temp}', note: '${note}', doc: '${*}' },
            },
          ],
        },
        system,
      );
      const evil = "x'); DROP TABLE readings; --";
      await pub.publishAsync('pg/dev-9', JSON.stringify({ temp: 21.5, note: evil }), { qos: 1 });
      await until('the row', async () => (await schema.pool.query('SELECT 1 FROM readings')).rowCount === 1);
      const r = await schema.pool.query<{ device: string; temp: number; note: string; doc: unknown }>(
        'SELECT * FROM readings',
      );
      assert.deepEqual(r.rows[0], {
        device: 'dev-9',
        temp: 21.5,
        note: evil,
        doc: { temp: 21.5, note: evil },
      });
      const v = await h.rules.service.get('to_pg');
      const a0 = v.actions[0]!;
      assert.ok(a0.type === 'postgres' && !a0.url.includes('s3cret'));
    } finally {
      await schema.drop();
    }
  });

  test('amqp: published to RabbitMQ with publisher confirms', async (t) => {
    if (!(await requireServer(t, 'RabbitMQ', AMQP_URL, 5672))) return;
    // Loaded here as the action loads it (on first use); a checkout without it skips visibly, CI fails.
    const amqp = await import('amqplib').catch((e: unknown) => {
      if (process.env.CI === 'true') throw e;
      return undefined;
    });
    if (!amqp) return t.skip('amqplib is not installed (npm install)');
    const conn = await amqp.connect(AMQP_URL);
    try {
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      const bodies: string[] = [];
      await ch.consume(
        queue,
        (m) => {
          if (m) bodies.push(m.content.toString());
        },
        { noAck: true },
      );
      await h.rules.service.create(
        {
          name: 'to_amqp',
          sql: "SELECT temp FROM 'amqp/+'",
          actions: [{ type: 'amqp', url: AMQP_URL, exchange: '', routingKey: queue }],
        },
        system,
      );
      await pub.publishAsync('amqp/dev-1', JSON.stringify({ temp: 7, other: 1 }), { qos: 1 });
      await until('the AMQP message', () => bodies.length === 1);
      assert.deepEqual(JSON.parse(bodies[0]!), { temp: 7 });
    } finally {
      await conn.close();
    }
  });

  test('nats: published to a subject template', async (t) => {
    if (!(await requireNats(t))) return;
    const u = new URL(NATS_URL);
    const nc = await natsConnect({ servers: `${u.hostname}:${u.port || 4222}` });
    try {
      const got: { subject: string; data: string }[] = [];
      const s = nc.subscribe('tsunagu.test.rules.>');
      void (async () => {
        for await (const m of s) got.push({ subject: m.subject, data: Buffer.from(m.data).toString() });
      })();
      await nc.flush();
      await h.rules.service.create(
        {
          name: 'to_nats',
          sql: "SELECT VALUE temp FROM 'nats/+'",
          actions: [{ type: 'nats', url: NATS_URL, subject: 'tsunagu.test.rules.${topic(2)}' }],
        },
        system,
      );
      await pub.publishAsync('nats/dev-4', JSON.stringify({ temp: 3 }), { qos: 1 });
      await until('the NATS message', () => got.length === 1);
      assert.deepEqual(got[0], { subject: 'tsunagu.test.rules.dev-4', data: '3' });
    } finally {
      await nc.close();
    }
  });

  test('platform events as pseudo-topics: a service-state change triggers a rule', async () => {
    await h.rules.service.create(
      {
        name: 'out_of_service',
        sql: "SELECT deviceId, reasons FROM '$tsunagu/events/service-state/+' WHERE to = 'out_of_service'",
        actions: [{ type: 'republish', topic: 'fleet/out/${topic(4)}', qos: 1 }],
      },
      system,
    );
    const ev = {
      model: 'scooter',
      reasons: ['heartbeat_missed'],
      at: 1,
      actor: { kind: 'system' as const, id: 'health' },
    };
    h.bus.emit('service-state.changed', {
      deviceId: 'sc-1',
      from: 'out_of_service',
      to: 'in_service',
      ...ev,
    });
    h.bus.emit('service-state.changed', {
      deviceId: 'sc-2',
      from: 'in_service',
      to: 'out_of_service',
      ...ev,
    });
    await until('the event rule', () => got.some((m) => m.topic.startsWith('fleet/out/')));
    await h.rules.idle();
    assert.deepEqual(
      got.filter((m) => m.topic.startsWith('fleet/out/')).map((m) => [m.topic, JSON.parse(m.body)]),
      [['fleet/out/sc-2', { deviceId: 'sc-2', reasons: ['heartbeat_missed'] }]],
    );
  });

  test('a run-time failure for one message is counted and the rule goes on', async () => {
    const rules = h.rules;
    await rules.service.create(
      {
        name: 'bad_regex',
        sql: "SELECT * FROM 'rx/+' WHERE regexp_matches(s, p)",
        actions: [{ type: 'republish', topic: 'alerts/rx' }],
      },
      system,
    );
    // An invalid pattern is Undefined (AWS: invalid arguments give Undefined), so that message does not match.
    await pub.publishAsync('rx/a', JSON.stringify({ s: 'abc', p: '(' }), { qos: 1 });
    await pub.publishAsync('rx/a', JSON.stringify({ s: 'abc', p: 'b' }), { qos: 1 });
    await until('the second message', () => got.some((m) => m.topic === 'alerts/rx'));
    const v = await rules.service.get('bad_regex');
    assert.equal(v.metrics.evaluated, 2);
    assert.equal(v.metrics.matched, 1);
  });
});

describe('rules: I/O functions', () => {
  test('get_shadow(), device(); a failing lookup counts an error and the next message still runs', async () => {
    let fail = true;
    const h = await startRulesHarness(
      {
        readShadow: (id) => {
          if (fail) {
            fail = false;
            return Promise.reject(new Error('shadow store down'));
          }
          return Promise.resolve({ state: { reported: { mode: id === 'b-1' ? 'eco' : 'off' } } });
        },
      },
      [{ id: 'b-1', model: 'boiler', name: 'Boiler 1', tags: ['site-a'], enabled: true, attributes: {} }],
    );
    const c = await client(h.mqttUrl, 'b-1');
    const w = await client(h.mqttUrl, 'w');
    const got = collect(w);
    await w.subscribeAsync('out/#', { qos: 1 });
    try {
      await h.rules.service.create(
        {
          name: 'enrich',
          sql: "SELECT get_shadow(topic(2)).state.reported.mode AS mode, device().model AS model, device().tags[0] AS site FROM 'b/+'",
          actions: [{ type: 'republish', topic: 'out/${topic(2)}', qos: 1 }],
        },
        system,
      );
      await c.publishAsync('b/b-1', '{}', { qos: 1 });
      await c.publishAsync('b/b-1', '{}', { qos: 1 });
      await until('the enriched message', () => got.length === 1);
      assert.deepEqual(JSON.parse(got[0]!.body), { mode: 'eco', model: 'boiler', site: 'site-a' });
      const v = await h.rules.service.get('enrich');
      assert.equal(v.metrics.errors, 1);
      assert.match(v.metrics.lastError ?? '', /shadow store down/);
    } finally {
      c.end(true);
      w.end(true);
      await h.close();
    }
  });
});
