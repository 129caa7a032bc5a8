/** Network listeners: MQTT over TCP, TLS (optional client certificates) and WebSocket (`/mqtt`). */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import net, { type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Broker } from './api.js';

const LISTEN_BACKLOG = 8192;

function listen(server: NetServer, host: string, port: number): Promise<NetServer> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    // A fleet reconnecting at once sends thousands of SYNs within milliseconds; with Node's default
    // backlog (511) the rest are dropped and retried by the clients' kernels after 1, 3, 7, 15 s.
    // The kernel caps this at net.core.somaxconn.
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

export function listenTcp(broker: Broker, host: string, port: number): Promise<NetServer> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    broker.handleConnection(socket, { remoteAddress: socket.remoteAddress ?? 'unknown', transport: 'tcp' });
  });
  return listen(server, host, port);
}

/** SHA-256 fingerprint as lowercase hex without colons. */
export function fingerprintOf(socket: tls.TLSSocket): string | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.fingerprint256) return undefined;
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}

export function listenTls(
  broker: Broker,
  host: string,
  port: number,
  opts: { cert: Buffer; key: Buffer; ca?: Buffer },
): Promise<NetServer> {
  const requireCert = opts.ca !== undefined;
  const server = tls.createServer(
    {
      cert: opts.cert,
      key: opts.key,
      ...(opts.ca ? { ca: opts.ca } : {}),
      requestCert: requireCert,
      rejectUnauthorized: requireCert,
    },
    (socket) => {
      socket.setNoDelay(true);
      const fp = requireCert ? fingerprintOf(socket) : undefined;
      broker.handleConnection(socket, {
        remoteAddress: socket.remoteAddress ?? 'unknown',
        transport: 'tls',
        ...(fp ? { certFingerprint: fp } : {}),
      });
    },
  );
  server.on('tlsClientError', () => undefined);
  return listen(server, host, port);
}

/** Serve MQTT over WebSocket (subprotocols mqtt, mqttv3.1) at `path` on an existing HTTP server. */
export function attachWebSocket(broker: Broker, server: HttpServer, path: string): void {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => {
      if (protocols.has('mqtt')) return 'mqtt';
      if (protocols.has('mqttv3.1')) return 'mqttv3.1';
      return false;
    },
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q >= 0 ? url.slice(0, q) : url) !== path) {
      // Another upgrade handler may want it; when there is none, do not leave the socket hanging.
      if (server.listenerCount('upgrade') === 1) socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      (socket as net.Socket).setNoDelay?.(true);
      broker.handleConnection(stream, {
        remoteAddress: req.socket.remoteAddress ?? 'unknown',
        transport: 'ws',
      });
    });
  });
  server.on('close', () => wss.close());
}
