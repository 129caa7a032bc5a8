/**
 * The brokers under test, each in its own process so /proc shows its CPU and memory alone:
 * Tsunagu (compiled `dist/` when up to date, else the sources under tsx), Debian's Mosquitto with a
 * generated config, and Aedes with a net server. Each listens on a free port on 127.0.0.1 only.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, parser as createParser } from 'mqtt-packet';
import pg from 'pg';
import { inspectFlag } from './heap-probe.js';
import { siblingEntry, siblingNodeArgs, spawnWithFileLimit, stopChild } from './spawn.js';

export const BROKER_NAMES = ['tsunagu', 'mosquitto', 'aedes'] as const;
/**
 * `baseline` is Tsunagu built from another checkout (`--baseline DIR`, e.g. a worktree of main):
 * the same workloads in the same run, for before/after ratios of a change.
 */
/** `traced@R`: this Tsunagu with tracing on at sample ratio R (`--trace-sample-ratio`). */
export type TracedName = `traced@${number}`;
export type BrokerName = (typeof BROKER_NAMES)[number] | 'baseline' | TracedName;

export const tracedName = (ratio: number): TracedName => `traced@${ratio}`;
const tracedRatio = (name: string): number | undefined =>
  name.startsWith('traced@') ? Number(name.slice('traced@'.length)) : undefined;

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export interface BrokerTarget {
  name: BrokerName;
  pid: number;
  port: number;
  url: string;
  /** What runs, for the report: version and runner. */
  description: string;
  /** Node brokers started with `inspect`: their inspector's port on 127.0.0.1 (heap-probe.ts). */
  inspectPort?: number;
  stop(): Promise<void>;
}

export type TsunaguRunner = 'auto' | 'dist' | 'tsx';

/** `platform`: `tsunagu start`, every module; `broker`: the broker alone (tsunagu-broker-server.ts). */
export type TsunaguHost = 'platform' | 'broker';

export interface StartOptions {
  tsunaguRunner: TsunaguRunner;
  tsunaguHost: TsunaguHost;
  /** Extra node flags for the Tsunagu process (e.g. `--cpu-prof --cpu-prof-dir=…`). */
  tsunaguNodeArgs: string[];
  /**
   * `--database` for Tsunagu: undefined = SQLite in a temporary data directory; a postgres:// URL
   * runs it on a fresh schema of that server (dropped at the end).
   */
  tsunaguDatabase?: string;
  /** The checkout the `baseline` broker runs from (its `dist/` when built, else its sources). */
  baselineRoot?: string;
  /**
   * The `traced@R` brokers: this Tsunagu with tracing on (`--otlp-endpoint`, a local sink that
   * takes every export, and `--trace-sample-ratio R`), beside `tsunagu` with tracing off.
   */
  traced?: { otlpUrl: string };
  /**
   * Start Node brokers (Tsunagu, the baseline, Aedes) with the inspector on a loopback port, so
   * the idle-connections workload can read their heap after a full GC.
   */
  inspect?: boolean;
}

/** A fresh schema on the PostgreSQL server of `url`, and how to drop it. */
function benchSchema(url: string): { url: string; schema: string; drop: () => Promise<void> } {
  const u = new URL(url);
  const schema = `tsunagu_bench_${process.pid}_${Date.now()}`;
  u.searchParams.set('schema', schema);
  const server = new URL(url);
  server.searchParams.delete('schema');
  return {
    url: u.toString(),
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: server.toString() });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One MQTT CONNECT → CONNACK round trip: the broker is not ready until it answers one. */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const parser = createParser({ protocolVersion: 4 });
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 2000);
    socket.once('error', () => finish(false));
    socket.on('data', (d: Buffer) => parser.parse(d));
    parser.on('packet', (p) => finish(p.cmd === 'connack' && p.returnCode === 0));
    parser.on('error', () => finish(false));
    socket.write(
      generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 10,
        clientId: `bench-probe-${process.pid}`,
      }),
    );
  });
}

async function waitReady(child: ChildProcess, port: number, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited during start (code ${child.exitCode ?? child.signalCode})`);
    if (await probe(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not accept an MQTT connection on port ${port} within ${timeoutMs} ms`);
}

function target(
  name: BrokerName,
  child: ChildProcess,
  port: number,
  description: string,
  dir?: string,
  after?: () => Promise<void>,
  inspectPort?: number,
) {
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  return {
    name,
    pid: child.pid,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    description,
    ...(inspectPort === undefined ? {} : { inspectPort }),
    async stop() {
      await stopChild(child);
      if (dir) rmSync(dir, { recursive: true, force: true });
      await after?.();
    },
  } satisfies BrokerTarget;
}

async function started(
  name: BrokerName,
  child: ChildProcess,
  port: number,
  description: string,
  dir?: string,
  after?: () => Promise<void>,
  inspectPort?: number,
): Promise<BrokerTarget> {
  const t = target(name, child, port, description, dir, after, inspectPort);
  try {
    await waitReady(child, port, name, 60_000);
  } catch (err) {
    await t.stop();
    throw err;
  }
  return t;
}

function newestMtime(dir: string, keep: (file: string) => boolean): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, keep));
    else if (keep(p)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * `dist` is usable when it exists and no source file is newer than its CLI entry; tsx compiles
 * on load and adds start-up and some run-time overhead, so the compiled code is preferred.
 */
export function chooseTsunaguRunner(wanted: TsunaguRunner, root = REPO_ROOT): 'dist' | 'tsx' {
  if (wanted !== 'auto') return wanted;
  const entry = join(root, 'dist/cli/index.js');
  if (!existsSync(entry)) return 'tsx';
  const srcNewest = newestMtime(join(root, 'src'), (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const distNewest = newestMtime(join(root, 'dist'), (f) => f.endsWith('.js'));
  return srcNewest <= distNewest ? 'dist' : 'tsx';
}

async function startTsunagu(
  opts: StartOptions,
  name: 'tsunagu' | 'baseline' | TracedName = 'tsunagu',
  root = REPO_ROOT,
): Promise<BrokerTarget> {
  const [port, httpPort] = [await freePort(), await freePort()];
  const inspectPort = opts.inspect ? await freePort() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-'));
  const runner = chooseTsunaguRunner(opts.tsunaguRunner, root);
  const ratio = tracedRatio(name);
  const pgSchema = opts.tsunaguDatabase ? benchSchema(opts.tsunaguDatabase) : undefined;
  const script =
    opts.tsunaguHost === 'platform'
      ? runner === 'dist'
        ? join(root, 'bin/tsunagu.js')
        : join(root, 'src/cli/index.ts')
      : join(
          root,
          runner === 'dist' ? 'dist/bench/tsunagu-broker-server.js' : 'src/bench/tsunagu-broker-server.ts',
        );
  const hostArgs =
    opts.tsunaguHost === 'platform'
      ? [
          'start',
          '--allow-anonymous',
          '--host',
          '127.0.0.1',
          '--mqtt-port',
          String(port),
          '--http-port',
          String(httpPort),
          '--data-dir',
          dir,
          '--log-level',
          'warn',
          '--admin-token',
          `bench-${process.pid}-${Date.now()}`,
          // The benchmark opens thousands of connections from one address within seconds.
          '--connect-rate-per-ip',
          '1000000',
          ...(pgSchema ? ['--database', pgSchema.url] : []),
          ...(ratio !== undefined && opts.traced
            ? ['--otlp-endpoint', opts.traced.otlpUrl, '--trace-sample-ratio', String(ratio)]
            : []),
        ]
      : [String(port), dir];
  if (pgSchema && opts.tsunaguHost !== 'platform')
    throw new Error('--tsunagu-database needs --tsunagu-host platform');
  const args = [
    ...opts.tsunaguNodeArgs,
    ...(inspectPort === undefined ? [] : [inspectFlag(inspectPort)]),
    ...(runner === 'tsx' ? ['--import', 'tsx'] : []),
    script,
    ...hostArgs,
  ];
  const child = spawnWithFileLimit(process.execPath, args, { stdio: ['ignore', 2, 2], cwd: root });
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  const what = opts.tsunaguHost === 'platform' ? 'tsunagu start' : 'broker only';
  const store = pgSchema ? `PostgreSQL schema ${pgSchema.schema}` : 'SQLite';
  const from =
    name === 'baseline'
      ? ` from ${root}`
      : ratio !== undefined
        ? `, tracing on at ${ratio} (OTLP/HTTP to a local sink)`
        : '';
  return started(
    name,
    child,
    port,
    `tsunagu ${version}${from} (${what}, ${store}, ${runner}, node ${process.version})`,
    dir,
    pgSchema?.drop,
    inspectPort,
  );
}

async function startMosquitto(): Promise<BrokerTarget> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-bench-'));
  // Mosquitto started as root drops to its own user, which must be able to write mosquitto.db.
  chmodSync(dir, 0o777);
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      // Persistent sessions are kept and saved to disk (mosquitto.db, every autosave_interval
      // seconds and at exit — not per message, so not durable across kill -9 like Tsunagu).
      'persistence true',
      `persistence_location ${dir}/`,
      'max_queued_messages 1000000',
      // Tsunagu's default window (limits.maxInflight). With Mosquitto's default of 20, its 2.0.11
      // stalls a persistent QoS 2 stream for good after a few hundred messages.
      'max_inflight_messages 64',
      // Tsunagu sets TCP_NODELAY too; without it Nagle adds ~40 ms to request/answer exchanges.
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child = spawnWithFileLimit(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 2] });
  let version = 'mosquitto';
  try {
    version = execFileSync(MOSQUITTO_BIN, ['-h'], { encoding: 'utf8' }).split('\n')[0]?.trim() ?? version;
  } catch (err) {
    // `mosquitto -h` exits 3 after printing its usage; the version is on the first line anyway.
    const out = (err as { stdout?: string }).stdout;
    if (out) version = out.split('\n')[0]?.trim() ?? version;
  }
  return started('mosquitto', child, port, version, dir);
}

async function startAedes(inspect: boolean): Promise<BrokerTarget> {
  const port = await freePort();
  const inspectPort = inspect ? await freePort() : undefined;
  const child = spawnWithFileLimit(
    process.execPath,
    [
      ...(inspectPort === undefined ? [] : [inspectFlag(inspectPort)]),
      ...siblingNodeArgs(),
      siblingEntry('aedes-server'),
      String(port),
    ],
    { stdio: ['ignore', 2, 2], cwd: REPO_ROOT },
  );
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/aedes/package.json'), 'utf8')) as {
    version: string;
  };
  return started(
    'aedes',
    child,
    port,
    `aedes ${pkg.version} (in-memory, node ${process.version})`,
    undefined,
    undefined,
    inspectPort,
  );
}

export function startBroker(name: BrokerName, opts: StartOptions): Promise<BrokerTarget> {
  switch (name) {
    case 'tsunagu':
      return startTsunagu(opts);
    case 'baseline':
      if (!opts.baselineRoot) throw new Error('the baseline broker needs --baseline DIR');
      return startTsunagu(opts, 'baseline', opts.baselineRoot);
    case 'mosquitto':
      return startMosquitto();
    case 'aedes':
      return startAedes(opts.inspect === true);
    default:
      if (!opts.traced || opts.tsunaguHost !== 'platform')
        throw new Error('a traced broker needs --trace-sample-ratio and --tsunagu-host platform');
      return startTsunagu(opts, name);
  }
}
