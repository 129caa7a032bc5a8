/**
 * CONNECT → CONNACK as a named list of steps (STYLE.md rule 4; aedes `lib/handlers/connect.js`
 * is the model): `CONNECT_STEPS` below is the order they run in. A step returns nothing to go
 * on, a `Refusal` (CONNACK with that reason code, then close), `STOP` (the connection is gone or
 * was closed by the step), or a promise of one of these — the connection is then not read until
 * the rest of the steps ran. Steps share one `Attempt`.
 */
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import type { AuthResult, ClientInfo } from '../api.js';
import type { Connection } from '../connection.js';
import { sendPacketAfterCommit } from '../durable-send.js';
import { appProperties } from '../encode.js';
import type { BrokerHost } from '../host.js';
import { SessionBusyError } from '../fan-out.js';
import { RC, toV311ConnackCode } from '../reason-codes.js';
import type { Session } from '../session.js';
import { outboundAliases } from '../topic-alias-out.js';
import { topicNameError } from '../topics.js';
import type { Will } from '../types.js';
import { authorizePublish } from './authorize.js';

interface Attempt {
  p: IConnectPacket;
  version: 3 | 4 | 5;
  clientId: string;
  assigned: boolean;
  cleanStart: boolean;
  info: ClientInfo;
  will: Will | undefined;
  /** From `attachSession` on. */
  session?: Session;
  present?: boolean;
  expiry?: number;
  expiryCapped?: boolean;
  serverKeepAlive?: number;
  /** `opsPushed` before the session was attached: CONNACK waits for what was pushed since. */
  opsBefore?: number;
}

interface Refusal {
  rc: number;
  message: string;
}
const STOP = 'stop';
type Outcome = void | Refusal | typeof STOP;
type Step = (b: BrokerHost, c: Connection, a: Attempt) => Outcome | Promise<Outcome>;

const refusal = (rc: number, message: string): Refusal => ({ rc, message });

const CONNECT_STEPS: readonly Step[] = [
  checkRunning,
  checkQuota,
  checkRate,
  resolveClientId,
  readWill,
  authenticate,
  authorizeWillTopic,
  checkRunning,
  takeOver,
  attachSession,
  negotiate,
  awaitDurable,
  sendConnack,
  resendInflight,
];

export function handleConnect(b: BrokerHost, c: Connection, p: IConnectPacket): void {
  // [MQTT-3.1.0-2] a second CONNECT is a protocol error.
  if (c.state !== 'awaiting_connect') return b.protocolError(c, 'second CONNECT');
  c.state = 'connecting';
  const version = p.protocolVersion ?? 4;
  c.setVersion(version);
  const clientId = p.clientId ?? '';
  const cleanStart = p.clean !== false;
  // A literal of the fields every client has, the optional ones added after: spreads made the
  // object 16 bytes bigger for every connection (idle memory).
  const info: ClientInfo = {
    clientId,
    remoteAddress: c.meta.remoteAddress,
    protocolVersion: version,
    keepalive: p.keepalive ?? 0,
    cleanStart,
    transport: c.meta.transport,
  };
  if (p.username !== undefined) info.username = p.username;
  if (c.meta.certFingerprint) info.certFingerprint = c.meta.certFingerprint;
  // One object per connection instead of two (idle memory): `info` carries every meta field.
  c.meta = info;
  runSteps(b, c, { p, version, clientId, assigned: false, cleanStart, info, will: undefined }, 0);
}

/** Run the steps from `from`; true when they all ran (or stopped) without waiting. */
function runSteps(b: BrokerHost, c: Connection, a: Attempt, from: number): boolean {
  for (let i = from; i < CONNECT_STEPS.length; i++) {
    if (c.state === 'closed') return true;
    const out = CONNECT_STEPS[i]!(b, c, a);
    if (out instanceof Promise) {
      c.block();
      out.then(
        (o) => {
          if (settled(b, c, a, o) && !runSteps(b, c, a, i + 1)) return;
          b.resume(c);
        },
        (err: unknown) => {
          b.log.error({ err, clientId: a.clientId }, 'mqtt: CONNECT step failed');
          refuse(b, c, a, RC.unspecified, 'internal error');
        },
      );
      return false;
    }
    if (!settled(b, c, a, out)) return true;
  }
  return true;
}

/** true = go on with the next step. */
function settled(b: BrokerHost, c: Connection, a: Attempt, out: Outcome): boolean {
  if (out === undefined) return c.state !== 'closed';
  if (out !== STOP) refuse(b, c, a, out.rc, out.message);
  return false;
}

/** Refuse the CONNECT with a CONNACK code and close; the hook sees `not_authorized` + refused. */
function refuse(b: BrokerHost, c: Connection, a: Attempt, rc5: number, message: string): void {
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

// ---- the steps, in order ---------------------------------------------------------------------

function checkRunning(b: BrokerHost): Outcome {
  if (!b.running) return refusal(RC.serverUnavailable, 'broker not running');
}

function checkQuota(b: BrokerHost): Outcome {
  if (b.sessions.connectedCount >= b.limits.maxConnections)
    return refusal(RC.quotaExceeded, 'maxConnections reached');
}

function checkRate(b: BrokerHost, c: Connection): Outcome {
  if (b.connectRateExceeded(c.meta.remoteAddress))
    return refusal(RC.connectionRateExceeded, 'connect rate per IP exceeded');
}

/**
 * Zero-length client id: 3.1.1 with clean session false → refused 0x02 [MQTT-3.1.3-8]; otherwise
 * the server assigns one [MQTT-3.1.3-6], reported to MQTT 5 clients in CONNACK.
 */
function resolveClientId(b: BrokerHost, _c: Connection, a: Attempt): Outcome {
  if (a.clientId.length > 0) return;
  if (a.version !== 5 && !a.cleanStart)
    return refusal(RC.clientIdNotValid, 'empty client id needs clean session');
  a.clientId = b.sessions.assignClientId();
  a.assigned = true;
  a.info.clientId = a.clientId;
}

function readWill(b: BrokerHost, _c: Connection, a: Attempt): Outcome {
  const w = a.p.will;
  if (!w) return;
  if (topicNameError(w.topic, b.limits) !== null) return refusal(RC.topicNameInvalid, 'invalid will topic');
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
}

/** The app's `authenticate` hook; one that throws or rejects refuses with 0x80. */
function authenticate(b: BrokerHost, c: Connection, a: Attempt): Outcome | Promise<Outcome> {
  const failed = (err: unknown): Refusal => {
    b.log.error({ err }, 'mqtt: authenticate hook failed');
    return refusal(RC.unspecified, 'authentication failed');
  };
  const decide = (r: AuthResult): Outcome => {
    if (c.state !== 'connecting') return STOP; // the socket went away while authenticating
    if (!r.ok) return refusal(r.reasonCode, r.reason ?? 'not authorized');
  };
  let r: AuthResult | Promise<AuthResult>;
  try {
    r = b.hooks.authenticate(a.info, a.p.username, a.p.password);
  } catch (err) {
    return failed(err);
  }
  return r instanceof Promise ? r.then(decide, failed) : decide(r);
}

/**
 * A will is a PUBLISH the client makes in advance: it passes the same authorization at CONNECT,
 * refused with 0x87 Not authorized (3.1.1: return code 5), as Mosquitto and EMQX do.
 */
function authorizeWillTopic(b: BrokerHost, c: Connection, a: Attempt): Outcome | Promise<Outcome> {
  const w = a.will;
  if (!w) return;
  const decide = (allowed: boolean): Outcome => {
    if (c.state !== 'connecting') return STOP;
    if (allowed) return;
    b.log.warn({ clientId: a.clientId, topic: w.topic }, 'mqtt: will topic not authorized, CONNECT refused');
    return refusal(RC.notAuthorized, 'will topic not authorized');
  };
  const ok = authorizePublish(b, a.info, w.topic);
  return ok instanceof Promise ? ok.then(decide) : decide(ok);
}

/**
 * [MQTT-3.1.4-3] an existing connection with this client id is closed (MQTT 5: DISCONNECT 0x8E) —
 * here, or in a cluster on the node holding the session, which hands it over (handover.ts).
 */
function takeOver(b: BrokerHost, c: Connection, a: Attempt): Outcome | Promise<Outcome> {
  a.opsBefore = b.opsPushed;
  b.sessions.takeOver(a.clientId);
  const claimed = b.claimSession(a.clientId, a.cleanStart);
  if (!claimed) return;
  return claimed.then(
    (): Outcome => (c.state === 'connecting' ? undefined : STOP),
    (err: unknown): Outcome => {
      if (!(err instanceof SessionBusyError)) throw err;
      b.log.warn(
        { clientId: a.clientId, err: err.message },
        'mqtt: session holder did not release it, CONNECT refused',
      );
      return refusal(RC.serverBusy, 'session held by another node that did not release it; retry');
    },
  );
}

/**
 * Session expiry (MQTT 5 property capped by limits; 3.1.1 clean=false keeps the session), clean
 * start or resume [MQTT-3.1.2-4/5], the will recorded, the session row persisted.
 */
function attachSession(b: BrokerHost, c: Connection, a: Attempt): Outcome {
  const limits = b.limits;
  let expiry =
    a.version === 5
      ? (a.p.properties?.sessionExpiryInterval ?? 0)
      : a.cleanStart
        ? 0
        : limits.maxSessionExpiry;
  a.expiryCapped = expiry > limits.maxSessionExpiry;
  if (a.expiryCapped) expiry = limits.maxSessionExpiry;
  a.expiry = expiry;
  const { session, present } = b.sessions.open(a.clientId, a.cleanStart);
  a.session = session;
  a.present = present;
  b.sessions.attach(session, c, a.will, a.info, a.version, expiry);
}

/** Keep-alive (MQTT 5 clients get the server's cap as Server Keep Alive), window, packet size, aliases. */
function negotiate(b: BrokerHost, c: Connection, a: Attempt): Outcome {
  const { p, version } = a;
  const limits = b.limits;
  let keepalive = p.keepalive ?? 0;
  if (version === 5 && limits.maxKeepalive > 0 && (keepalive === 0 || keepalive > limits.maxKeepalive)) {
    keepalive = limits.maxKeepalive;
    a.serverKeepAlive = keepalive;
  }
  // The connection's keep-alive is read from `info` (Connection.keepaliveMs).
  a.info.keepalive = keepalive;
  c.window = Math.min(p.properties?.receiveMaximum ?? 65535, limits.maxInflight);
  if (p.properties?.maximumPacketSize) c.maxOutPacket = p.properties.maximumPacketSize;
  if (version === 5)
    c.outAliases = outboundAliases(p.properties?.topicAliasMaximum, limits.topicAliasMaximum);
  c.info = a.info;
  c.state = 'connected';
  b.sessions.countConnection(1);
  c.lastSeen = b.seenNow();
}

/**
 * CONNACK once the session (and will) are durable: a client told "session present" after a crash
 * must find it. Until then nothing is sent to or read from the client (flowBlocked keeps
 * `resume()` after an async authenticate from reading on, and the sweep from timing it out).
 */
function awaitDurable(b: BrokerHost, c: Connection, a: Attempt): Outcome | Promise<Outcome> {
  if (b.opsPushed === a.opsBefore) return;
  c.paused = true;
  c.flowBlocked = true;
  return b.writer.flushed().then(
    (): Outcome => {
      if (c.state === 'closed') return STOP;
      c.paused = false;
      c.flowBlocked = false;
    },
    (err: unknown): Outcome => {
      b.log.error({ err, clientId: a.clientId }, 'mqtt: session not persisted, disconnecting');
      c.close('socket_error', RC.unspecified, 'persistence failed');
      return STOP;
    },
  );
}

function sendConnack(b: BrokerHost, c: Connection, a: Attempt): Outcome {
  const limits = b.limits;
  const ack: IConnackPacket = { cmd: 'connack', sessionPresent: a.present === true };
  if (a.version === 5) {
    ack.reasonCode = RC.success;
    ack.properties = {
      receiveMaximum: Math.min(limits.maxInflight, 65535),
      maximumPacketSize: limits.maxPacketSize,
      topicAliasMaximum: limits.topicAliasMaximum,
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: true,
      ...(a.assigned ? { assignedClientIdentifier: a.clientId } : {}),
      ...(a.serverKeepAlive !== undefined ? { serverKeepAlive: a.serverKeepAlive } : {}),
      ...(a.expiryCapped ? { sessionExpiryInterval: a.expiry } : {}),
      ...(a.p.properties?.requestResponseInformation
        ? { responseInformation: `response/${a.clientId}` }
        : {}),
    };
  } else ack.returnCode = 0;
  c.send(ack);
  try {
    b.hooks.onConnect(a.info);
  } catch (err) {
    b.log.error({ err }, 'mqtt: onConnect hook failed');
  }
}

/** [MQTT-4.4.0-1] resend unacknowledged PUBLISH (with DUP) and PUBREL packets, in order; then the queue. */
function resendInflight(b: BrokerHost, c: Connection, a: Attempt): Outcome {
  const session = a.session!;
  if (session.inflightCount > 0)
    for (const o of session.inflight.values()) {
      if (o.state === 'pubrel')
        sendPacketAfterCommit(b, session, c, { cmd: 'pubrel', messageId: o.packetId });
      else b.delivery.sendPublish(session, c, o, true);
    }
  b.delivery.pump(session);
}
