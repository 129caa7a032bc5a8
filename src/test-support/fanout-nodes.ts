/**
 * `tsunagu start --cluster` child processes (the real CLI) on loopback for the cross-node fan-out
 * tests and benchmark: one PostgreSQL schema, a NATS subject of their own, anonymous MQTT.
 * Started one after the other (first-time migrations on a fresh schema must not race).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatformProcess, type PlatformProcess } from './cli-process.js';
import { freePort } from './ports.js';
import { NATS_URL, PG_URL } from './services.js';

export interface FanOutNode {
  nodeId: string;
  proc: PlatformProcess;
  mqttPort: number;
  httpPort: number;
  /** A gauge from /metrics (NaN when absent). */
  gauge(name: string): Promise<number>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFanOutNode(
  nodeId: string,
  o: { schema: string; subject: string; extraArgs?: string[] },
): Promise<FanOutNode> {
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
    '--allow-anonymous',
    ...(o.extraArgs ?? []),
  ]);
  void proc.exited.then(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = `http://127.0.0.1:${httpPort}`;
  const node: FanOutNode = {
    nodeId,
    proc,
    mqttPort,
    httpPort,
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
  for (let i = 0; ; i++) {
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return node;
    if (proc.child.exitCode !== null) assert.fail(`${nodeId} exited: ${proc.output()}`);
    if (i > 1200) assert.fail(`${nodeId} not ready after 2 minutes: ${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
