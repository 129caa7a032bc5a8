/**
 * Presence, registry invalidation and readiness across two `tsunagu start --cluster` processes on
 * the real PostgreSQL and NATS, with real mqtt.js devices:
 * - a device connected to A is online when read through B, with A as its node; offline on B after it leaves;
 * - a device disabled through A is refused on B although B had it cached, and one connected to B
 *   is disconnected (0x87) by a disable through A; a credential revoked through B disconnects the
 *   device from A;
 * - /readyz on each node lists both members and its owned shards;
 * - kill -9 of B: its device is offline when read through A (not left connected forever), with a
 *   `node_lost` row in its history written once. The time from the kill is printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import {
  startClusterProcess,
  stopClusterProcesses,
  type ClusterProcess,
  type Json,
} from '../test-support/cluster-processes.js';
import { freshPgSchema, requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

const TOKEN = 'presence-e2e-token-0123456789abcdef';

/** Connect; resolves with the client, or with the CONNACK refusal reason code. */
function connect(port: number, clientId: string, password: string): Promise<MqttClient | number> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      clientId,
      username: clientId,
      password,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
    });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number') resolve(code);
      else reject(err);
    });
  });
}

async function connected(port: number, id: string, password: string): Promise<MqttClient> {
  const c = await connect(port, id, password);
  assert.ok(typeof c !== 'number', `${id} refused with 0x${Number(c).toString(16)}`);
  return c;
}

/** Resolves with the DISCONNECT reason code the server sent (or -1 when the socket just closed). */
function disconnectedBy(c: MqttClient): Promise<number> {
  return new Promise((resolve) => {
    c.once('disconnect', (p) => resolve(p.reasonCode ?? 0));
    c.once('close', () => resolve(-1));
  });
}

test('postgres+nats: presence, invalidation and readiness across two tsunagu processes; kill -9 clears presence', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const schema = await freshPgSchema('presence');
  const o = {
    schema: schema.schema,
    subject: `tsunagu.test.${randomBytes(4).toString('hex')}`,
    token: TOKEN,
  };
  const nodes: ClusterProcess[] = [];
  const clients: MqttClient[] = [];
  t.after(async () => {
    for (const c of clients) c.end(true);
    await stopClusterProcesses(nodes);
    await schema.drop();
  });
  const a = await startClusterProcess('pa', o);
  nodes.push(a);
  const b = await startClusterProcess('pb', o);
  nodes.push(b);

  await until('both nodes see two members in /readyz', async () => {
    const [ra, rb] = [await a.readyz(), await b.readyz()];
    return ra.body.cluster?.members.length === 2 && rb.body.cluster?.members.length === 2;
  });
  const ready = (await a.readyz()).body;
  assert.equal(ready.status, 'ready');
  assert.equal(ready.cluster.joined, true);
  assert.equal(ready.cluster.nats.connected, true);
  assert.equal(ready.cluster.database.ok, true);
  assert.equal(ready.cluster.ownedShards.length, ready.cluster.shardsHeld);

  const secrets: Record<string, string> = {};
  for (const id of ['d-a', 'd-b', 'd-off', 'd-kick', 'd-rev']) {
    await a.api('POST', '/devices', { id });
    secrets[id] = (await a.api('POST', `/devices/${id}/credentials`, {})).secret as string;
  }

  // Presence: connected to A, read through B.
  const da = await connected(a.mqttPort, 'd-a', secrets['d-a']!);
  clients.push(da);
  await until('B sees d-a online', async () => (await b.api('GET', '/devices/d-a')).online === true);
  da.end();
  await until('B sees d-a offline', async () => (await b.api('GET', '/devices/d-a')).online === false);

  // Invalidation: B caches d-off (a successful connect), then A disables it: B refuses it.
  (await connected(b.mqttPort, 'd-off', secrets['d-off']!)).end(true);
  await a.api('PATCH', '/devices/d-off', { enabled: false });
  await until('B refuses the device disabled through A', async () => {
    const r = await connect(b.mqttPort, 'd-off', secrets['d-off']!);
    if (typeof r !== 'number') r.end(true);
    return r === 0x87;
  });

  // A device connected to B, disabled through A: B disconnects it.
  const dk = await connected(b.mqttPort, 'd-kick', secrets['d-kick']!);
  clients.push(dk);
  const kicked = disconnectedBy(dk);
  const disabledAt = Date.now();
  await a.api('PATCH', '/devices/d-kick', { enabled: false });
  assert.equal(await kicked, 0x87, 'DISCONNECT 0x87 from B');
  const kickMs = Date.now() - disabledAt;

  // A credential revoked through B disconnects the device from A.
  const dr = await connected(a.mqttPort, 'd-rev', secrets['d-rev']!);
  clients.push(dr);
  await until('B sees d-rev online', async () => (await b.api('GET', '/devices/d-rev')).online === true);
  const revoked = disconnectedBy(dr);
  const revokedAt = Date.now();
  const creds = await b.api('GET', '/devices/d-rev/credentials');
  const cred = ((Array.isArray(creds) ? creds : creds.items) as Json[])[0]!;
  await b.api('POST', `/devices/d-rev/credentials/${cred.id}/revoke`);
  assert.equal(await revoked, 0x87, 'DISCONNECT 0x87 from A');
  const revokeMs = Date.now() - revokedAt;
  t.diagnostic(
    `disabled through A → disconnected from B after ${kickMs} ms; credential revoked through B → disconnected from A after ${revokeMs} ms (from the API call)`,
  );

  // Node death: d-b on B; kill -9 B; A reads it offline, with one node_lost row.
  const db = await connected(b.mqttPort, 'd-b', secrets['d-b']!);
  clients.push(db);
  await until('A sees d-b online', async () => (await a.api('GET', '/devices/d-b')).online === true);
  const killedAt = Date.now();
  await b.kill();
  await until(
    'A reads d-b offline after B was killed',
    async () => (await a.api('GET', '/devices/d-b')).online === false,
  );
  const clearedMs = Date.now() - killedAt;
  await until('the node_lost row', async () => {
    const h = await a.api('GET', '/devices/d-b/sessions');
    return (h.items as Json[]).some((r) => r.reason === 'node_lost');
  });
  const history = (await a.api('GET', '/devices/d-b/sessions')).items as Json[];
  assert.equal(history.filter((r) => r.reason === 'node_lost').length, 1, JSON.stringify(history));
  const fleet = await a.api('GET', '/fleet/connectivity');
  assert.equal(fleet.online, 0, `fleet counts after the kill: ${JSON.stringify(fleet)}`);
  await until('A is alone in /readyz', async () => (await a.readyz()).body.cluster.members.length === 1);
  t.diagnostic(`presence of a kill -9'd node's device cleared on the survivor after ${clearedMs} ms`);
});
