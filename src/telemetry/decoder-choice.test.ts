/** Which decoder a model gives a message: the first matching `decoders` entry, else `decoder`, else none. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceModelInfo } from '../core/devices.js';
import { chooseDecoderId, type MessageOrigin } from './decoder-choice.js';

const SCOOTER: Pick<DeviceModelInfo, 'decoder' | 'decoders'> = {
  decoders: [
    { match: { transport: 'mqtt', topic: 'devices/+/events' }, decoder: 'scooter-json' },
    { match: { transport: 'telegram' }, decoder: 'scooter-csv' },
  ],
};
const WITH_FALLBACK = { ...SCOOTER, decoder: 'scooter-fallback' };
const ORDERED: Pick<DeviceModelInfo, 'decoder' | 'decoders'> = {
  decoders: [
    { match: { topic: 'devices/+/events/alarm' }, decoder: 'alarm' }, // topic alone implies mqtt
    { match: { topic: 'devices/+/events/#' }, decoder: 'events' },
    { match: {}, decoder: 'everything-else' },
  ],
};
const SINGLE = { decoder: 'only-one' };

const mqtt = (topic: string): MessageOrigin => ({ transport: 'mqtt', topic });
const telegram: MessageOrigin = { transport: 'telegram', topic: 'telegram/127.0.0.1:5000' };
const httpJson: MessageOrigin = { transport: 'http', topic: 'http' };

const cases: [string, Pick<DeviceModelInfo, 'decoder' | 'decoders'>, MessageOrigin, string | undefined][] = [
  ['mqtt events → the JSON decoder', SCOOTER, mqtt('devices/sc-1/events'), 'scooter-json'],
  ['telegram → the CSV decoder', SCOOTER, telegram, 'scooter-csv'],
  [
    'mqtt telemetry matches nothing and there is no decoder → built-in',
    SCOOTER,
    mqtt('devices/sc-1/telemetry'),
    undefined,
  ],
  ['http JSON matches nothing → built-in', SCOOTER, httpJson, undefined],
  [
    'no match falls back to the single decoder field',
    WITH_FALLBACK,
    mqtt('devices/sc-1/telemetry'),
    'scooter-fallback',
  ],
  ['a match wins over the single decoder field', WITH_FALLBACK, telegram, 'scooter-csv'],
  ['the single decoder field alone: every transport', SINGLE, telegram, 'only-one'],
  ['the single decoder field alone: mqtt', SINGLE, mqtt('devices/x/events'), 'only-one'],
  ['no decoder at all', {}, mqtt('devices/x/events'), undefined],
  ['first match wins: the narrower entry listed first', ORDERED, mqtt('devices/d/events/alarm'), 'alarm'],
  ['"#" matches deeper levels', ORDERED, mqtt('devices/d/events/door/open'), 'events'],
  ['"#" matches the parent level too [MQTT-4.7.1-2]', ORDERED, mqtt('devices/d/events'), 'events'],
  ['an empty match is a catch-all', ORDERED, mqtt('devices/d/telemetry'), 'everything-else'],
  ['a topic entry never matches a telegram', ORDERED, telegram, 'everything-else'],
  ['"+" is exactly one level', SCOOTER, mqtt('devices/a/b/events'), undefined],
];

for (const [name, model, origin, want] of cases)
  test(name, () => {
    assert.equal(chooseDecoderId(model, origin), want);
  });
