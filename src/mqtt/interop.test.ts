// Interoperability over loopback TCP: mqtt.js (protocol 4 and 5) and Debian's mosquitto_pub/sub.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import mqtt from 'mqtt';
import { delay, startTestBroker, type TestBroker } from './test-helpers.js';

function run(
  cmd: string,
  args: string[],
  timeoutMs = 5000,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await delay(10);
  }
}

describe('interop', () => {
  for (const [subV, pubV] of [
    ['mqttv311', 'mqttv5'],
    ['mqttv5', 'mqttv311'],
  ] as const) {
    test(`mosquitto_sub -V ${subV} receives QoS 1/2 from mosquitto_pub -V ${pubV}`, async (t) => {
      const tb: TestBroker = await startTestBroker();
      t.after(() => tb.close());
      const sub = run('mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(tb.port),
        '-V',
        subV,
        '-q',
        '2',
        '-t',
        'm/#',
        '-C',
        '2',
        '-v',
        '-i',
        'msub',
      ]);
      await waitFor(() => tb.broker.stats().subscriptionsCount === 1);
      for (const [q, msg] of [
        ['1', 'one'],
        ['2', 'two'],
      ] as const) {
        const r = await run('mosquitto_pub', [
          '-h',
          '127.0.0.1',
          '-p',
          String(tb.port),
          '-V',
          pubV,
          '-q',
          q,
          '-t',
          `m/${q}`,
          '-m',
          msg,
        ]);
        assert.equal(r.code, 0);
      }
      const out = await sub;
      assert.equal(out.code, 0);
      assert.deepEqual(out.stdout.trim().split('\n'), ['m/1 one', 'm/2 two']);
    });
  }

  test('mosquitto_sub gets a retained message with the retain flag; an empty retained publish clears it', async (t) => {
    const tb = await startTestBroker();
    t.after(() => tb.close());
    const port = String(tb.port);
    await run('mosquitto_pub', ['-p', port, '-V', 'mqttv5', '-r', '-t', 'ret/x', '-m', 'kept']);
    const got = await run('mosquitto_sub', [
      '-p',
      port,
      '-V',
      'mqttv311',
      '-t',
      'ret/#',
      '-C',
      '1',
      '-F',
      '%r %t %p',
    ]);
    assert.equal(got.stdout.trim(), '1 ret/x kept');
    await run('mosquitto_pub', ['-p', port, '-r', '-t', 'ret/x', '-n']);
    assert.equal(tb.broker.stats().retainedCount, 0);
  });

  test('mqtt.js v5: request/response properties, user properties and subscription identifiers', async (t) => {
    const tb = await startTestBroker();
    t.after(() => tb.close());
    const responder = await mqtt.connectAsync(tb.url, { protocolVersion: 5, clientId: 'responder' });
    const requester = await mqtt.connectAsync(tb.url, { protocolVersion: 5, clientId: 'requester' });
    t.after(async () => {
      await responder.endAsync();
      await requester.endAsync();
    });
    await responder.subscribeAsync('req/+', { qos: 1, properties: { subscriptionIdentifier: 42 } });
    await requester.subscribeAsync('resp/requester', { qos: 1 });
    responder.on('message', (_topic, payload, packet) => {
      assert.equal(packet.properties?.subscriptionIdentifier, 42);
      responder
        .publishAsync(packet.properties.responseTopic!, `echo ${payload.toString()}`, {
          qos: 1,
          properties: {
            correlationData: packet.properties.correlationData!,
            userProperties: packet.properties.userProperties!,
          },
        })
        .catch(() => undefined); // the reply may be cut off when the test closes the clients
    });
    const reply = new Promise<{ payload: string; corr: string; user: unknown }>((resolve) =>
      requester.on('message', (_t, payload, packet) =>
        resolve({
          payload: payload.toString(),
          corr: packet.properties!.correlationData!.toString(),
          user: { ...packet.properties!.userProperties },
        }),
      ),
    );
    await requester.publishAsync('req/lock', 'hi', {
      qos: 1,
      properties: {
        responseTopic: 'resp/requester',
        correlationData: Buffer.from('c-1'),
        userProperties: { trace: 't1' },
      },
    });
    assert.deepEqual(await reply, { payload: 'echo hi', corr: 'c-1', user: { trace: 't1' } });
  });

  test('mqtt.js v4: will published when the socket dies; persistent session resumes', async (t) => {
    const tb = await startTestBroker();
    t.after(() => tb.close());
    const watcher = await mqtt.connectAsync(tb.url, { protocolVersion: 4, clientId: 'watcher' });
    t.after(() => watcher.endAsync());
    await watcher.subscribeAsync('status/#', { qos: 1 });
    const will = new Promise<string>((resolve) =>
      watcher.on('message', (topic, p) => resolve(`${topic}=${p.toString()}`)),
    );
    const dev = await mqtt.connectAsync(tb.url, {
      protocolVersion: 4,
      clientId: 'dev1',
      clean: false,
      will: { topic: 'status/dev1', payload: Buffer.from('offline'), qos: 1, retain: false },
    });
    (dev as unknown as { stream: { destroy(): void } }).stream.destroy();
    assert.equal(await will, 'status/dev1=offline');
    dev.end(true);
    const again = await mqtt.connectAsync(tb.url, {
      protocolVersion: 4,
      clientId: 'dev1',
      clean: false,
      reconnectPeriod: 0,
    });
    t.after(() => again.endAsync());
    assert.equal(again.connected, true);
    assert.equal(tb.broker.clientInfo('dev1')?.cleanStart, false);
  });
});
