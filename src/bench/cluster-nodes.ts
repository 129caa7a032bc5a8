/**
 * `tsunagu start --cluster` child processes (this same executable) for the cluster benchmarks: one
 * PostgreSQL schema and NATS subject per run, free loopback ports, a throwaway data directory each,
 * the open-file limit raised (a node may hold thousands of connections). Benchmarks cannot use
 * `src/test-support/` (nothing the CLI reaches may), hence this small copy of its launcher.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { openPostgres } from '../store/index.js';
import { spawnWithFileLimit } from './spawn.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of the API and /readyz
export type Json = Record<string, any>;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Where a run's nodes meet: the database URL with its own schema, a NATS subject, a shared key. */
export interface BenchCluster {
  database: string;
  natsUrl: string;
  subject: string;
  /** `--secret-key-file` every node shares (notification channels are sealed with it). */
  keyFile: string;
  /** Drop the schema and the key file. */
  drop(): Promise<void>;
}

export function newBenchCluster(pgUrl: string, natsUrl: string, name: string): BenchCluster {
  const tag = randomBytes(4).toString('hex');
  const schema = `bench_${name}_${tag}`;
  const dir = mkdtempSync(join(tmpdir(), `tsunagu-${name}-key-`));
  const keyFile = join(dir, 'secret.key');
  writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  return {
    database: `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`,
    natsUrl,
    subject: `tsunagu.bench.${tag}`,
    keyFile,
    async drop() {
      rmSync(dir, { recursive: true, force: true });
      const db = await openPostgres(pgUrl, schema, 1).catch(() => undefined);
      if (!db) return;
      await db.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await db.close();
    },
  };
}

export interface BenchNode {
  nodeId: string;
  child: ChildProcess;
  mqttPort: number;
  httpPort: number;
  /** The node's API with the admin token (when one was given); throws on a non-2xx answer. */
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<Json>;
  readyz(): Promise<{ status: number; body: Json }>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export interface BenchNodeOptions {
  adminToken?: string;
  extraArgs?: string[];
}

export async function startBenchNode(
  nodeId: string,
  c: Pick<BenchCluster, 'database' | 'natsUrl' | 'subject'> & { keyFile?: string },
  o: BenchNodeOptions = {},
): Promise<BenchNode> {
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), `tsunagu-bench-${nodeId}-`));
  const token = o.adminToken ?? randomBytes(24).toString('hex');
  const child = spawnWithFileLimit(
    process.execPath,
    [
      ...process.execArgv,
      process.argv[1]!,
      'start',
      '--cluster',
      '--nats-url',
      c.natsUrl,
      '--nats-subject',
      c.subject,
      '--database',
      c.database,
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
      '--admin-token',
      token,
      ...(c.keyFile ? ['--secret-key-file', c.keyFile] : []),
      ...(o.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TSUNAGU_LOG_LEVEL: 'warn' } },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const base = `http://127.0.0.1:${httpPort}`;
  const node: BenchNode = {
    nodeId,
    child,
    mqttPort,
    httpPort,
    async api(method, path, body, contentType = 'application/json') {
      const r = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': contentType } : {}),
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      if (r.status >= 300) throw new Error(`${nodeId}: ${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
      return text === '' ? {} : (JSON.parse(text) as Json);
    },
    async readyz() {
      const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
      return { status: r.status, body: (await r.json()) as Json };
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  for (let i = 0; ; i++) {
    const ok = await node.readyz().then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return node;
    if (child.exitCode !== null || child.signalCode !== null || i > 1200) {
      await node.stop();
      throw new Error(`bench: node ${nodeId} did not start`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
