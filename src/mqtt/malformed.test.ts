/**
 * Malformed and forbidden packets over a real TCP socket (issue 12): each is refused — MQTT 5 with
 * DISCONNECT (or CONNACK) and the spec's reason code, 3.1.1 by closing the connection — and never
 * acknowledged. Each row cites the clause it checks; docs/mqtt.md "Conformance" lists them.
 */
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
import { AFTER_CONNECT, CONNECTS } from './malformed-cases.js';
import { startTestBroker, type TestBroker } from './test-helpers.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Open a socket, optionally CONNECT first, send `bytes`; resolve with what came back until close. */
function exchange(tb: TestBroker, version: 4 | 5, bytes: Buffer, connectFirst: boolean): Promise<Packet[]> {
  return new Promise((resolve, reject) => {
    const got: Packet[] = [];
    const parser = createParser({ protocolVersion: version });
    parser.on('packet', (p: Packet) => got.push(p));
    const s = netConnect(tb.port, '127.0.0.1');
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connection not closed; got ${got.map((p) => p.cmd).join(',')}`));
    }, 3000);
    s.on('data', (d) => {
      parser.parse(d);
      if (connectFirst && got.length === 1 && got[0]!.cmd === 'connack') s.write(bytes);
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(connectFirst ? got.slice(1) : got);
    });
    s.on('connect', () =>
      s.write(
        connectFirst
          ? generate(
              {
                cmd: 'connect',
                protocolId: 'MQTT',
                protocolVersion: version,
                clientId: '',
                clean: true,
                keepalive: 0,
              },
              { protocolVersion: version },
            )
          : bytes,
      ),
    );
  });
}

describe('malformed and forbidden packets are refused (raw TCP)', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startTestBroker({ limits: { topicAliasMaximum: 10 } });
  });
  after(() => tb.close());

  for (const r of AFTER_CONNECT) {
    if (r.v4)
      test(`[${r.clause}] 3.1.1: ${r.what} closes the connection, nothing acknowledged`, async () => {
        assert.deepEqual(await exchange(tb, 4, hex(r.v4!), true), []);
      });
    if (r.v5)
      test(`[${r.clause}] MQTT 5: ${r.what} gets DISCONNECT 0x${r.rc5!.toString(16)}`, async () => {
        const got = await exchange(tb, 5, hex(r.v5!), true);
        assert.deepEqual(
          got.map((p) => `${p.cmd}:${(p as { reasonCode?: number }).reasonCode}`),
          [`disconnect:${r.rc5}`],
        );
      });
  }

  for (const r of CONNECTS) {
    if (r.v4)
      test(`[${r.clause}] 3.1.1 CONNECT: ${r.what} closes without CONNACK`, async () => {
        assert.deepEqual(await exchange(tb, 4, hex(r.v4!), false), []);
      });
    if (r.v5)
      test(`[${r.clause}] MQTT 5 CONNECT: ${r.what} is refused${r.rc5 ? ` with CONNACK 0x${r.rc5.toString(16)}` : ''}`, async () => {
        const got = await exchange(tb, 5, hex(r.v5!), false);
        // Malformed bytes end the connection at once; a parsed but invalid CONNECT gets CONNACK.
        const expected = r.rc5 === undefined ? [] : [`connack:${r.rc5}`];
        assert.deepEqual(
          got.map((p) => `${p.cmd}:${(p as { reasonCode?: number }).reasonCode}`),
          expected,
        );
      });
  }

  test('[MQTT-3.1.2-1] 3.1.1 CONNECT: protocol name MQIsdp with level 4 gets CONNACK 0x01', async () => {
    const got = await exchange(tb, 4, hex(`10 0f 00064d5149736470 04 02 0000 0001 61`), false);
    assert.deepEqual(
      got.map((p) => `${p.cmd}:${(p as { returnCode?: number }).returnCode}`),
      ['connack:1'],
    );
  });

  test('the broker still serves well-formed clients afterwards', async () => {
    assert.deepEqual(await exchange(tb, 4, hex('e0 00'), true), []);
    assert.equal(tb.broker.stats().clientsConnected, 0);
  });
});
