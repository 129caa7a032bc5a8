/**
 * CONNECT → CONNACK, as a named list of steps (STYLE.md rule 4):
 * checkOrder, checkQuota, checkRate, resolveClientId, readWill, authenticate, authorizeWillTopic, then
 * takeOver, attachSession, negotiate, sendConnack, resendInflight.
 */
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import type { AuthResult, ClientInfo } from '../api.js';
import type { BrokerImpl } from '../broker.js';
import type { Connection } from '../connection.js';
import { sendPacketAfterCommit } from '../durable-send.js';
import { appProperties } from '../encode.js';
import { authorizePublish } from './authorize.js';
import { RC, toV311ConnackCode } from '../reason-codes.js';
import { topicNameError } from '../topics.js';
import { outboundAliases } from '../topic-alias-out.js';
import type { Session } from '../session.js';
import type { Will } from '../types.js';
import { recordWill } from '../wills.js';

interface Attempt {
  p: IConnectPacket;
  version: 3 | 4 | 5;
  clientId: string;
  assigned: boolean;
  cleanStart: boolean;
  info: ClientInfo;
  will: Will | undefined;
}

export function handleConnect(b: BrokerImpl, c: Connection, p: IConnectPacket): void {
  // [MQTT-3.1.0-2] a second CONNECT is a protocol error.
  if (c.state !== 'awaiting_connect') return b.protocolError(c, 'second CONNECT');
  c.state = 'connecting';
  const version = p.protocolVersion ?? 4;
  c.setVersion(version);
  const clientId = p.clientId ?? '';
  const cleanStart = p.clean !== false;
  const info: ClientInfo = {
    clientId,
    ...(p.username !== undefined ? { username: p.username } : {}),
    remoteAddress: c.meta.remoteAddress,
    protocolVersion: version,
    keepalive: p.keepalive ?? 0,
    cleanStart,
    ...(c.meta.certFingerprint ? { certFingerprint: c.meta.certFingerprint } : {}),
    transport: c.meta.transport,
  };
  const a: Attempt = { p, version, clientId, assigned: false, cleanStart, info, will: undefined };

  if (b.state !== 'running') return refuse(b, c, a, RC.serverUnavailable, 'broker not running');
  if (b.connectedCount >= b.limits.maxConnections)
    return refuse(b, c, a, RC.quotaExceeded, 'maxConnections reached');
  if (b.connectRateExceeded(c.meta.remoteAddress))
    return refuse(b, c, a, RC.connectionRateExceeded, 'connect rate per IP exceeded');
  if (!resolveClientId(b, a))
    return refuse(b, c, a, RC.clientIdNotValid, 'empty client id needs clean session');
  if (!readWill(b, a)) return refuse(b, c, a, RC.topicNameInvalid, 'invalid will topic');

  let r: AuthResult | Promise<AuthResult>;
  try {
    r = b.hooks.authenticate(a.info, p.username, p.password);
  } catch (err) {
    b.log.error({ err }, 'mqtt: authenticate hook failed');
    return refuse(b, c, a, RC.unspecified, 'authentication failed');
  }
  if (!(r instanceof Promise)) {
    const more = authenticated(b, c, a, r);
    if (more) {
      c.block();
      void more.then(() => b.resume(c));
    }
    return;
  }
  c.block();
  r.then(
    async (res) => {
      await authenticated(b, c, a, res);
      b.resume(c);
    },
    (err: unknown) => {
      b.log.error({ err }, 'mqtt: authenticate hook failed');
      refuse(b, c, a, RC.unspecified, 'authentication failed');
    },
  );
}

/**
 * Zero-length client id: 3.1.1 with clean session false → refused 0x02 [MQTT-3.1.3-8]; otherwise
 * the server assigns one [MQTT-3.1.3-6], reported to MQTT 5 clients in CONNACK.
 */
function resolveClientId(b: BrokerImpl, a: Attempt): boolean {
  if (a.clientId.length > 0) return true;
  if (a.version !== 5 && !a.cleanStart) return false;
  a.clientId = b.assignClientId();
  a.assigned = true;
  a.info.clientId = a.clientId;
  return true;
}

function readWill(b: BrokerImpl, a: Attempt): boolean {
  const w = a.p.will;
  if (!w) return true;
  if (topicNameError(w.topic, b.limits) !== null) return false;
  const props = w.properties;
  a.will = {
    topic: w.topic,
    payload: typeof w.payload === 'string' ? Buffer.from(w.payload) : w.payload,
    qos: w.qos ?? 0,
    retain: w.retain ?? false,
    properties: appProperties(props),
    delay: props?.willDelayInterval ?? 0,
    expiryInterval: props?.messageExpiryInterval,
    client: a.info,
  };
  return true;
}

/** Refuse the CONNECT with a CONNACK code and close; the hook sees `not_authorized` + refused. */
export function refuse(b: BrokerImpl, c: Connection, a: Attempt, rc5: number, message: string): void {
  if (c.state === 'closed') return;
  const ack: IConnackPacket =
    a.version === 5
      ? { cmd: 'connack', sessionPresent: false, reasonCode: rc5, properties: { reasonString: message } }
      : { cmd: 'connack', sessionPresent: false, returnCode: toV311ConnackCode(rc5) };
  c.send(ack);
  c.close('not_authorized');
  try {
    b.hooks.onDisconnect(a.info, 'not_authorized', { refused: true, message });
  } catch (err) {
    b.log.error({ err }, 'mqtt: onDisconnect hook failed');
  }
}

function authenticated(b: BrokerImpl, c: Connection, a: Attempt, r: AuthResult): void | Promise<void> {
  if (c.state !== 'connecting') return; // the socket went away while authenticating
  if (!r.ok) return refuse(b, c, a, r.reasonCode, r.reason ?? 'not authorized');
  return authorizeWillTopic(b, c, a);
}

/**
 * A will is a PUBLISH the client makes in advance: it passes the same authorization at CONNECT,
 * refused with 0x87 Not authorized (3.1.1: return code 5), as Mosquitto and EMQX do.
 */
function authorizeWillTopic(b: BrokerImpl, c: Connection, a: Attempt): void | Promise<void> {
  const w = a.will;
  if (!w) return accepted(b, c, a);
  const ok = authorizePublish(b, a.info, w.topic);
  const decide = (allowed: boolean): void => {
    if (c.state !== 'connecting') return;
    if (allowed) return accepted(b, c, a);
    b.log.warn({ clientId: a.clientId, topic: w.topic }, 'mqtt: will topic not authorized, CONNECT refused');
    refuse(b, c, a, RC.notAuthorized, 'will topic not authorized');
  };
  if (ok instanceof Promise) return ok.then(decide);
  decide(ok);
}

function accepted(b: BrokerImpl, c: Connection, a: Attempt): void {
  if (b.state !== 'running') return refuse(b, c, a, RC.serverUnavailable, 'broker not running');
  const { p, version, clientId } = a;
  const limits = b.limits;
  const before = b.opsPushed;

  // [MQTT-3.1.4-3] session takeover: the existing connection is closed (MQTT 5: DISCONNECT 0x8E).
  const existing = b.sessions.get(clientId);
  if (existing?.conn) existing.conn.close('takeover', RC.sessionTakenOver, 'session taken over');

  // Session expiry: MQTT 5 property capped by limits; 3.1.1 clean=false keeps the session.
  let expiry =
    version === 5 ? (p.properties?.sessionExpiryInterval ?? 0) : a.cleanStart ? 0 : limits.maxSessionExpiry;
  const expiryCapped = expiry > limits.maxSessionExpiry;
  if (expiryCapped) expiry = limits.maxSessionExpiry;

  // [MQTT-3.1.2-4/5] clean start discards any existing session; otherwise it resumes.
  let session = b.sessions.get(clientId);
  let present = false;
  if (session && a.cleanStart) {
    b.endSession(session);
    session = undefined;
  }
  if (session) {
    present = true;
    b.offline.delete(session);
    // [MQTT-3.1.3-9] reconnecting before the will delay elapsed cancels the will.
    session.cancelWill?.();
    session.cancelWill = undefined;
  } else session = b.newSession(clientId);

  session.will = a.will;
  recordWill(b, session, a.info);
  session.protocolVersion = version;
  const wasStored = session.stored;
  session.expiryInterval = expiry;
  session.disconnectedAt = null;
  session.conn = c;
  c.session = session;
  if (session.persistent) {
    b.persist({ op: 'session.put', session: b.storedSession(session) });
    session.stored = true;
  } else if (wasStored) {
    b.persist({ op: 'session.delete', clientId });
    session.stored = false;
  }

  // Keep-alive: MQTT 5 clients get the server's cap through Server Keep Alive.
  let keepalive = p.keepalive ?? 0;
  let serverKeepAlive: number | undefined;
  if (version === 5 && limits.maxKeepalive > 0 && (keepalive === 0 || keepalive > limits.maxKeepalive)) {
    keepalive = limits.maxKeepalive;
    serverKeepAlive = keepalive;
  }
  c.keepaliveMs = keepalive * 1000;
  a.info.keepalive = keepalive;
  c.window = Math.min(p.properties?.receiveMaximum ?? 65535, limits.maxInflight);
  if (p.properties?.maximumPacketSize) c.maxOutPacket = p.properties.maximumPacketSize;
  if (version === 5)
    c.outAliases = outboundAliases(p.properties?.topicAliasMaximum, limits.topicAliasMaximum);
  c.info = a.info;
  c.state = 'connected';
  b.connectedCount++;
  c.lastSeen = b.now();

  const ack: IConnackPacket = { cmd: 'connack', sessionPresent: present };
  if (version === 5) {
    ack.reasonCode = RC.success;
    ack.properties = {
      receiveMaximum: Math.min(limits.maxInflight, 65535),
      maximumPacketSize: limits.maxPacketSize,
      topicAliasMaximum: limits.topicAliasMaximum,
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: true,
      ...(a.assigned ? { assignedClientIdentifier: clientId } : {}),
      ...(serverKeepAlive !== undefined ? { serverKeepAlive } : {}),
      ...(expiryCapped ? { sessionExpiryInterval: expiry } : {}),
      ...(p.properties?.requestResponseInformation ? { responseInformation: `response/${clientId}` } : {}),
    };
  } else ack.returnCode = 0;
  if (b.opsPushed === before) return sendConnack(b, c, session, ack, a.info);
  // CONNACK once the session (and will) are durable: a client told "session present" after a
  // crash must find it. Until then nothing is sent to or read from the client (flowBlocked keeps
  // `resume()` after an async authenticate from reading on).
  c.paused = true;
  c.flowBlocked = true;
  c.block();
  b.writer.flushed().then(
    () => {
      if (c.state === 'closed') return;
      c.paused = false;
      c.flowBlocked = false;
      sendConnack(b, c, session, ack, a.info);
      b.resume(c);
    },
    (err: unknown) => {
      b.log.error({ err, clientId }, 'mqtt: session not persisted, disconnecting');
      c.close('socket_error', RC.unspecified, 'persistence failed');
    },
  );
}

function sendConnack(
  b: BrokerImpl,
  c: Connection,
  session: Session,
  ack: IConnackPacket,
  info: ClientInfo,
): void {
  c.send(ack);
  try {
    b.hooks.onConnect(info);
  } catch (err) {
    b.log.error({ err }, 'mqtt: onConnect hook failed');
  }

  // [MQTT-4.4.0-1] resend unacknowledged PUBLISH (with DUP) and PUBREL packets, in order.
  if (session.inflightCount > 0)
    for (const o of session.inflight.values()) {
      if (o.state === 'pubrel')
        sendPacketAfterCommit(b, session, c, { cmd: 'pubrel', messageId: o.packetId });
      else b.sendPublish(session, c, o, true);
    }
  b.pump(session);
}
