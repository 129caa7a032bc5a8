/**
 * Network listeners: MQTT over TCP, TLS (optional client certificates), WebSocket (`/mqtt` on the
 * HTTP port) and secure WebSocket (`/mqtt` on a TLS listener of its own, same certificate options).
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import https from 'node:https';
import net, { type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Broker } from './api.js';
import { acceptProxied } from './proxy-protocol.js';

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

/**
 * The peer's address, without keeping the `_peername` object Node caches on the socket when
 * `remoteAddress` is read (~100 bytes per idle connection; the address string lives on in the
 * connection's meta).
 */
function peerAddress(socket: net.Socket): string | undefined {
  const a = socket.remoteAddress;
  (socket as unknown as { _peername: unknown })._peername = undefined;
  return a;
}

export interface TcpListenOptions {
  /**
   * Every connection starts with a PROXY protocol v1/v2 header (HAProxy `send-proxy[-v2]`) naming
   * the device's address; connections without one are refused.
   */
  proxyProtocol?: boolean;
  /** Told about connections refused for a missing or bad PROXY header. */
  onProxyRefused?: (why: string, from: string | undefined) => void;
}

export function listenTcp(
  broker: Broker,
  host: string,
  port: number,
  opts: TcpListenOptions = {},
): Promise<NetServer> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    if (!opts.proxyProtocol) {
      broker.handleConnection(socket, { remoteAddress: peerAddress(socket) ?? 'unknown', transport: 'tcp' });
      return;
    }
    acceptProxied(
      socket,
      (a) =>
        broker.handleConnection(socket, {
          remoteAddress: a.remoteAddress ?? peerAddress(socket) ?? 'unknown',
          transport: 'tcp',
        }),
      (why) => opts.onProxyRefused?.(why, socket.remoteAddress),
    );
  });
  return listen(server, host, port);
}

/** SHA-256 fingerprint as lowercase hex without colons. */
export function fingerprintOf(socket: tls.TLSSocket): string | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.fingerprint256) return undefined;
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}

export interface TlsOptions {
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate signed by it (mutual TLS). */
  ca?: Buffer;
}

function tlsServerOptions(opts: TlsOptions): tls.TlsOptions {
  const requireCert = opts.ca !== undefined;
  return {
    cert: opts.cert,
    key: opts.key,
    ...(opts.ca ? { ca: opts.ca } : {}),
    requestCert: requireCert,
    rejectUnauthorized: requireCert,
  };
}

export function listenTls(broker: Broker, host: string, port: number, opts: TlsOptions): Promise<NetServer> {
  const requireCert = opts.ca !== undefined;
  const server = tls.createServer(tlsServerOptions(opts), (socket) => {
    socket.setNoDelay(true);
    const fp = requireCert ? fingerprintOf(socket) : undefined;
    broker.handleConnection(socket, {
      remoteAddress: socket.remoteAddress ?? 'unknown',
      transport: 'tls',
      ...(fp ? { certFingerprint: fp } : {}),
    });
  });
  server.on('tlsClientError', () => undefined);
  return listen(server, host, port);
}

/**
 * MQTT over secure WebSocket (wss://host:port/mqtt) on a TLS listener of its own, with the same
 * certificate options as the MQTT TLS listener (mutual TLS: the client certificate's fingerprint
 * goes to the auth hook as for mqtts). Other paths get 404; plain HTTP requests get 426.
 */
export function listenWss(broker: Broker, host: string, port: number, opts: TlsOptions): Promise<NetServer> {
  const server = https.createServer(tlsServerOptions(opts), (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    res.end('MQTT over WebSocket: connect to /mqtt with the "mqtt" subprotocol\n');
  });
  server.on('tlsClientError', () => undefined);
  attachWebSocket(broker, server, '/mqtt', 'wss', opts.ca !== undefined);
  return listen(server, host, port);
}

/** Serve MQTT over WebSocket (subprotocols mqtt, mqttv3.1) at `path` on an existing HTTP(S) server. */
export function attachWebSocket(
  broker: Broker,
  server: HttpServer,
  path: string,
  transport: 'ws' | 'wss' = 'ws',
  clientCerts = false,
): void {
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
      const fp = clientCerts ? fingerprintOf(req.socket as tls.TLSSocket) : undefined;
      broker.handleConnection(stream, {
        remoteAddress: req.socket.remoteAddress ?? 'unknown',
        transport,
        ...(fp ? { certFingerprint: fp } : {}),
      });
    });
  });
  server.on('close', () => wss.close());
}
