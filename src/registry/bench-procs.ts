/**
 * Processes of `tsunagu bench reconnect`: client workers (bench-clients.ts) and the brokers under
 * test — `tsunagu start` on a data directory, and Debian's Mosquitto with a password file whose
 * hashes `mosquitto_passwd -U` made — each restartable on the same port and data after kill -9.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from 'mqtt-packet';
import type { FromClients, ToClients } from './bench-clients.js';

const RUNNING_TS = import.meta.url.endsWith('.ts');
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** 10,000 sockets need more descriptors than the usual soft limit of 1,024. */
function spawnWithFileLimit(command: string, args: string[]): ChildProcess {
  return spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'bash', command, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: REPO_ROOT,
  });
}

/** Any CONNACK (a refusal too: the probe has no credentials) means the broker is serving MQTT. */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 2000);
    s.once('error', () => done(false));
    s.once('data', (d: Buffer) => done(d[0] === 0x20));
    s.write(
      generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 10,
        clientId: 'probe',
      }),
    );
  });
}

export interface BrokerProc {
  name: string;
  port: number;
  /** Start (or restart) on the same port and data; resolves with ms from spawn to serving. */
  start(): Promise<number>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

function restartable(name: string, port: number, launch: () => ChildProcess): BrokerProc {
  let child: ChildProcess | undefined;
  const exited = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise((r) => c.once('exit', () => r()));
  return {
    name,
    port,
    async start() {
      const t0 = performance.now();
      const c = launch();
      child = c;
      for (;;) {
        if (c.exitCode !== null || c.signalCode !== null) throw new Error(`${name} exited during start`);
        if (await probe(port)) return performance.now() - t0;
        if (performance.now() - t0 > 120_000) throw new Error(`${name} did not serve MQTT within 120 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill9() {
      if (!child) return;
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      if (!child) return;
      child.kill('SIGTERM');
      const c = child;
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await exited(c);
      clearTimeout(t);
    },
  };
}

/** `tsunagu start` on `dir` (already provisioned), admin token from a 0600 file. */
export async function tsunaguProc(dir: string, nodeArgs: string[] = []): Promise<BrokerProc> {
  const [port, httpPort] = [await freePort(), await freePort()];
  const tokenFile = join(dir, 'admin-token');
  writeFileSync(tokenFile, `bench-${process.pid}-${Date.now()}\n`);
  chmodSync(tokenFile, 0o600);
  const entry = RUNNING_TS
    ? ['--import', 'tsx', join(REPO_ROOT, 'src/cli/index.ts')]
    : [join(REPO_ROOT, 'bin/tsunagu.js')];
  const args = [
    ...nodeArgs,
    ...entry,
    'start',
    ...['--host', '127.0.0.1', '--mqtt-port', String(port), '--http-port', String(httpPort)],
    ...['--data-dir', dir, '--log-level', 'warn', '--admin-token-file', tokenFile],
  ];
  return restartable('tsunagu', port, () => spawnWithFileLimit(process.execPath, args));
}

/** Mosquitto with `password_file` (PBKDF2-SHA512 hashes from `mosquitto_passwd -U`), anonymous off. */
export async function mosquittoProc(
  devices: { username: string; secret: string }[],
): Promise<BrokerProc & { version: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-reconnect-'));
  const pw = join(dir, 'passwd');
  writeFileSync(pw, devices.map((d) => `${d.username}:${d.secret}`).join('\n') + '\n', { mode: 0o600 });
  execFileSync('mosquitto_passwd', ['-U', pw]);
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${pw}`,
      'max_connections -1',
      'persistence false',
      // As root, Mosquitto drops to the `mosquitto` user, which cannot read our 0600 files.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  let version = 'mosquitto';
  try {
    execFileSync(MOSQUITTO_BIN, ['-h'], { encoding: 'utf8' });
  } catch (err) {
    version = (err as { stdout?: string }).stdout?.split('\n')[0]?.trim() ?? version;
  }
  return {
    ...restartable('mosquitto', port, () => spawnWithFileLimit(MOSQUITTO_BIN, ['-c', conf])),
    version,
  };
}

export interface ClientWorker {
  request<T extends FromClients['cmd']>(m: ToClients, answer: T): Promise<Extract<FromClients, { cmd: T }>>;
  close(): void;
}

export function clientWorker(): ClientWorker {
  const file = fileURLToPath(new URL(`./bench-clients.${RUNNING_TS ? 'ts' : 'js'}`, import.meta.url));
  const child = fork(file, [], {
    execArgv: RUNNING_TS ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    request(m, answer) {
      return new Promise((resolve, reject) => {
        const onMessage = (r: FromClients): void => {
          if (r.cmd !== answer) return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(r as Extract<FromClients, { cmd: typeof answer }>);
        };
        const onExit = (): void => reject(new Error('client worker exited'));
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send(m);
      });
    },
    close: () => child.kill(),
  };
}
