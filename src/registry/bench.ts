/**
 * `tsunagu bench registry` (the lead wires the CLI verb to `benchRegistry()`): CONNECTs per second
 * with password authentication, caches cold and warm, and publishes per second through the ACL
 * hook beside the same broker with anonymous access and no hooks, run in this process one after the
 * other so both see the same machine. Numbers, not assertions (STYLE.md rule 12).
 */
import type { AddressInfo } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { DEFAULT_LIMITS, silentLogger, systemClock } from '../core/index.js';
import { createBroker, listenTcp, type Broker } from '../mqtt/index.js';
import { openSqlite } from '../store/index.js';
import { openRegistryStore } from './registry-store.js';
import { startRegistryHarness, type RegistryHarness } from './testing.js';
import type { Device, DeviceQuery } from './types.js';

export interface RegistryBenchOptions {
  /** Devices connecting in the CONNECT benchmark (generated secrets, stored as sha256$). */
  devices?: number;
  /** Concurrent CONNECTs in flight. */
  concurrency?: number;
  /** QoS 0 publishes per publish run. */
  messages?: number;
  /** Publish runs per variant (the best run counts). */
  rounds?: number;
  /** Fleet size for the device-list timings (0 = skip). */
  listDevices?: number;
  print?: (line: string) => void;
}

export interface RegistryBenchResult {
  connectsPerSecCold: number;
  connectsPerSecWarm: number;
  /** The same CONNECT/DISCONNECT loop against the hook-less anonymous broker (the peer figure). */
  connectsPerSecAnonymous: number;
  publishesPerSecAcl: number;
  publishesPerSecAnonymous: number;
  /** ACL throughput / anonymous throughput (1.0 = the ACL check is free). */
  aclRatio: number;
  /** Nanoseconds per cached authorizePublish call, measured alone (the noise-free figure). */
  hookNsPerPublish: number;
  /** Milliseconds per device-list query on a fleet of `listDevices` (SQLite). */
  listMs: Record<string, number>;
}

/** Device-list queries (one page of 50, with total) on a large fleet in SQLite. */
async function benchList(n: number, print: (l: string) => void): Promise<Record<string, number>> {
  const db = openSqlite(':memory:');
  try {
    const store = await openRegistryStore(db);
    for (let b = 0; b < n; b += 5000) {
      const batch: Device[] = [];
      for (let i = b; i < Math.min(n, b + 5000); i++)
        batch.push({
          id: `dev-${i}`,
          model: i % 10 === 0 ? 'scooter' : 'boiler',
          name: `unit ${i}`,
          tags: [i % 7 === 0 ? 'site=osaka' : 'site=kobe'],
          attributes: {},
          enabled: true,
          createdAt: i,
          updatedAt: i,
        });
      await store.putDevices(batch);
    }
    const q = (o: Partial<DeviceQuery>): DeviceQuery => ({
      sort: 'id',
      order: 'asc',
      limit: 50,
      offset: 0,
      ...o,
    });
    const cases: [string, DeviceQuery][] = [
      ['first page', q({})],
      [`offset ${n - 1000}`, q({ offset: n - 1000 })],
      ['model filter', q({ model: 'scooter' })],
      ['tag filter', q({ tag: 'site=osaka' })],
      ['online filter', q({ online: true })],
      ['text search q', q({ q: 'unit 999' })],
      ['sort name desc', q({ sort: 'name', order: 'desc' })],
      // The service-state filter: health's ids in one state (1 % and 10 % of the fleet out of
      // service), and in service as every device not among them.
      ...[100, 10].flatMap((every): [string, DeviceQuery][] => {
        const held = Array.from({ length: Math.floor(n / every) }, (_, i) => `dev-${i * every}`);
        const share = `${100 / every} %`;
        return [
          [`state in ${share}`, q({ idIn: held })],
          [`state not ${share}`, q({ idNotIn: held })],
        ];
      }),
    ];
    const out: Record<string, number> = {};
    print(`  device list on ${n} devices (SQLite, page of 50 + total):`);
    for (const [name, query] of cases) {
      const t0 = process.hrtime.bigint();
      await store.queryDevices(query);
      out[name] = since(t0) * 1000;
      print(`    ${name.padEnd(18)} ${out[name].toFixed(1)} ms`);
    }
    return out;
  } finally {
    await db.close();
  }
}

const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

function connectOnce(url: string, clientId: string, password?: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      clientId,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      ...(password !== undefined ? { username: clientId, password } : {}),
    });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

async function connectAll(
  url: string,
  creds: [string, string | undefined][],
  concurrency: number,
): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < creds.length) {
      const [id, secret] = creds[next++]!;
      const c = await connectOnce(url, id, secret);
      await c.endAsync();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return creds.length / since(t0);
}

/** Publish `n` QoS 0 messages over 100 topics under `prefix`; resolves when the broker routed them all. */
async function publishRun(broker: Broker, client: MqttClient, prefix: string, n: number): Promise<number> {
  let seen = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const unsubscribe = broker.subscribe(`${prefix}/#`, () => {
    if (++seen === n) done();
  });
  const payload = Buffer.from('{"t":21.5}');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    client.publish(`${prefix}/s${i % 100}`, payload, { qos: 0 });
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r)); // let the socket drain
  }
  await all;
  const rate = n / since(t0);
  unsubscribe();
  return rate;
}

/** authorizePublish for a connected client, over 100 topics (what publishRun exercises), alone. */
function hookCost(h: RegistryHarness, clientId: string): number {
  const authorize = h.registry.brokerHooks.authorizePublish!;
  const info = h.broker.clientInfo(clientId) ?? {
    clientId,
    remoteAddress: '127.0.0.1',
    protocolVersion: 5 as const,
    keepalive: 60,
    cleanStart: true,
    transport: 'tcp' as const,
  };
  const topics = Array.from({ length: 100 }, (_, i) => `devices/${clientId}/s${i}`);
  const n = 1_000_000;
  let allowed = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (authorize(info, topics[i % 100]!) === true) allowed++;
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (allowed !== n) throw new Error(`hook refused ${n - allowed} publishes`);
  return ns;
}

async function api(h: RegistryHarness, url: string, payload: object): Promise<Record<string, unknown>> {
  const r = await h.http.inject({ method: 'POST', url: `/api/v1${url}`, headers: h.auth, payload });
  if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

export async function benchRegistry(opts: RegistryBenchOptions = {}): Promise<RegistryBenchResult> {
  const devices = opts.devices ?? 200;
  const concurrency = opts.concurrency ?? 16;
  const messages = opts.messages ?? 50_000;
  const rounds = opts.rounds ?? 5;
  const print = opts.print ?? ((l: string) => process.stdout.write(l + '\n'));

  const h = await startRegistryHarness({
    config: { limits: { ...DEFAULT_LIMITS, connectRatePerIp: 1_000_000 } },
  });
  const baseDb = openSqlite(':memory:');
  const base = createBroker({
    db: baseDb,
    clock: systemClock,
    log: silentLogger,
    limits: { ...DEFAULT_LIMITS, connectRatePerIp: 1_000_000 },
    allowAnonymous: true,
    nodeId: 'bench',
  });
  await base.start();
  const baseServer = await listenTcp(base, '127.0.0.1', 0);
  const baseUrl = `mqtt://127.0.0.1:${(baseServer.address() as AddressInfo).port}`;
  try {
    print(
      `registry bench: ${devices} devices, generated secrets (sha256$), ${concurrency} concurrent CONNECTs`,
    );
    const creds: [string, string][] = [];
    for (let i = 0; i < devices; i++) {
      const id = `bench-${i}`;
      await api(h, '/devices', { id });
      creds.push([id, (await api(h, `/devices/${id}/credentials`, {})).secret as string]);
    }
    const cold = await connectAll(h.mqttUrl, creds, concurrency);
    print(`  CONNECT + password, cache cold: ${cold.toFixed(0)} /s`);
    const warm = await connectAll(h.mqttUrl, creds, concurrency);
    print(`  CONNECT + password, cache warm: ${warm.toFixed(0)} /s  (${(warm / cold).toFixed(1)}× cold)`);
    const anonymous = await connectAll(
      baseUrl,
      creds.map(([id]) => [id, undefined]),
      concurrency,
    );
    print(`  CONNECT, anonymous broker without hooks (peer): ${anonymous.toFixed(0)} /s`);

    const aclClient = await connectOnce(h.mqttUrl, creds[0]![0], creds[0]![1]);
    const anonClient = await connectOnce(baseUrl, 'bench-anon');
    let bestAcl = 0;
    let bestAnon = 0;
    for (let r = 0; r < rounds; r++) {
      bestAnon = Math.max(bestAnon, await publishRun(base, anonClient, 'devices/bench-anon', messages));
      bestAcl = Math.max(bestAcl, await publishRun(h.broker, aclClient, `devices/${creds[0]![0]}`, messages));
    }
    const hookNs = hookCost(h, creds[0]![0]);
    await aclClient.endAsync();
    await anonClient.endAsync();
    const ratio = bestAcl / bestAnon;
    const listN = opts.listDevices ?? 100_000;
    print(`  publish QoS 0, ${messages} msgs × ${rounds} rounds (best):`);
    print(`    through the registry ACL hook:      ${bestAcl.toFixed(0)} msg/s`);
    print(`    same broker, --allow-anonymous:     ${bestAnon.toFixed(0)} msg/s`);
    print(
      `    ratio ${ratio.toFixed(3)} (ACL cost ${((1 - ratio) * 100).toFixed(1)}% of throughput; goal < 10%)`,
    );
    print(`    the hook alone (cached decision, 100 topics): ${hookNs.toFixed(0)} ns per publish`);
    const listMs = listN > 0 ? await benchList(listN, print) : {};
    return {
      connectsPerSecCold: cold,
      connectsPerSecWarm: warm,
      connectsPerSecAnonymous: anonymous,
      publishesPerSecAcl: bestAcl,
      publishesPerSecAnonymous: bestAnon,
      aclRatio: ratio,
      hookNsPerPublish: hookNs,
      listMs,
    };
  } finally {
    baseServer.close();
    await base.close();
    await baseDb.close();
    await h.close();
  }
}
