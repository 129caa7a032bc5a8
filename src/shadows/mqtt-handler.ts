/**
 * Server-side handler for `$aws/things/+/shadow/#`. Every request gets exactly one answer on
 * `…/accepted` or `…/rejected`; nothing a device sends can make the handler throw (AWS IoT
 * Developer Guide, "Device Shadow MQTT topics" and "Device Shadow error messages").
 */
import type { Actor } from '../core/events.js';
import { TsunaguError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BrokerApi, BrokerMessage, MessageHandler } from '../mqtt/api.js';
import { decodePayload, errorResponse, MAX_CLIENT_TOKEN_BYTES } from './document.js';
import { ShadowErrors } from './errors.js';
import { isObject } from './json.js';
import type { ShadowService } from './service.js';
import { parseShadowTopic, shadowPrefix, SHADOW_NAME } from './topics.js';

export interface HandlerDeps {
  service: ShadowService;
  broker: BrokerApi;
  log: Logger;
  now(): number;
  /** The request size limit for this device (its model's maxDocumentBytes, or the default). */
  maxBytes(deviceId: string): Promise<number>;
  /** True when the publisher is an anonymous client (then the thing name is not tied to it). */
  isAnonymous(clientId: string): boolean;
}

function tokenOf(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const t = body.clientToken;
  return typeof t === 'string' && Buffer.byteLength(t) <= MAX_CLIENT_TOKEN_BYTES ? t : undefined;
}

export function shadowMessageHandler(deps: HandlerDeps): MessageHandler {
  return async (msg: BrokerMessage) => {
    const t = parseShadowTopic(msg.topic);
    if (!t) return; // our own responses and unknown stubs
    const prefix = shadowPrefix(t.thing, t.name);
    let body: unknown;
    try {
      // The thing in the topic must be the publishing device (the registry ACL already says so).
      if (msg.clientId !== undefined && msg.clientId !== t.thing && !deps.isAnonymous(msg.clientId))
        throw ShadowErrors.forbidden();
      if (t.name !== '' && !SHADOW_NAME.test(t.name)) throw ShadowErrors.invalidName(t.name);
      body = decodePayload(msg.payload, await deps.maxBytes(t.thing));
      const actor: Actor =
        msg.clientId === undefined ? { kind: 'system', id: 'broker' } : { kind: 'device', id: msg.clientId };
      switch (t.op) {
        case 'get': {
          const doc = await deps.service.get(t.thing, t.name, body);
          await deps.broker.publish({
            topic: `${prefix}/get/accepted`,
            payload: JSON.stringify(doc),
            qos: 1,
          });
          return;
        }
        case 'update':
          // accepted/delta/documents are published by the service (the same path as HTTP updates)
          await deps.service.update(t.thing, t.name, body, actor);
          return;
        case 'delete':
          await deps.service.delete(t.thing, t.name, body, actor);
          return;
      }
    } catch (err) {
      const known = err instanceof TsunaguError && err.statusCode < 500;
      if (!known) deps.log.error({ err, topic: msg.topic }, 'shadow request failed');
      const e = known ? err : ShadowErrors.internal();
      const reply = errorResponse(e.statusCode, e.message, deps.now(), tokenOf(body));
      try {
        await deps.broker.publish({
          topic: `${prefix}/${t.op}/rejected`,
          payload: JSON.stringify(reply),
          qos: 1,
        });
      } catch (pubErr) {
        deps.log.warn({ err: pubErr, topic: msg.topic }, 'shadow rejection publish failed');
      }
    }
  };
}
