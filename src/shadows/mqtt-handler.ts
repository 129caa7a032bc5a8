/**
 * Server-side handler for `$aws/things/+/shadow/#`. Every request gets exactly one answer on
 * `…/accepted` or `…/rejected`, and every answer carries the request's clientToken when one can be
 * read; nothing a client sends can make the handler throw (AWS IoT Developer Guide, "Device Shadow
 * MQTT topics" and "Device Shadow error messages").
 */
import { activeContext, type Actor, type Logger, TsunaguError } from '../core/index.js';
import type { BrokerApi, BrokerMessage, MessageHandler } from '../mqtt/index.js';
import { clientTokenOf, recoverClientToken, tokenOf } from './client-token.js';
import { decodePayload, errorResponse } from './document.js';
import { ShadowErrors } from './errors.js';
import type { ShadowService } from './service.js';
import { parseShadowTopic, shadowPrefix, SHADOW_NAME, type ShadowTopic } from './topics.js';

/** May this client publish this shadow request topic? (The app injects the broker's publish ACL.) */
export type AuthorizeRequest = (clientId: string, topic: string) => boolean | Promise<boolean>;

export interface HandlerDeps {
  service: ShadowService;
  broker: BrokerApi;
  log: Logger;
  now(): number;
  /** The request size limit for this device (its model's maxDocumentBytes, or the default). */
  maxBytes(deviceId: string): Promise<number>;
  authorize: AuthorizeRequest;
}

/** What the handler knows of the request so far; the token goes into any rejection. */
interface Request {
  msg: BrokerMessage;
  t: ShadowTopic;
  body: unknown;
  clientToken?: string;
}

/** Parse the body; when it is too large or not JSON, still find its token before rejecting. */
async function readBody(deps: HandlerDeps, req: Request): Promise<void> {
  const { payload } = req.msg;
  try {
    req.body = decodePayload(payload, await deps.maxBytes(req.t.thing));
  } catch (err) {
    req.clientToken = recoverClientToken(payload);
    // AWS shadow "/delete": the content of the message is ignored.
    if (req.t.op === 'delete') return;
    throw err;
  }
  req.clientToken = tokenOf(req.body);
}

async function handle(deps: HandlerDeps, req: Request): Promise<void> {
  const { msg, t } = req;
  const parent = activeContext(); // the message's trace, before the awaits below
  const prefix = shadowPrefix(t.thing, t.name);
  // The client may use this thing's shadow when its publish ACL allows the request topic (an AWS
  // policy's iot:Publish on it): the thing itself by default, an app or gateway when granted.
  const allowed = msg.clientId === undefined || (await deps.authorize(msg.clientId, msg.topic));
  if (!allowed) {
    req.clientToken = clientTokenOf(msg.payload);
    throw ShadowErrors.forbidden();
  }
  if (t.name !== '' && !SHADOW_NAME.test(t.name)) {
    req.clientToken = clientTokenOf(msg.payload);
    throw ShadowErrors.invalidName(t.name);
  }
  await readBody(deps, req);
  const actor: Actor =
    msg.clientId === undefined ? { kind: 'system', id: 'broker' } : { kind: 'device', id: msg.clientId };
  switch (t.op) {
    case 'get': {
      const doc = await deps.service.get(t.thing, t.name, req.body);
      await deps.broker.publish({ topic: `${prefix}/get/accepted`, payload: JSON.stringify(doc), qos: 1 });
      return;
    }
    case 'update':
      // accepted/delta/documents are published by the service (the same path as HTTP updates)
      await deps.service.update(t.thing, t.name, req.body, actor, parent);
      return;
    case 'delete': {
      const token = req.clientToken;
      await deps.service.delete(t.thing, t.name, token === undefined ? {} : { clientToken: token }, actor);
      return;
    }
  }
}

export function shadowMessageHandler(deps: HandlerDeps): MessageHandler {
  return async (msg: BrokerMessage) => {
    const t = parseShadowTopic(msg.topic);
    if (!t) return; // our own responses and unknown stubs
    const req: Request = { msg, t, body: undefined };
    try {
      await handle(deps, req);
    } catch (err) {
      const known = err instanceof TsunaguError && err.statusCode < 500;
      if (!known) deps.log.error({ err, topic: msg.topic }, 'shadow request failed');
      const e = known ? err : ShadowErrors.internal();
      const reply = errorResponse(e.statusCode, e.message, deps.now(), req.clientToken);
      try {
        await deps.broker.publish({
          topic: `${shadowPrefix(t.thing, t.name)}/${t.op}/rejected`,
          payload: JSON.stringify(reply),
          qos: 1,
        });
      } catch (pubErr) {
        deps.log.warn({ err: pubErr, topic: msg.topic }, 'shadow rejection publish failed');
      }
    }
  };
}
