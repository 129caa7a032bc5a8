// A TCP connection's 'end' listener: one per socket (idle memory), Node's own still run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import net from 'node:net';
import { generate } from 'mqtt-packet';
import type { DisconnectReason } from '../core/index.js';
import { startTestBroker } from './test-helpers.js';

test('a half-closed TCP client is disconnected; the socket keeps a single end listener', async (t) => {
  const tb = await startTestBroker();
  t.after(() => tb.close());
  const reasons: [string, DisconnectReason][] = [];
  tb.broker.setHooks({ onDisconnect: (c, r) => reasons.push([c.clientId, r]) });
  const socket = net.connect({ host: '127.0.0.1', port: tb.port });
  t.after(() => socket.destroy());
  const connack = new Promise<Buffer>((resolve) => socket.once('data', resolve));
  socket.write(
    generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: 'half',
    }),
  );
  assert.equal((await connack)[0], 0x20);
  const [conn] = [...tb.broker.connections()];
  const server = conn!.stream as net.Socket;
  // Node's own listener and the broker's share one function: no listener array per socket.
  assert.equal(server.listenerCount('end'), 1);
  const ended = new Promise<void>((resolve) => socket.once('end', resolve));
  // FIN without DISCONNECT: the broker closes the connection (an abnormal close) and its side.
  socket.end();
  await ended;
  while (reasons.length === 0) await new Promise((r) => setImmediate(r));
  assert.deepEqual(reasons, [['half', 'socket_error']]);
  assert.equal([...tb.broker.connections()].length, 0);
  // Node's listener ran too (before the broker's): with allowHalfOpen false it replaces the
  // socket's write() with one that refuses writes after the peer's FIN.
  assert.ok(Object.prototype.hasOwnProperty.call(server, 'write'), "Node's 'end' listener ran");
});
