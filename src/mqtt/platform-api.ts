/** Small pieces of the BrokerApi: the hooks a new broker starts with, and platform publishes. */
import type { BrokerHooks, PublishRequest, PublishResult } from './api.js';
import type { BrokerCounters } from './host.js';
import type { RouteResult } from './route.js';
import { MqttErrors } from './errors.js';
import { RC } from './reason-codes.js';
import { topicNameError } from './topics.js';
import type { Message } from './types.js';

/** Until the platform sets its hooks: anonymous clients per `allowAnonymous`, everything allowed. */
export function defaultHooks(allowAnonymous: boolean): BrokerHooks {
  return {
    authenticate: (_c, username) =>
      allowAnonymous
        ? { ok: true }
        : { ok: false, reasonCode: username === undefined ? RC.notAuthorized : RC.badUserNameOrPassword },
    authorizePublish: () => true,
    authorizeSubscribe: () => true,
    onConnect: () => undefined,
    onDisconnect: () => undefined,
  };
}

/** A platform publish (`BrokerApi.publish`) as a routed message; throws on an invalid topic. */
export function requestMessage(req: PublishRequest, now: number): Message {
  const why = topicNameError(req.topic, { maxTopicLength: Infinity, maxTopicLevels: Infinity });
  if (why) throw MqttErrors.invalidTopic(req.topic, 'not a valid topic name');
  const props = req.properties;
  const expiry = props?.messageExpiryInterval;
  let properties = props;
  if (expiry !== undefined) {
    properties = { ...props };
    delete properties.messageExpiryInterval;
    if (Object.keys(properties).length === 0) properties = undefined;
  }
  return {
    topic: req.topic,
    payload: typeof req.payload === 'string' ? Buffer.from(req.payload) : req.payload,
    qos: req.qos ?? 0,
    retain: req.retain ?? false,
    properties,
    publisherId: undefined,
    expiresAt: expiry !== undefined ? now + expiry * 1000 : undefined,
  };
}

/** What a routed platform publish did, once it may be acknowledged (read after its wait: remote nodes' drops come in by then). */
export async function publishResult(r: RouteResult, counters: BrokerCounters): Promise<PublishResult> {
  if (r.wait) await r.wait;
  counters.platformDropped += r.dropCount;
  return { delivered: r.delivered, forwarded: r.forwarded, dropCount: r.dropCount, drops: r.drops ?? [] };
}
