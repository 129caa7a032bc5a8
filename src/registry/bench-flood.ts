/**
 * The unauthenticated hash flood (issue 20): `concurrency` wrong-password CONNECTs for one known
 * device id kept in flight from one address, while the real device connects from its own address
 * and we time its CONNACKs. The broker runs in this process (the registry harness, so each variant
 * can pick its options); attacker and device are client worker processes. Variants:
 * the old behaviour (scrypt hash, no limits, unbounded verifications), the new defaults with a
 * credential still under scrypt (a password a person chose), and the new defaults with sha256.
 */
import type { Attempt, Device } from './bench-clients.js';
import type { ClientWorker } from './bench-procs.js';
import type { RegistryOptions } from './index.js';
import { hashSecret } from './secrets.js';
import { openRegistryStore } from './registry-store.js';
import { startRegistryHarness } from './testing.js';

export interface FloodResult {
  variant: string;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  ok: number;
  n: number;
  /** The device's attempts without CONNACK within 10 s, and refusals by return code. */
  timeouts: number;
  refused: Record<string, number>;
  /** Attacker's CONNACK return codes (3.1.1): 4 bad password, 5 locked out, 3 connect rate per IP. */
  attacker: Record<string, number>;
}

interface Variant {
  name: string;
  flood: boolean;
  hash: 'sha256' | 'scrypt';
  registry: RegistryOptions;
}

// "before" runs last: the scrypt jobs it leaves queued on the libuv pool would starve the next
// harness's start (file reads share that pool) — the very effect the slow lane prevents.
const VARIANTS: Variant[] = [
  { name: 'no flood (baseline)', flood: false, hash: 'sha256', registry: {} },
  { name: 'after: sha256 (generated secret)', flood: true, hash: 'sha256', registry: {} },
  { name: 'after: scrypt (chosen password)', flood: true, hash: 'scrypt', registry: {} },
  {
    name: 'before: scrypt, no limits, unbounded',
    flood: true,
    hash: 'scrypt',
    registry: { authLimits: false, slowLane: { concurrency: 1e9, maxQueued: 1e9, maxWaitMs: 1e9 } },
  },
];

const sorted = (a: Attempt[]): number[] =>
  a
    .filter((x) => x.code === 0)
    .map((x) => x.ms)
    .sort((x, y) => x - y);

async function runVariant(
  v: Variant,
  o: { concurrency: number; seconds: number; attacker: ClientWorker; legit: ClientWorker },
): Promise<FloodResult> {
  const h = await startRegistryHarness({ registry: v.registry });
  try {
    const post = async (url: string, payload: object): Promise<Record<string, unknown>> => {
      const r = await h.http.inject({ method: 'POST', url: `/api/v1${url}`, headers: h.auth, payload });
      if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
      return JSON.parse(r.body) as Record<string, unknown>;
    };
    await post('/devices', { id: 'victim' });
    let secret: string;
    if (v.hash === 'sha256') secret = (await post('/devices/victim/credentials', {})).secret as string;
    else {
      secret = 'a password a person chose';
      const store = await openRegistryStore(h.db);
      await store.putCredential({
        id: 'cred_chosen',
        deviceId: 'victim',
        kind: 'password',
        username: 'victim',
        secretHash: await hashSecret(secret),
        fingerprint: null,
        createdAt: 1,
        expiresAt: null,
        revokedAt: null,
      });
    }
    const device: Device = { id: 'victim', username: 'victim', secret, local: '127.0.3.1' };
    const flood = v.flood
      ? o.attacker.request(
          {
            cmd: 'flood',
            port: h.mqttPort,
            device: { ...device, secret: 'wrong', local: '127.0.3.66' },
            concurrency: o.concurrency,
            durationMs: o.seconds * 1000 + 2000,
          },
          'flood-done',
        )
      : undefined;
    if (flood) await new Promise((r) => setTimeout(r, 1000));
    const probe = await o.legit.request(
      {
        cmd: 'probe',
        port: h.mqttPort,
        device,
        durationMs: o.seconds * 1000,
        pauseMs: 150,
        timeoutMs: 10_000,
      },
      'probe-done',
    );
    const ms = sorted(probe.attempts);
    const attacker = flood ? (await flood).codes : {};
    const refused: Record<string, number> = {};
    for (const a of probe.attempts) if (a.code > 0) refused[a.code] = (refused[a.code] ?? 0) + 1;
    return {
      variant: v.name,
      p50Ms: ms[Math.floor(ms.length / 2)] ?? NaN,
      p99Ms: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))] ?? NaN,
      maxMs: ms[ms.length - 1] ?? NaN,
      ok: ms.length,
      n: probe.attempts.length,
      timeouts: probe.attempts.filter((a) => a.code < 0).length,
      refused,
      attacker,
    };
  } finally {
    await h.close();
  }
}

export async function benchFlood(o: {
  concurrency: number;
  seconds: number;
  attacker: ClientWorker;
  legit: ClientWorker;
  print: (line: string) => void;
}): Promise<FloodResult[]> {
  o.print(
    `flood: ${o.concurrency} concurrent wrong-password CONNECTs for one device id from 127.0.3.66; ` +
      `the device connects and disconnects from 127.0.3.1 for ${o.seconds} s meanwhile, timeout 10 s ` +
      `(broker in this process, SQLite in memory; return codes are MQTT 3.1.1: 4 bad password, ` +
      `5 locked out, 3 connect rate per address, -1 no CONNACK)`,
  );
  const out: FloodResult[] = [];
  for (const v of VARIANTS) {
    const r = await runVariant(v, o);
    out.push(r);
    const codes = Object.entries(r.attacker)
      .map(([c, k]) => `${k}×rc${c}`)
      .join(' ');
    o.print(
      `  ${r.variant.padEnd(36)} device CONNACK p50 ${r.p50Ms.toFixed(0).padStart(5)} ms  p99 ${r.p99Ms
        .toFixed(0)
        .padStart(5)} ms  max ${r.maxMs.toFixed(0).padStart(5)} ms  ok ${r.ok}/${r.n}` +
        (r.timeouts ? ` (${r.timeouts} without CONNACK)` : '') +
        (Object.keys(r.refused).length ? ` refused ${JSON.stringify(r.refused)}` : '') +
        (codes ? `   attacker: ${codes}` : ''),
    );
  }
  return out;
}
