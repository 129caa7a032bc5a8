/**
 * Several `tsunagu start --cluster` child processes (the real CLI) on loopback, sharing one
 * PostgreSQL schema and a NATS subject of their own: for the presence, invalidation, readiness,
 * failover, fan-out and session-takeover tests. Started one after the other (first-time
 * migrations on a fresh schema must not race, store/migrations.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { testClusterSubject } from './cluster-node.js';
import { startPlatformProcess, type PlatformProcess } from './cli-process.js';
import { freePort } from './ports.js';
import { freshPgSchema, NATS_URL, PG_URL } from './services.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in assertions
export type Json = Record<string, any>;

export interface ClusterProcess {
  nodeId: string;
  proc: PlatformProcess;
  mqttPort: number;
  httpPort: number;
  base: string;
  /** Call the node's API with the admin token; fails the test on a non-2xx answer. */
  api(method: string, path: string, body?: Json): Promise<Json>;
  /** GET /readyz: status code and body. */
  readyz(): Promise<{ status: number; body: Json }>;
  /** A gauge from /metrics (NaN when absent). */
  gauge(name: string): Promise<number>;
  /** kill -9, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (kill -9 after 10 s), and wait for the exit. */
  stop(): Promise<void>;
}

export interface ClusterProcessOptions {
  schema: string;
  subject: string;
  /** Admin token for `api()`; without it, anonymous MQTT is allowed (fan-out and session tests). */
  token?: string;
  extraArgs?: string[];
}

/**
 * One node. `freePort()` closes its probe before the child binds, so another test can take the
 * port in between: a child that exits because a port is in use is started again on new ports.
 */
export async function startClusterProcess(nodeId: string, o: ClusterProcessOptions): Promise<ClusterProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterProcessOnce(nodeId, o);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= 3) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startClusterProcessOnce(nodeId: string, o: ClusterProcessOptions): Promise<ClusterProcess> {
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), `tsunagu-${nodeId}-`));
  const proc = startPlatformProcess([
    '--cluster',
    '--nats-url',
    NATS_URL,
    '--nats-subject',
    o.subject,
    '--database',
    `${PG_URL}?schema=${o.schema}`,
    '--node-id',
    nodeId,
    '--host',
    '127.0.0.1',
    '--mqtt-port',
    String(mqttPort),
    '--http-port',
    String(httpPort),
    '--data-dir',
    dataDir,
    ...(o.token !== undefined ? ['--admin-token', o.token] : ['--allow-anonymous']),
    ...(o.extraArgs ?? []),
  ]);
  void proc.exited.then(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = `http://127.0.0.1:${httpPort}`;
  const node: ClusterProcess = {
    nodeId,
    proc,
    mqttPort,
    httpPort,
    base,
    async api(method, path, body) {
      const r = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          ...(o.token !== undefined ? { authorization: `Bearer ${o.token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      assert.ok(r.status < 300, `${nodeId}: ${method} ${path}: ${r.status} ${text}`);
      return text === '' ? {} : (JSON.parse(text) as Json);
    },
    async readyz() {
      const r = await fetch(`${base}/readyz`);
      return { status: r.status, body: (await r.json()) as Json };
    },
    async gauge(name) {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line ? Number(line.slice(name.length + 1)) : NaN;
    },
    async kill() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
      await proc.exited;
    },
    async stop() {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
      proc.child.kill('SIGTERM');
      const t = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
      await proc.exited;
      clearTimeout(t);
    },
  };
  // Ready: /readyz answers 200 (listening, joined the cluster).
  for (let i = 0; ; i++) {
    const ok = await node.readyz().then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return node;
    if (proc.child.exitCode !== null) {
      if (proc.output().includes('is already in use')) throw new PortTaken(proc.output());
      assert.fail(`${nodeId} exited: ${proc.output()}`);
    }
    if (i > 1200) assert.fail(`${nodeId} not ready after 2 minutes: ${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stop every node (SIGTERM, then kill -9 after 10 s). */
export async function stopClusterProcesses(nodes: ClusterProcess[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
}

/** Anything a test opened that must end before the nodes stop (an MQTT client, say). */
interface Closable {
  end(force?: boolean): unknown;
}

/**
 * `ids.length` processes on a fresh schema and a NATS subject of their own. After the test: any
 * node a test stopped with SIGSTOP is continued, the clients pushed to `clients` end, the nodes
 * stop and the schema is dropped. The caller checks `requirePostgres` / `requireNats` first.
 */
export async function startClusterProcesses(
  t: TestContext,
  schemaName: string,
  ids: readonly string[],
  opts: Omit<ClusterProcessOptions, 'schema' | 'subject'> = {},
): Promise<{ nodes: ClusterProcess[]; clients: Closable[] }> {
  const schema = await freshPgSchema(schemaName);
  const o = { ...opts, schema: schema.schema, subject: testClusterSubject() };
  const nodes: ClusterProcess[] = [];
  const clients: Closable[] = [];
  t.after(async () => {
    for (const n of nodes) n.proc.child.kill('SIGCONT');
    for (const c of clients) c.end(true);
    await stopClusterProcesses(nodes);
    await schema.drop();
  });
  for (const id of ids) nodes.push(await startClusterProcess(id, o));
  return { nodes, clients };
}
