// CONNECT/CONNACK, ordering rules, keep-alive, takeover — raw packets over in-memory streams.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import net from 'node:net';
import { generate, type IConnackPacket, type IDisconnectPacket } from 'mqtt-packet';
import { ManualClock, type DisconnectReason } from '../core/index.js';
import { RawClient, startTestBroker } from './test-helpers.js';

const connack = (p: unknown): IConnackPacket => p as IConnackPacket;

describe('CONNECT', () => {
  test('[MQTT-3.1.0-1] a first packet other than CONNECT closes the connection', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const c = new RawClient(tb.broker, 4);
    c.send({ cmd: 'pingreq' });
    await c.waitClosed();
    assert.equal(c.packets.length, 0);
  });

  test('[MQTT-3.1.0-2] a second CONNECT is a protocol error (MQTT 5 DISCONNECT 0x82)', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const reasons: DisconnectReason[] = [];
    tb.broker.setHooks({ onDisconnect: (_c, r) => reasons.push(r) });
    const c = new RawClient(tb.broker, 5);
    assert.equal(connack(await c.connect('twice')).reasonCode, 0);
    c.send({
      cmd: 'connect',
      protocolVersion: 5,
      protocolId: 'MQTT',
      clientId: 'twice',
      clean: true,
      keepalive: 0,
    });
    const d = (await c.next('disconnect')) as IDisconnectPacket;
    assert.equal(d.reasonCode, 0x82);
    assert.equal(d.properties?.reasonString, 'second CONNECT'); // reason strings on server DISCONNECT
    await c.waitClosed();
    assert.deepEqual(reasons, ['protocol_error']);
  });

  test('[MQTT-3.1.2-2] unsupported protocol level gets CONNACK 0x01', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const c = new RawClient(tb.broker, 4);
    // CONNECT with protocol level 9.
    c.sendRaw(
      Buffer.from([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x09, 0x02, 0x00, 0x00, 0x00, 0x01, 0x61]),
    );
    const ack = connack(await c.next('connack'));
    assert.equal(ack.returnCode, 0x01);
    await c.waitClosed();
  });

  test('malformed packet: MQTT 5 gets DISCONNECT 0x81, other clients unaffected', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const bad = new RawClient(tb.broker, 5);
    const good = new RawClient(tb.broker, 5);
    await bad.connect('bad');
    await good.connect('good');
    bad.sendRaw(Buffer.from([0x36, 0x00])); // PUBLISH with both QoS bits set [MQTT-3.3.1-4]
    assert.equal(((await bad.next('disconnect')) as IDisconnectPacket).reasonCode, 0x81);
    await bad.waitClosed();
    good.send({ cmd: 'pingreq' });
    await good.next('pingresp');
    assert.equal(tb.broker.isConnected('good'), true);
  });

  test('zero-length client id: 3.1.1 clean=false refused 0x02 [MQTT-3.1.3-8], clean=true assigned [MQTT-3.1.3-6]', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const a = new RawClient(tb.broker, 4);
    // CONNECT, level 4, flags 0 (clean session false), keep-alive 0, empty client id.
    a.sendRaw(
      Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00]),
    );
    assert.equal(connack(await a.next('connack')).returnCode, 0x02);
    await a.waitClosed();
    const b = new RawClient(tb.broker, 4);
    assert.equal(connack(await b.connect('', { clean: true })).returnCode, 0);
    assert.equal(tb.broker.stats().clientsConnected, 1);
  });

  test('MQTT 5 zero-length client id gets an Assigned Client Identifier', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const c = new RawClient(tb.broker, 5);
    const ack = connack(await c.connect(''));
    const id = ack.properties?.assignedClientIdentifier;
    assert.ok(id && id.length > 0);
    assert.equal(tb.broker.isConnected(id), true);
  });

  test('anonymous refused unless allowAnonymous: 3.1.1 0x05 / MQTT 5 0x87; hook sees not_authorized + refused', async (t) => {
    const tb = await startTestBroker({ listen: false, allowAnonymous: false });
    t.after(() => tb.close());
    const seen: unknown[] = [];
    tb.broker.setHooks({ onDisconnect: (c, r, d) => seen.push([c.clientId, r, d?.refused]) });
    const a = new RawClient(tb.broker, 4);
    assert.equal(connack(await a.connect('a')).returnCode, 0x05);
    const b = new RawClient(tb.broker, 5);
    assert.equal(connack(await b.connect('b')).reasonCode, 0x87);
    assert.deepEqual(seen, [
      ['a', 'not_authorized', true],
      ['b', 'not_authorized', true],
    ]);
  });

  test('authenticate hook (async): 0x86 maps to 3.1.1 0x04; packets after CONNECT wait for the result', async (t) => {
    const tb = await startTestBroker({ listen: false, allowAnonymous: false });
    t.after(() => tb.close());
    tb.broker.setHooks({
      authenticate: async (_c, user, pass) =>
        user === 'u' && pass?.toString() === 'p' ? { ok: true } : { ok: false, reasonCode: 0x86 },
    });
    const bad = new RawClient(tb.broker, 4);
    assert.equal(
      connack(await bad.connect('x', { username: 'u', password: Buffer.from('nope') })).returnCode,
      0x04,
    );
    const good = new RawClient(tb.broker, 4);
    good.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'y',
      clean: true,
      keepalive: 0,
      username: 'u',
      password: Buffer.from('p'),
    });
    good.send({ cmd: 'pingreq' });
    await good.next('pingresp');
    assert.equal(good.packets.length, 1); // the CONNACK, received before the PINGRESP
    assert.equal(connack(await good.next('connack')).returnCode, 0);
  });

  test('setHooks merges: later partial hooks keep earlier ones', async (t) => {
    const tb = await startTestBroker({ listen: false, allowAnonymous: false });
    t.after(() => tb.close());
    const connected: string[] = [];
    tb.broker.setHooks({ authenticate: () => ({ ok: true }) });
    tb.broker.setHooks({ onConnect: (c) => connected.push(c.clientId) });
    const c = new RawClient(tb.broker, 4);
    assert.equal(connack(await c.connect('merged')).returnCode, 0);
    assert.deepEqual(connected, ['merged']);
  });

  test('[MQTT-3.1.2-24] keep-alive: closed after 1.5x without packets; MQTT 5 DISCONNECT 0x8D', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ listen: false, clock });
    t.after(() => tb.close());
    const reasons: DisconnectReason[] = [];
    tb.broker.setHooks({ onDisconnect: (_c, r) => reasons.push(r) });
    const c = new RawClient(tb.broker, 5);
    await c.connect('ka', { keepalive: 10 });
    clock.advance(14_000);
    assert.equal(tb.broker.isConnected('ka'), true);
    c.send({ cmd: 'pingreq' });
    await c.next('pingresp');
    clock.advance(14_000);
    assert.equal(tb.broker.isConnected('ka'), true, 'the PINGREQ reset the timer');
    clock.advance(2_000);
    assert.equal(((await c.next('disconnect')) as IDisconnectPacket).reasonCode, 0x8d);
    assert.deepEqual(reasons, ['keepalive_timeout']);
  });

  test('a CONNECT that arrived in time but was not read yet (busy broker) is not cut off by the connect timeout', async (t) => {
    const clock = new ManualClock();
    const tb = await startTestBroker({ clock });
    t.after(() => tb.close());
    const socket = net.connect({ host: '127.0.0.1', port: tb.port });
    t.after(() => socket.destroy());
    await new Promise((r) => socket.once('connect', r));
    while ([...tb.broker.connections()].length === 0) await new Promise((r) => setImmediate(r));
    const answer = new Promise<Buffer>((resolve) => {
      socket.once('data', resolve);
      socket.once('close', () => resolve(Buffer.alloc(0)));
    });
    // The CONNECT is in the broker's socket buffer, unread, when the sweep (a timer, as in
    // production) finds the socket silent for longer than the connect timeout — as under a
    // reconnect storm's event-loop lag.
    setTimeout(() => {
      socket.write(
        generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          keepalive: 0,
          clientId: 'late',
        }),
      );
      clock.advance(11_000);
    }, 0);
    const connack = await answer;
    assert.equal(connack[0], 0x20, 'CONNACK (not a closed socket)');
    assert.equal(connack[3], 0, 'accepted');
    assert.equal(tb.broker.isConnected('late'), true);
  });

  test('server keep-alive (limits.maxKeepalive) is sent to MQTT 5 clients', async (t) => {
    const tb = await startTestBroker({ listen: false, limits: { maxKeepalive: 30 } });
    t.after(() => tb.close());
    const c = new RawClient(tb.broker, 5);
    const ack = connack(await c.connect('ska', { keepalive: 0 }));
    assert.equal(ack.properties?.serverKeepAlive, 30);
    assert.equal(tb.broker.clientInfo('ska')?.keepalive, 30);
  });

  test('[MQTT-3.1.4-3] takeover: the first connection gets DISCONNECT 0x8E, reason takeover', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const reasons: string[] = [];
    tb.broker.setHooks({ onDisconnect: (c, r) => reasons.push(`${c.clientId}:${r}`) });
    const first = new RawClient(tb.broker, 5);
    await first.connect('dup');
    const second = new RawClient(tb.broker, 5);
    assert.equal(connack(await second.connect('dup')).reasonCode, 0);
    assert.equal(((await first.next('disconnect')) as IDisconnectPacket).reasonCode, 0x8e);
    await first.waitClosed();
    assert.deepEqual(reasons, ['dup:takeover']);
    assert.equal(tb.broker.isConnected('dup'), true);
  });

  test('session present flag: clean=false resumes [MQTT-3.2.2-2], clean=true does not [MQTT-3.2.2-1]', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const a = new RawClient(tb.broker, 4);
    assert.equal(connack(await a.connect('p', { clean: false })).sessionPresent, false);
    a.end();
    await a.waitClosed();
    const b = new RawClient(tb.broker, 4);
    assert.equal(connack(await b.connect('p', { clean: false })).sessionPresent, true);
    b.end();
    const c = new RawClient(tb.broker, 4);
    assert.equal(connack(await c.connect('p', { clean: true })).sessionPresent, false);
  });

  test('onConnect/onDisconnect: client DISCONNECT gives client_disconnect, socket loss socket_error', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const events: string[] = [];
    tb.broker.setHooks({
      onConnect: (c) => events.push(`up:${c.clientId}`),
      onDisconnect: (c, r) => events.push(`down:${c.clientId}:${r}`),
    });
    const a = new RawClient(tb.broker, 4);
    await a.connect('a');
    a.send({ cmd: 'disconnect' });
    await a.waitClosed();
    const b = new RawClient(tb.broker, 4);
    await b.connect('b');
    b.end();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['up:a', 'down:a:client_disconnect', 'up:b', 'down:b:socket_error']);
  });

  test('BrokerApi.disconnect sends MQTT 5 DISCONNECT with the reason code (administrative)', async (t) => {
    const tb = await startTestBroker({ listen: false });
    t.after(() => tb.close());
    const reasons: string[] = [];
    tb.broker.setHooks({ onDisconnect: (_c, r) => reasons.push(r) });
    const c = new RawClient(tb.broker, 5);
    await c.connect('kick');
    assert.equal(tb.broker.disconnect('kick', 0x98), true);
    assert.equal(((await c.next('disconnect')) as IDisconnectPacket).reasonCode, 0x98);
    assert.equal(tb.broker.disconnect('kick'), false);
    assert.deepEqual(reasons, ['administrative']);
  });

  test('close() sends MQTT 5 DISCONNECT 0x8B and reports server_shutdown', async () => {
    const tb = await startTestBroker({ listen: false });
    const reasons: string[] = [];
    tb.broker.setHooks({ onDisconnect: (_c, r) => reasons.push(r) });
    const c = new RawClient(tb.broker, 5);
    await c.connect('bye');
    await tb.close();
    assert.equal(((await c.next('disconnect')) as IDisconnectPacket).reasonCode, 0x8b);
    assert.deepEqual(reasons, ['server_shutdown']);
  });
});
