/**
 * Many idle MQTT connections from one process: raw CONNECT + SUBSCRIBE with mqtt-packet over net
 * sockets. mqtt.js costs tens of kilobytes per client; this costs a socket and a parser.
 */
import { generate, parser as createParser } from 'mqtt-packet';
import { connect, type Socket } from 'node:net';
import type { IdleSpec } from './ipc.js';
import { connectPacket } from './raw-client.js';

export interface IdleConnections {
  opened: number;
  close(): void;
}

function openOne(port: number, clientId: string, topic: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const parser = createParser({ protocolVersion: 4 });
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`${clientId}: no SUBACK within 30 s`)), 30_000);
    socket.once('error', fail);
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    parser.on('error', fail);
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connack') {
        if (packet.returnCode !== 0) return fail(new Error(`${clientId}: CONNACK ${packet.returnCode}`));
        socket.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] }));
      } else if (packet.cmd === 'suback') {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        socket.on('error', () => undefined);
        resolve(socket);
      }
    });
    // Keep-alive 0: the broker expects no PINGREQ, so the connections stay truly idle.
    socket.write(connectPacket(clientId));
  });
}

export async function openIdleConnections(
  spec: IdleSpec,
  onProgress: (opened: number) => void,
): Promise<IdleConnections> {
  const sockets: Socket[] = [];
  const timer = setInterval(() => onProgress(sockets.length), 250);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < spec.connections) {
      const i = next++;
      sockets.push(await openOne(spec.port, `${spec.clientPrefix}-${i}`, `${spec.topicPrefix}/${i}`));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, spec.parallel) }, lane));
  } catch (err) {
    for (const s of sockets) s.destroy();
    throw err;
  } finally {
    clearInterval(timer);
  }
  return {
    opened: sockets.length,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
