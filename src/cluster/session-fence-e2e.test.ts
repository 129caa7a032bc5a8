/**
 * The release timeout (docs/mqtt.md "Cross-node sessions"): a node holding a session is stopped
 * (SIGSTOP: alive, but answers nothing) when its client connects to another node. The claim times
 * out after 5 s and the CONNECT is refused with 0x89 Server busy — never two holders. Once the
 * holder runs again, the client's next CONNECT takes the session over as usual (0x8E on the old
 * connection, session present), and a message reaches only the new connection, once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions } from 'mqtt';
import { startClusterProcesses, type ClusterProcess } from '../test-support/cluster-processes.js';
import { requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

const persistent: IClientOptions = {
  protocolVersion: 5,
  clean: false,
  properties: { sessionExpiryInterval: 600 },
  reconnectPeriod: 0,
  connectTimeout: 60_000,
};

test('postgres+nats: a holder that does not release in time: CONNECT refused 0x89, then taken over once', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const { nodes, clients } = await startClusterProcesses(t, 'fence', ['fa', 'fb']);
  const [a, b] = nodes as [ClusterProcess, ClusterProcess];
  const url = (n: ClusterProcess): string => `mqtt://127.0.0.1:${n.mqttPort}`;

  const old = mqtt.connect(url(a), { ...persistent, clientId: 'dev-s' });
  clients.push(old);
  const oldGot: string[] = [];
  let oldCode: number | undefined;
  old.on('message', (_t, p) => oldGot.push(p.toString()));
  old.on('disconnect', (p) => (oldCode = p.reasonCode));
  old.on('error', () => undefined);
  await new Promise<void>((r) => old.once('connect', () => r()));
  await old.subscribeAsync('fence/dev-s', { qos: 1 });
  await until('B knows the filter', async () => (await b.gauge('tsunagu_cluster_remote_filters')) >= 1);

  a.proc.child.kill('SIGSTOP');
  const refused = await new Promise<number>((resolve, reject) => {
    const c = mqtt.connect(url(b), { ...persistent, clientId: 'dev-s' });
    clients.push(c);
    c.once('connect', () => reject(new Error('CONNECT accepted while the holder was stopped')));
    c.once('error', (err) => resolve((err as Error & { code?: number }).code ?? -1));
  });
  assert.equal(refused, 0x89, 'refused with 0x89 Server busy');
  a.proc.child.kill('SIGCONT');

  const next = mqtt.connect(url(b), { ...persistent, clientId: 'dev-s' });
  clients.push(next);
  const got: string[] = [];
  next.on('message', (_t, p) => got.push(p.toString()));
  const present = await new Promise<boolean>((resolve, reject) => {
    next.once('connect', (ack) => resolve(ack.sessionPresent));
    next.once('error', reject);
  });
  assert.equal(present, true, 'the session came over from A');
  await until('the old connection closed', () => old.connected === false);
  assert.equal(oldCode, 0x8e, 'A closed its connection with 0x8E when it ran again');

  const pub = mqtt.connect(url(b), { clientId: 'fence-pub', reconnectPeriod: 0 });
  clients.push(pub);
  await new Promise<void>((r) => pub.once('connect', () => r()));
  await pub.publishAsync('fence/dev-s', 'one', { qos: 1 });
  await pub.publishAsync('fence/sentinel', 'x', { qos: 1 });
  await until('delivered to the new connection', () => got.length >= 1);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(got, ['one'], 'once, on the new connection');
  assert.deepEqual(oldGot, [], 'nothing on the old one');
});
