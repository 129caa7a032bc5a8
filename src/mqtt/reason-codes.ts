/**
 * MQTT reason codes the broker sends, and the mapping of MQTT 5 CONNACK reason codes to the
 * 3.1.1 return codes older clients understand [MQTT-3.2.2-…, MQTT 5 §3.2.2.2].
 */
export const RC = {
  success: 0x00,
  disconnectWithWill: 0x04,
  noMatchingSubscribers: 0x10,
  noSubscriptionExisted: 0x11,
  unspecified: 0x80,
  malformed: 0x81,
  protocolError: 0x82,
  implementationSpecific: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverBusy: 0x89,
  banned: 0x8a,
  serverShuttingDown: 0x8b,
  badAuthenticationMethod: 0x8c,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetIdInUse: 0x91,
  packetIdNotFound: 0x92,
  receiveMaximumExceeded: 0x93,
  topicAliasInvalid: 0x94,
  packetTooLarge: 0x95,
  quotaExceeded: 0x97,
  administrativeAction: 0x98,
  sharedSubscriptionsNotSupported: 0x9e,
  connectionRateExceeded: 0x9f,
} as const;

/** MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2-…, table 3.1]. */
export const RC311 = {
  accepted: 0x00,
  unacceptableProtocol: 0x01,
  identifierRejected: 0x02,
  serverUnavailable: 0x03,
  badUserNameOrPassword: 0x04,
  notAuthorized: 0x05,
} as const;

/** Map an MQTT 5 CONNACK reason code to the nearest 3.1.1 return code. */
export function toV311ConnackCode(rc5: number): number {
  switch (rc5) {
    case RC.success:
      return RC311.accepted;
    case RC.unsupportedProtocolVersion:
      return RC311.unacceptableProtocol;
    case RC.clientIdNotValid:
      return RC311.identifierRejected;
    case RC.badUserNameOrPassword:
      return RC311.badUserNameOrPassword;
    case RC.serverUnavailable:
    case RC.serverBusy:
    case RC.quotaExceeded:
    case RC.connectionRateExceeded:
    case RC.serverShuttingDown:
      return RC311.serverUnavailable;
    default:
      return RC311.notAuthorized;
  }
}
