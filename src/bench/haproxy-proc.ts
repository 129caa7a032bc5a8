/**
 * A real HAProxy in front of cluster nodes for `tsunagu bench cluster --only kill`, configured as
 * deploy/haproxy.cfg is: TCP, `send-proxy-v2`, `balance leastconn`, `option redispatch`, and a
 * node taken out when `GET /readyz` on its HTTP port is not 200 (checked every 500 ms here, down
 * after 2 failures). Besides the balanced frontend, one frontend per node (same options) lets a
 * watcher reach one chosen node: the nodes run `--proxy-protocol` and refuse direct connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './cluster-nodes.js';

export const HAPROXY_BIN = '/usr/sbin/haproxy';

export interface HaproxyServer {
  mqttPort: number;
  httpPort: number;
}

export interface BenchHaproxy {
  /** The balanced frontend's port. */
  port: number;
  /** One frontend per server, in order. */
  perServer: number[];
  stop(): Promise<void>;
}

export function haproxyConfig(
  servers: HaproxyServer[],
  ports: { balanced: number; perServer: number[] },
  maxconn: number,
): string {
  const server = (s: HaproxyServer, i: number): string =>
    `  server n${i} 127.0.0.1:${s.mqttPort} send-proxy-v2 check port ${s.httpPort} inter 500 fall 2 rise 2`;
  const backend = (name: string, list: string[]): string[] => [
    `backend ${name}`,
    '  balance leastconn',
    '  option redispatch',
    '  retries 2',
    '  option httpchk',
    '  http-check send meth GET uri /readyz',
    '  http-check expect status 200',
    ...list,
  ];
  const lines = [
    'global',
    `  maxconn ${maxconn}`,
    'defaults',
    `  maxconn ${maxconn}`,
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 1h',
    '  timeout server 1h',
    'frontend balanced',
    `  bind 127.0.0.1:${ports.balanced}`,
    '  default_backend balanced',
    ...backend('balanced', servers.map(server)),
  ];
  servers.forEach((s, i) =>
    lines.push(
      `frontend one${i}`,
      `  bind 127.0.0.1:${ports.perServer[i]}`,
      `  default_backend one${i}`,
      ...backend(`one${i}`, [server(s, i)]),
    ),
  );
  return lines.join('\n') + '\n';
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Start HAProxy (as root it raises its own descriptor limit to fit `maxconn`). */
export async function startBenchHaproxy(servers: HaproxyServer[], maxconn: number): Promise<BenchHaproxy> {
  if (!existsSync(HAPROXY_BIN)) throw new Error(`${HAPROXY_BIN} is not installed (apt-get install haproxy)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-haproxy-'));
  const balanced = await freePort();
  const perServer: number[] = [];
  for (const _s of servers) perServer.push(await freePort());
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(servers, { balanced, perServer }, maxconn));
  const child: ChildProcess = spawn(HAPROXY_BIN, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 10_000;
  for (const port of [balanced, ...perServer]) {
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`haproxy did not listen on ${port}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port: balanced,
    perServer,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
