/**
 * A real HAProxy (Debian's /usr/sbin/haproxy) in front of test listeners: TCP mode, one frontend
 * per backend on a free loopback port. Skips the test without HAProxy, except under CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort } from './ports.js';

export const HAPROXY_BIN = '/usr/sbin/haproxy';

export interface HaproxyBackend {
  /** Ports of the servers behind this frontend. */
  servers: number[];
  /** `send-proxy-v2`, `send-proxy` (v1) or nothing. */
  proxy?: 'v1' | 'v2';
  /** Source address HAProxy connects to the servers from (e.g. 127.0.0.5). */
  source?: string;
  /** Health-check the servers (TCP connect every 500 ms, down after 2 failures) and redispatch. */
  check?: boolean;
  /** Ports of servers used only while every one of `servers` is down (HAProxy `backup`). */
  backup?: number[];
}

export interface Haproxy {
  /** Frontend port per backend, in order. */
  ports: number[];
  stop(): Promise<void>;
}

/** true when HAProxy is installed; otherwise skips (or, under CI=true, fails) the test. */
export function requireHaproxy(t: TestContext): boolean {
  if (existsSync(HAPROXY_BIN)) return true;
  if (process.env.CI === 'true')
    throw new Error(`${HAPROXY_BIN} missing (CI=true: install the haproxy package)`);
  t.skip(`${HAPROXY_BIN} not installed`);
  return false;
}

export async function startHaproxy(backends: HaproxyBackend[]): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-haproxy-'));
  const ports = await Promise.all(backends.map(() => freePort()));
  const lines = [
    'global',
    '  maxconn 4000',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 1h',
    '  timeout server 1h',
  ];
  backends.forEach((b, i) => {
    lines.push(
      `frontend f${i}`,
      `  bind 127.0.0.1:${ports[i]}`,
      `  default_backend b${i}`,
      `backend b${i}`,
      '  balance roundrobin',
    );
    if (b.check) lines.push('  option redispatch', '  retries 2');
    const opts = [
      b.proxy === 'v2' ? 'send-proxy-v2' : b.proxy === 'v1' ? 'send-proxy' : '',
      b.source ? `source ${b.source}` : '',
      b.check ? 'check inter 500 fall 2 rise 2' : '',
    ].join(' ');
    b.servers.forEach((p, j) => lines.push(`  server s${j} 127.0.0.1:${p} ${opts}`));
    (b.backup ?? []).forEach((p, j) => lines.push(`  server b${j} 127.0.0.1:${p} ${opts} backup`));
  });
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, lines.join('\n') + '\n');
  const child: ChildProcess = spawn(HAPROXY_BIN, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // Ready when every frontend accepts a connection.
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    ports,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
