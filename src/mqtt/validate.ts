/**
 * Strict validation of a parsed packet, before its handler runs (called once from
 * `handlers/index.ts`, for the mqtt-packet path and the fast path alike). mqtt-packet already
 * refuses bad fixed-header flags, QoS 3 PUBLISH, will flags without a will, the reserved CONNECT
 * bit and bad subscription option bits; `parser-pool.ts` adds malformed strings and trailing
 * bytes. What is left — rules that need the whole packet — is here. The catalogue with every
 * normative statement and where it is enforced is docs/mqtt.md, "Conformance".
 *
 * MQTT 5 distinguishes Malformed Packet (0x81: the bytes cannot be what the spec describes) from
 * Protocol Error (0x82: well-formed, but not allowed) [MQTT 5 §4.13]; 3.1.1 closes either way.
 */
import type { Packet } from 'mqtt-packet';
import type { BrokerLimits } from '../core/index.js';
import { RC } from './reason-codes.js';

export interface PacketError {
  /** MQTT 5 reason code for DISCONNECT (or CONNACK when the packet is CONNECT). */
  rc: number;
  why: string;
}

const malformed = (why: string): PacketError => ({ rc: RC.malformed, why });
const protocol = (why: string): PacketError => ({ rc: RC.protocolError, why });

type Props = Record<string, unknown> | undefined;

/** MQTT 5 §2.2.2.2: which properties a client may send in which packet (user properties: all). */
const ALLOWED: Record<string, ReadonlySet<string>> = {
  connect: new Set([
    'sessionExpiryInterval',
    'authenticationMethod',
    'authenticationData',
    'requestProblemInformation',
    'requestResponseInformation',
    'receiveMaximum',
    'topicAliasMaximum',
    'maximumPacketSize',
  ]),
  will: new Set([
    'payloadFormatIndicator',
    'messageExpiryInterval',
    'contentType',
    'responseTopic',
    'correlationData',
    'willDelayInterval',
  ]),
  // Subscription Identifier is server → client only [MQTT-3.3.4-6]: checked separately.
  publish: new Set([
    'payloadFormatIndicator',
    'messageExpiryInterval',
    'contentType',
    'responseTopic',
    'correlationData',
    'topicAlias',
  ]),
  puback: new Set(['reasonString']),
  pubrec: new Set(['reasonString']),
  pubrel: new Set(['reasonString']),
  pubcomp: new Set(['reasonString']),
  subscribe: new Set(['subscriptionIdentifier']),
  unsubscribe: new Set(),
  disconnect: new Set(['sessionExpiryInterval', 'reasonString', 'serverReference']),
  auth: new Set(['authenticationMethod', 'authenticationData', 'reasonString']),
};

/**
 * Properties: only those the packet may carry, each single-valued one at most once (mqtt-packet
 * turns a repeated property into an array). Both are Protocol Errors [MQTT 5 §2.2.2.2].
 */
function checkProperties(kind: string, props: Props): PacketError | undefined {
  if (!props) return undefined;
  const allowed = ALLOWED[kind];
  for (const [name, value] of Object.entries(props)) {
    if (name === 'userProperties') continue;
    if (kind === 'publish' && name === 'subscriptionIdentifier')
      return protocol('Subscription Identifier in a PUBLISH from a client [MQTT-3.3.4-6]');
    if (!allowed?.has(name)) return protocol(`property ${name} is not allowed in ${kind.toUpperCase()}`);
    if (Array.isArray(value)) return protocol(`property ${name} included more than once`);
    // strict-parser.ts leaves a flag property that is neither 0 nor 1 as its number.
    if (FLAG_PROPERTIES.has(name) && typeof value === 'number')
      return protocol(`property ${name} must be 0 or 1, not ${value}`);
  }
  return undefined;
}

const FLAG_PROPERTIES = new Set([
  'payloadFormatIndicator',
  'requestProblemInformation',
  'requestResponseInformation',
]);

const hasWildcard = (s: string): boolean => s.includes('+') || s.includes('#');

function checkConnect(p: Extract<Packet, { cmd: 'connect' }>): PacketError | undefined {
  const v = p.protocolVersion ?? 4;
  // [MQTT-3.1.2-1] "MQIsdp" is MQTT 3.1 (level 3), "MQTT" is 3.1.1 and 5: another pairing is refused
  // like an unsupported level (CONNACK 0x84 / 0x01), as Mosquitto does.
  if ((p.protocolId === 'MQIsdp') !== (v === 3))
    return { rc: RC.unsupportedProtocolVersion, why: `protocol name ${p.protocolId} with level ${v}` };
  // [MQTT-3.1.2-22] (3.1.1) a password without a user name.
  if (v !== 5 && p.password !== undefined && p.username === undefined)
    return malformed('password flag set without user name flag [MQTT-3.1.2-22]');
  const w = p.will;
  // 3.1.1 [MQTT-3.1.2-14] / MQTT 5 [MQTT-3.1.2-12]: Will QoS 3.
  if (w && (w.qos as number) === 3) return malformed('will QoS 3 [MQTT-3.1.2-14]');
  if (v !== 5) return undefined;
  const props = p.properties as Props;
  const bad = checkProperties('connect', props) ?? checkProperties('will', w?.properties);
  if (bad) return bad;
  // MQTT 5 §3.1.2.11.3 / §3.1.2.11.4: zero is a Protocol Error.
  if (p.properties?.receiveMaximum === 0) return protocol('Receive Maximum 0');
  if (p.properties?.maximumPacketSize === 0) return protocol('Maximum Packet Size 0');
  if (p.properties?.authenticationMethod !== undefined)
    return { rc: RC.badAuthenticationMethod, why: 'enhanced authentication is not supported' };
  if (w?.properties?.responseTopic !== undefined && hasWildcard(w.properties.responseTopic))
    return protocol('wildcard in the will Response Topic [MQTT-3.3.2-14]');
  return undefined;
}

function checkPublish(
  p: Extract<Packet, { cmd: 'publish' }>,
  version: number,
  limits: BrokerLimits,
): PacketError | undefined {
  // [MQTT-3.3.1-2] DUP must be 0 for QoS 0 (a fixed-header flag: Malformed in MQTT 5 §2.1.3).
  if (p.qos === 0 && p.dup) return malformed('DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2]');
  // [MQTT-2.2.1-3] (3.1.1 [MQTT-2.3.1-1]) a non-zero packet id.
  if (p.qos > 0 && !p.messageId) return protocol('packet identifier 0 [MQTT-2.2.1-3]');
  if (version !== 5) return undefined;
  const bad = checkProperties('publish', p.properties);
  if (bad) return bad;
  const props = p.properties;
  if (props?.responseTopic !== undefined && hasWildcard(props.responseTopic))
    return protocol('wildcard in the Response Topic [MQTT-3.3.2-14]');
  const alias = props?.topicAlias;
  // MQTT 5 §3.3.2.3.4: 0 or above the Topic Alias Maximum we sent is 0x94 Topic Alias invalid.
  if (alias !== undefined && (alias === 0 || alias > limits.topicAliasMaximum))
    return { rc: RC.topicAliasInvalid, why: `topic alias ${alias} out of range` };
  return undefined;
}

/** Why `p` must be refused, or undefined. `version`: the connection's (CONNECT: its own). */
export function validatePacket(p: Packet, version: number, limits: BrokerLimits): PacketError | undefined {
  switch (p.cmd) {
    case 'connect':
      return checkConnect(p);
    case 'publish':
      return checkPublish(p, version, limits);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      if (!p.messageId) return protocol(`packet identifier 0 in ${p.cmd.toUpperCase()} [MQTT-2.2.1-3]`);
      return version === 5 ? checkProperties(p.cmd, p.properties) : undefined;
    case 'subscribe':
      if (!p.messageId) return protocol('packet identifier 0 in SUBSCRIBE [MQTT-2.2.1-3]');
      // 3.1.1 [MQTT-3.8.3-3] / MQTT 5 [MQTT-3.8.3-2]: at least one filter.
      if (p.subscriptions.length === 0) return protocol('SUBSCRIBE without filters [MQTT-3.8.3-3]');
      if (version !== 5) return undefined;
      if (p.properties?.subscriptionIdentifier === 0) return protocol('Subscription Identifier 0');
      return checkProperties('subscribe', p.properties);
    case 'unsubscribe':
      if (!p.messageId) return protocol('packet identifier 0 in UNSUBSCRIBE [MQTT-2.2.1-3]');
      if (p.unsubscriptions.length === 0) return protocol('UNSUBSCRIBE without filters [MQTT-3.10.3-2]');
      return version === 5 ? checkProperties('unsubscribe', p.properties) : undefined;
    case 'disconnect':
      return version === 5 ? checkProperties('disconnect', p.properties) : undefined;
    default:
      return undefined;
  }
}

/**
 * mqtt-packet refuses these while parsing, but MQTT 5 calls them Protocol Errors (0x82), not
 * Malformed Packets: §3.8.3.1 "It is a Protocol Error to send a Retain Handling value of 3" and
 * "It is a Protocol Error if the Maximum QoS field has the value 3".
 */
const PROTOCOL_ERRORS_FROM_PARSER = new Set([
  'Invalid retain handling, must be <= 2',
  'Invalid subscribe QoS, must be <= 2',
]);

/** The MQTT 5 reason code for an error the parser reported. */
export function parseErrorReason(err: Error): number {
  return PROTOCOL_ERRORS_FROM_PARSER.has(err.message) ? RC.protocolError : RC.malformed;
}
