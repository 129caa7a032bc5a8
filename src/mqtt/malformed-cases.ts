/**
 * Raw byte fixtures for `malformed.test.ts`: packets the broker must refuse, with the clause each
 * breaks and (MQTT 5) the reason code expected. Hex with spaces between fields.
 */

const MQTT = '00044d515454'; // protocol name "MQTT"

export interface Row {
  clause: string;
  what: string;
  v4?: string;
  v5?: string;
  /** MQTT 5 reason code expected in DISCONNECT. */
  rc5?: number;
}

export const AFTER_CONNECT: Row[] = [
  {
    clause: 'MQTT 5 §3.3.2.3.2',
    what: 'Payload Format Indicator 2',
    v5: '30 07 0001 61 02 0102 78',
    rc5: 0x82,
  },
  {
    clause: 'MQTT-1.5.5-1',
    what: 'remaining length not in its shortest form (PINGREQ)',
    v4: 'c0 8000',
    v5: 'c0 8000',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-1.5.5-1',
    what: 'remaining length not in its shortest form (PUBLISH)',
    v4: '30 8600 0003 612f62 78',
    v5: '30 8700 0003 612f62 00 78',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-1.5.5-1',
    what: 'property length not in its shortest form',
    v5: '30 06 0001 61 8000 78',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-3.6.1-1',
    what: 'PUBREL with fixed-header flags 0000',
    v4: '60 02 0001',
    v5: '60 02 0001',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-3.10.1-1',
    what: 'UNSUBSCRIBE with fixed-header flags 0000',
    v4: 'a0 05 0001 0001 61',
    v5: 'a0 06 0001 00 0001 61',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-3.14.1-1',
    what: 'DISCONNECT with fixed-header flags 0001',
    v4: 'e1 00',
    v5: 'e1 00',
    rc5: 0x81,
  },
  {
    clause: 'MQTT 5 §2.2.2.2',
    what: 'an unknown property identifier',
    v5: '30 07 0001 61 02 7f00 78',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-2.2.2-1/2',
    what: 'SUBSCRIBE with fixed-header flags 0000',
    v4: '80 06 0001 0001 61 00',
    v5: '80 07 0001 00 0001 61 00',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-3.3.1-4',
    what: 'PUBLISH with QoS 3',
    v4: '36 06 0001 61 0001 78',
    v5: '36 07 0001 61 0001 00 78',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-1.5.3-1',
    what: 'invalid UTF-8 byte in a topic (the issue repro)',
    v4: '32 08 0003 61ff62 0009 78',
    v5: '32 09 0003 61ff62 0009 00 78',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-1.5.3-1',
    what: 'overlong encoding in a topic',
    v4: '30 05 0002 c0af 78',
    v5: '30 06 0002 c0af 00 78',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-1.5.3-1',
    what: 'UTF-16 surrogate in a topic',
    v4: '30 06 0003 eda080 78',
    v5: '30 07 0003 eda080 00 78',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-1.5.3-2',
    what: 'U+0000 in a topic',
    v4: '30 06 0003 610062 78',
    v5: '30 07 0003 610062 00 78',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-1.5.3-1',
    what: 'invalid UTF-8 in a subscription filter',
    v4: '82 07 0001 0002 c0af 00',
    v5: '82 08 0001 00 0002 c0af 00',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-1.5.3-2',
    what: 'U+0000 in an unsubscribe filter',
    v4: 'a2 06 0001 0002 6100',
    v5: 'a2 07 0001 00 0002 6100',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-3.3.1-2',
    what: 'DUP set on a QoS 0 PUBLISH',
    v4: '38 06 0003 612f62 78',
    v5: '38 07 0003 612f62 00 78',
    rc5: 0x81,
  },
  {
    clause: 'MQTT-2.2.1-3',
    what: 'packet id 0 on a QoS 1 PUBLISH',
    v4: '32 07 0003 612f62 0000',
    v5: '32 08 0003 612f62 0000 00',
    rc5: 0x82,
  },
  {
    clause: 'MQTT-2.2.1-3',
    what: 'packet id 0 on a QoS 2 PUBLISH',
    v4: '34 07 0003 612f62 0000',
    v5: '34 08 0003 612f62 0000 00',
    rc5: 0x82,
  },
  {
    clause: 'MQTT-2.2.1-3',
    what: 'packet id 0 on SUBSCRIBE',
    v4: '82 06 0000 0001 61 00',
    v5: '82 07 0000 00 0001 61 00',
    rc5: 0x82,
  },
  {
    clause: 'MQTT-2.2.1-3',
    what: 'packet id 0 on UNSUBSCRIBE',
    v4: 'a2 05 0000 0001 61',
    v5: 'a2 06 0000 00 0001 61',
    rc5: 0x82,
  },
  { clause: 'MQTT-2.2.1-3', what: 'packet id 0 on PUBACK', v4: '40 02 0000', v5: '40 02 0000', rc5: 0x82 },
  { clause: 'MQTT-2.2.1-3', what: 'packet id 0 on PUBREC', v4: '50 02 0000', v5: '50 02 0000', rc5: 0x82 },
  { clause: 'MQTT-2.2.1-3', what: 'packet id 0 on PUBREL', v4: '62 02 0000', v5: '62 02 0000', rc5: 0x82 },
  { clause: 'MQTT-2.2.1-3', what: 'packet id 0 on PUBCOMP', v4: '70 02 0000', v5: '70 02 0000', rc5: 0x82 },
  {
    clause: 'MQTT-3.8.3-3',
    what: 'SUBSCRIBE without filters',
    v4: '82 02 0001',
    v5: '82 03 0001 00',
    rc5: 0x82,
  },
  {
    clause: 'MQTT-3.10.3-2',
    what: 'UNSUBSCRIBE without filters',
    v4: 'a2 02 0001',
    v5: 'a2 03 0001 00',
    rc5: 0x82,
  },
  {
    clause: 'MQTT-3.8.3-4/5',
    what: 'SUBSCRIBE with reserved option bits set',
    v4: '82 06 0001 0001 61 04',
    v5: '82 07 0001 00 0001 61 c0',
    rc5: 0x81,
  },
  {
    // MQTT 5 §3.8.3.1: "It is a Protocol Error to send a Retain Handling value of 3."
    clause: 'MQTT 5 §3.8.3.1',
    what: 'SUBSCRIBE with Retain Handling 3',
    v5: '82 07 0001 00 0001 61 30',
    rc5: 0x82,
  },
  {
    // MQTT 5 §3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3";
    // 3.1.1 [MQTT-3.8.3-4]: malformed, the connection is closed.
    clause: 'MQTT 5 §3.8.3.1, MQTT-3.8.3-4',
    what: 'SUBSCRIBE with Maximum QoS 3',
    v4: '82 06 0001 0001 61 03',
    v5: '82 07 0001 00 0001 61 03',
    rc5: 0x82,
  },
  { clause: 'MQTT-2.2.2-2', what: 'PINGREQ with a body', v4: 'c0 01 00', v5: 'c0 01 00', rc5: 0x81 },
  { clause: 'MQTT-2.2.2-2', what: '3.1.1 PUBACK with a trailing byte', v4: '40 03 0001 00' },
  {
    clause: 'MQTT-3.3.4-6',
    what: 'Subscription Identifier in a client PUBLISH',
    v5: '30 07 0001 61 02 0b01 78',
    rc5: 0x82,
  },
  {
    clause: 'MQTT-3.3.2-14',
    what: 'wildcard in a Response Topic',
    v5: '30 09 0001 61 04 08000123 78',
    rc5: 0x82,
  },
  { clause: 'MQTT 5 §3.3.2.3.4', what: 'Topic Alias 0', v5: '30 08 0001 61 03 230000 78', rc5: 0x94 },
  {
    clause: 'MQTT 5 §3.3.2.3.4',
    what: 'Topic Alias above the maximum',
    v5: '30 08 0001 61 03 23ffff 78',
    rc5: 0x94,
  },
  {
    clause: 'MQTT 5 §3.3.2.3.4',
    what: 'empty topic with an unknown Topic Alias',
    v5: '30 07 0000 03 230005 78',
    rc5: 0x82,
  },
  {
    clause: 'MQTT 5 §2.2.2.2',
    what: 'a single-valued property twice (Content Type)',
    v5: '30 0d 0001 61 08 03000161 03000162 78',
    rc5: 0x82,
  },
  {
    clause: 'MQTT 5 §2.2.2.2',
    what: 'a property not allowed in PUBLISH (Session Expiry)',
    v5: '30 0a 0001 61 05 1100000001 78',
    rc5: 0x82,
  },
  {
    clause: 'MQTT 5 §3.8.2.1.2',
    what: 'Subscription Identifier 0',
    v5: '82 09 0001 02 0b00 0001 61 00',
    rc5: 0x82,
  },
];

/** CONNECT rows: 3.1.1 is closed without CONNACK; MQTT 5 gets CONNACK `rc5` when given. */
export const CONNECTS: Row[] = [
  {
    clause: 'MQTT 5 §3.1.2.11.7',
    what: 'Request Problem Information 2',
    v5: `10 10 ${MQTT} 05 02 0000 02 1702 0001 61`,
    rc5: 0x82,
  },
  {
    clause: 'MQTT-3.1.2-1',
    what: 'protocol name MQIsdp with level 5',
    v5: `10 10 00064d5149736470 05 02 0000 00 0001 61`,
    rc5: 0x84,
  },
  {
    clause: 'MQTT-4.12.0-1',
    what: 'an Authentication Method (enhanced auth is not supported)',
    v5: `10 12 ${MQTT} 05 02 0000 04 15000178 0001 61`,
    rc5: 0x8c,
  },
  {
    clause: 'MQTT-3.1.2-1',
    what: 'protocol name other than MQTT',
    v4: `10 0d 00044d515458 04 02 0000 0001 61`,
    v5: `10 0e 00044d515458 05 02 0000 00 0001 61`,
  },
  {
    clause: 'MQTT-3.1.2-3',
    what: 'reserved CONNECT flag bit set',
    v4: `10 0d ${MQTT} 04 03 0000 0001 61`,
    v5: `10 0e ${MQTT} 05 03 0000 00 0001 61`,
  },
  {
    clause: 'MQTT-3.1.2-14',
    what: 'Will QoS 3',
    v4: `10 12 ${MQTT} 04 1e 0000 0001 61 0001 74 0000`,
    v5: `10 14 ${MQTT} 05 1e 0000 00 0001 61 00 0001 74 0000`,
    rc5: 0x81,
  },
  {
    clause: 'MQTT-3.1.2-13',
    what: 'will flag 0 with Will QoS 1',
    v4: `10 0d ${MQTT} 04 0a 0000 0001 61`,
    v5: `10 0e ${MQTT} 05 0a 0000 00 0001 61`,
  },
  {
    clause: 'MQTT-3.1.2-15',
    what: 'will flag 0 with Will Retain',
    v4: `10 0d ${MQTT} 04 22 0000 0001 61`,
    v5: `10 0e ${MQTT} 05 22 0000 00 0001 61`,
  },
  {
    clause: 'MQTT-2.2.2-2',
    what: 'trailing bytes after the CONNECT fields',
    v4: `10 0e ${MQTT} 04 02 0000 0001 61 00`,
    v5: `10 0f ${MQTT} 05 02 0000 00 0001 61 00`,
  },
  {
    clause: 'MQTT-1.5.3-1',
    what: 'invalid UTF-8 in the client id',
    v4: `10 0d ${MQTT} 04 02 0000 0001 ff`,
    v5: `10 0e ${MQTT} 05 02 0000 00 0001 ff`,
  },
  {
    clause: 'MQTT-1.5.3-2',
    what: 'U+0000 in the client id',
    v4: `10 0d ${MQTT} 04 02 0000 0001 00`,
    v5: `10 0e ${MQTT} 05 02 0000 00 0001 00`,
  },
  {
    clause: 'MQTT-1.5.3-1',
    what: 'invalid UTF-8 in the user name',
    v4: `10 10 ${MQTT} 04 82 0000 0001 61 0001 ff`,
    v5: `10 11 ${MQTT} 05 82 0000 00 0001 61 0001 ff`,
  },
  {
    clause: 'MQTT-1.5.3-1',
    what: 'surrogate in the will topic',
    v4: `10 14 ${MQTT} 04 06 0000 0001 61 0003 eda080 0000`,
    v5: `10 16 ${MQTT} 05 06 0000 00 0001 61 00 0003 eda080 0000`,
  },
  {
    clause: 'MQTT-3.1.2-22',
    what: '3.1.1 password without user name',
    v4: `10 10 ${MQTT} 04 42 0000 0001 61 0001 70`,
  },
  {
    clause: 'MQTT 5 §3.1.2.11.3',
    what: 'Receive Maximum 0',
    v5: `10 11 ${MQTT} 05 02 0000 03 210000 0001 61`,
    rc5: 0x82,
  },
  {
    clause: 'MQTT 5 §3.1.2.11.4',
    what: 'Maximum Packet Size 0',
    v5: `10 13 ${MQTT} 05 02 0000 05 2700000000 0001 61`,
    rc5: 0x82,
  },
  {
    clause: 'MQTT 5 §2.2.2.2',
    what: 'Session Expiry Interval twice',
    v5: `10 18 ${MQTT} 05 02 0000 0a 1100000001 1100000002 0001 61`,
    rc5: 0x82,
  },
  {
    clause: 'MQTT 5 §2.2.2.2',
    what: 'Topic Alias (a PUBLISH property) in CONNECT',
    v5: `10 11 ${MQTT} 05 02 0000 03 230001 0001 61`,
    rc5: 0x82,
  },
];
