/**
 * `tsunagu bench codec`: how fast mqtt-packet parses and generates a 16-byte QoS 0 PUBLISH, the
 * packet that dominates broker traffic. Each case runs for a fixed time, three rounds; the best round
 * is reported (the machine is shared, the best round is the least disturbed one).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { generate, parser as createParser, type IPublishPacket } from 'mqtt-packet';
import { PacketScanner, publishLayout } from './raw-client.js';

export interface CodecCase {
  name: string;
  /** Packets per second, best round. */
  rate: number;
  rounds: number[];
}

export interface CodecBenchResults {
  mqttPacketVersion: string;
  packetBytes: number;
  cases: CodecCase[];
}

const PUBLISH: IPublishPacket = {
  cmd: 'publish',
  topic: 'bench/codec/device-0001',
  payload: Buffer.alloc(16, 7),
  qos: 0,
  dup: false,
  retain: false,
};

/** Run `step` (which handles `perStep` packets) repeatedly for `ms`; packets per second. */
function measure(ms: number, perStep: number, step: () => void): number {
  let packets = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 64; i++) step();
    packets += 64 * perStep;
    now = process.hrtime.bigint();
  }
  return packets / (Number(now - start) / 1e9);
}

export function runCodecBench(opts: { ms?: number; rounds?: number } = {}): CodecBenchResults {
  const ms = opts.ms ?? 1000;
  const roundsN = opts.rounds ?? 3;
  const bytes = generate(PUBLISH);
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => bytes));

  let parsed = 0;
  const parser = createParser({ protocolVersion: 4 });
  parser.on('packet', () => {
    parsed++;
  });

  let framed = 0;
  const scanner = new PacketScanner((p) => {
    framed += publishLayout(p).payloadAt;
  });

  const cases: { name: string; perStep: number; step: () => void }[] = [
    { name: 'generate (mqtt-packet generate)', perStep: 1, step: () => void generate(PUBLISH) },
    { name: 'parse, one packet per chunk', perStep: 1, step: () => void parser.parse(bytes) },
    { name: 'parse, 1,000 packets per chunk', perStep: 1000, step: () => void parser.parse(batch) },
    // For scale, not a codec: the benchmark's own client only frames packets and finds the payload
    // (no topic string, no packet object), the least a broker's PUBLISH path could do.
    { name: 'frame only (bench PacketScanner)', perStep: 1000, step: () => scanner.push(batch) },
  ];
  const results: CodecCase[] = [];
  for (const c of cases) {
    measure(Math.min(200, ms), c.perStep, c.step); // warm-up
    const rounds = Array.from({ length: roundsN }, () => measure(ms, c.perStep, c.step));
    results.push({ name: c.name, rate: Math.max(...rounds), rounds });
  }
  if (parsed === 0 || framed === 0) throw new Error('the parser emitted no packets');
  const require = createRequire(import.meta.url);
  const pkg = JSON.parse(readFileSync(require.resolve('mqtt-packet/package.json'), 'utf8')) as {
    version: string;
  };
  return { mqttPacketVersion: pkg.version, packetBytes: bytes.length, cases: results };
}

export function formatCodecReport(r: CodecBenchResults): string {
  const lines = r.cases.map(
    (c) =>
      `| ${c.name.padEnd(32)} | ${Math.round(c.rate).toLocaleString('en-US').padStart(12)} | ${(1e9 / c.rate).toFixed(0).padStart(6)} |`,
  );
  return [
    `mqtt-packet ${r.mqttPacketVersion}, QoS 0 PUBLISH of ${r.packetBytes} bytes (16-byte payload), node ${process.version}`,
    '',
    `| ${'case'.padEnd(32)} | ${'packets/s'.padStart(12)} | ${'ns/pkt'.padStart(6)} |`,
    `|${'-'.repeat(34)}|${'-'.repeat(13)}:|${'-'.repeat(7)}:|`,
    ...lines,
    '',
  ].join('\n');
}

export async function runCodecBenchCli(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ms: { type: 'string' }, rounds: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('usage: tsunagu bench codec [--ms 1000] [--rounds 3]\n');
    return;
  }
  const r = runCodecBench({
    ...(values.ms ? { ms: Number(values.ms) } : {}),
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
  });
  process.stdout.write(formatCodecReport(r));
}
