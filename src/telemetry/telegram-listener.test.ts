/** The raw TCP telegram listener over real loopback sockets (net.connect). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { crc16Ccitt } from './decoders/index.js';
import { parseDecodersYaml } from './decoder-yaml.js';
import { startHarness, type Harness } from './test-harness.js';
import type { TelemetryOptions } from './index.js';

const SCOOTER = parseDecodersYaml(
  readFileSync(new URL('./fixtures/scooter-telegram.yaml', import.meta.url), 'utf8'),
)[0]!;
const telegram = (soc: number): string => {
  const body = `0,0.0,0,0.0,,,,,0000,0000,16B0,02092053,26&${soc},2,41,0,54095,4053,89,0,0,1,,0.0&0.00&0,100`;
  return `${body},${crc16Ccitt(Buffer.from(body)).toString(16).padStart(4, '0')}`;
};

async function setup(
  opts: { anonymous?: boolean; options?: TelemetryOptions } = {},
): Promise<Harness & { port: number }> {
  const h = await startHarness({
    config: { telegramPort: 0, allowAnonymous: opts.anonymous ?? false },
    options: {
      verifyDeviceSecret: async (id, secret) => secret === `secret-of-${id}`,
      maxTelegramBytes: 512,
      ...opts.options,
    },
  });
  await h.telemetry.decoders.put(SCOOTER, 'create');
  await h.telemetry.decoders.put(
    {
      id: 'anon',
      type: 'csv',
      spec: { deviceIdField: 0, fields: [{ index: 1, name: 'temp', type: 'float' }] },
    },
    'create',
  );
  h.directory.addModel('scooter', 'scooter-telegram-v1');
  h.directory.addModel('sensor', 'anon');
  h.directory.addDevice('sc-1', 'scooter');
  h.directory.addDevice('s-1', 'sensor');
  h.directory.addDevice('s-2', 'sensor');
  const ports = await h.telemetry.listen!('127.0.0.1');
  return Object.assign(h, { port: ports.telegram! });
}

/** Connect, send chunks (with a pause between them so they arrive as separate reads), collect the reply text. */
function converse(port: number, chunks: (string | Buffer)[]): { reply: Promise<string>; socket: net.Socket } {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  const reply = new Promise<string>((resolve, reject) => {
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
  void (async () => {
    await new Promise((r) => socket.once('connect', r));
    for (const c of chunks) {
      socket.write(c);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return { reply, socket };
}

async function until(what: string, fn: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const socValues = async (h: Harness, deviceId: string): Promise<number[]> =>
  (
    await h.telemetry.store.queryPoints({
      deviceId,
      metric: 'battery.soc',
      from: 0,
      to: h.clock.now() + 1000,
      limit: 1000,
    })
  ).map((p) => p.value);

test('HELLO with the right secret, then telegrams split across chunks at arbitrary places', async (t) => {
  const h = await setup();
  t.after(() => h.close());
  const lines = [telegram(90), telegram(91), telegram(92)].join('\r\n') + '\n';
  const c = converse(h.port, [
    'HEL',
    'LO sc-1 secret-of-sc-1\n',
    lines.slice(0, 7),
    lines.slice(7, 100),
    lines.slice(100),
  ]);
  await until('three telegrams', async () => (await socValues(h, 'sc-1')).length === 3);
  assert.deepEqual((await socValues(h, 'sc-1')).sort(), [90, 91, 92]);
  c.socket.end();
  assert.equal(await c.reply, 'OK\n');
});

test('a wrong secret is refused and the connection closed; nothing is stored', async (t) => {
  const h = await setup();
  t.after(() => h.close());
  const c = converse(h.port, ['HELLO sc-1 guess\n', telegram(50) + '\n']);
  assert.equal(await c.reply, 'ERR not authorized\n');
  assert.deepEqual(await socValues(h, 'sc-1'), []);
});

test('without a verifier HELLO is refused; without anonymous mode a telegram needs HELLO first', async (t) => {
  const h = await setup({ options: { verifyDeviceSecret: undefined } });
  t.after(() => h.close());
  assert.match(
    await converse(h.port, ['HELLO sc-1 secret-of-sc-1\n']).reply,
    /^ERR HELLO is not accepted: no device secret verifier/,
  );
  assert.match(
    await converse(h.port, [telegram(1) + '\n']).reply,
    /^ERR send "HELLO <deviceId> <secret>" first/,
  );
});

test('anonymous mode: each telegram names its device in the configured field', async (t) => {
  const h = await setup({ anonymous: true, options: { telegramDeviceIdField: 0 } });
  t.after(() => h.close());
  const c = converse(h.port, ['s-1,20.5\ns-2,19.0\n', ',7\n']);
  const temps = async (id: string) =>
    (
      await h.telemetry.store.queryPoints({
        deviceId: id,
        metric: 'temp',
        from: 0,
        to: h.clock.now() + 1000,
        limit: 10,
      })
    ).map((p) => p.value);
  await until(
    'both devices',
    async () => (await temps('s-1')).length === 1 && (await temps('s-2')).length === 1,
  );
  assert.deepEqual([await temps('s-1'), await temps('s-2')], [[20.5], [19]]);
  await until(
    'decode_error for the line without an id',
    async () =>
      (
        await h.telemetry.store.queryEvents({
          deviceId: 'unknown',
          from: 0,
          to: h.clock.now() + 1000,
          limit: 10,
        })
      ).length === 1,
  );
  c.socket.end();
  await c.reply;
});

test('an oversized line and binary junk cost only themselves: decode_error each, good telegrams around them kept', async (t) => {
  const h = await setup();
  t.after(() => h.close());
  const huge = 'x'.repeat(300);
  const c = converse(h.port, [
    'HELLO sc-1 secret-of-sc-1\n',
    telegram(10) + '\n' + huge,
    huge + huge + '\n',
    Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x0a]),
    telegram(11) + '\n',
  ]);
  await until('two telegrams and two errors', async () => {
    const errs = await h.telemetry.store.queryEvents({
      deviceId: 'sc-1',
      from: 0,
      to: h.clock.now() + 1000,
      code: 'decode_error',
      limit: 10,
    });
    return (await socValues(h, 'sc-1')).length === 2 && errs.length === 2;
  });
  const errs = await h.telemetry.store.queryEvents({
    deviceId: 'sc-1',
    from: 0,
    to: h.clock.now() + 1000,
    code: 'decode_error',
    limit: 10,
  });
  const reasons = errs.map((e) => String(e.fields!.reason));
  assert.ok(
    reasons.some((r) => /binary or control bytes/.test(r)),
    reasons.join(' | '),
  );
  assert.ok(
    reasons.some((r) => /line of 900 bytes exceeds the 512-byte limit/.test(r)),
    reasons.join(' | '),
  );
  assert.equal(
    Buffer.from(String(errs.find((e) => /exceeds/.test(String(e.fields!.reason)))!.fields!.payload), 'base64')
      .length,
    512,
  );
  assert.deepEqual((await socValues(h, 'sc-1')).sort(), [10, 11]);
  c.socket.end();
  assert.equal(await c.reply, 'OK\n');
});

test('reading pauses while the store is behind and resumes: every telegram of a burst arrives', async (t) => {
  const h = await setup({ options: { queue: { highWater: 5, maxBatchPoints: 40, flushDelayMs: 1 } } });
  t.after(() => h.close());
  const burst = Array.from({ length: 150 }, (_, i) => telegram(i % 100) + '\n').join('');
  const c = converse(h.port, ['HELLO sc-1 secret-of-sc-1\n', burst]);
  const speeds = async () =>
    (
      await h.telemetry.store.queryPoints({
        deviceId: 'sc-1',
        metric: 'speed',
        from: 0,
        to: h.clock.now() + 1000,
        limit: 1000,
      })
    ).length;
  await until('150 telegrams', async () => (await speeds()) === 150);
  assert.equal(await messagesCount(h), 150);
  c.socket.end();
  await c.reply;
});

async function messagesCount(h: Harness): Promise<number> {
  const m = await h.metrics.getSingleMetric('tsunagu_telemetry_messages_total')!.get();
  return m.values
    .filter((v) => v.labels.kind === 'telemetry' && v.labels.decoded === 'true')
    .reduce((a, v) => a + v.value, 0);
}

test('a taken port fails with a message naming the flag', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as net.AddressInfo).port;
  const h = await startHarness({ config: { telegramPort: port } });
  t.after(() => h.close());
  await assert.rejects(
    h.telemetry.listen!('127.0.0.1'),
    new RegExp(
      `port ${port} \\(telegram listener\\) is already in use; choose another with --telegram-port or TSUNAGU_TELEGRAM_PORT`,
    ),
  );
});
