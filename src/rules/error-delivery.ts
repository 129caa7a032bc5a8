/**
 * The error action's delivery (AWS error action payload): for a delivery that failed its last
 * attempt, and for a message stopped by loop protection. Its templates read the original message,
 * like the rule's other actions.
 */
import { randomUUID } from 'node:crypto';
import { resourceOf } from './actions/index.js';
import { DEFAULT_MAX_ATTEMPTS } from './backoff.js';
import { templateFields } from './definition.js';
import { errorPayload, render } from './render.js';
import type { MessageEnv } from './sql-functions.js';
import { payloadValue, type Value } from './sql-values.js';
import { compileTemplate } from './template.js';
import type { ActionDef, Delivery, Origin, RuleDef } from './types.js';

interface Failure {
  action: ActionDef | string;
  resource: string;
  message: string;
}

function errorDelivery(
  rule: RuleDef,
  origin: Origin,
  failure: Failure,
  now: number,
  path: readonly string[] = [rule.name],
): Delivery | undefined {
  const ea = rule.errorAction;
  if (!ea) return undefined;
  const body = errorPayload(rule.name, origin, failure.action, failure.resource, failure.message);
  const env: MessageEnv = {
    topic: origin.topic,
    clientId: origin.clientId ?? undefined,
    principal: undefined,
    raw: Buffer.from(origin.payload, 'base64'),
    now,
  };
  const payload = payloadValue(env.raw);
  const templates = new Map(templateFields(ea).map(([k, src]) => [k, compileTemplate(src)]));
  const request = render(ea, templates, env, payload, body as unknown as Value);
  // An error action republishing where its rule listens is a loop too: it carries the rule path.
  if (ea.type === 'republish') request.rulePath = path.join(',');
  return {
    id: randomUUID(),
    rule: rule.name,
    action: -1,
    actionType: ea.type,
    request,
    origin,
    status: 'pending',
    attempts: 0,
    maxAttempts: ea.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    nextAttemptAt: now,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** For a delivery that failed its last attempt. */
export function makeErrorDelivery(
  d: Delivery,
  rule: RuleDef | undefined,
  error: string,
  now: number,
): Delivery | undefined {
  if (!rule) return undefined;
  const failed: ActionDef | undefined = rule.actions[d.action];
  return errorDelivery(
    rule,
    d.origin,
    {
      action: failed ?? rule.errorAction ?? 'UnknownAction',
      resource: failed ? resourceOf(failed, d) : d.request.target,
      message: error,
    },
    now,
  );
}

/** For a message loop protection stopped (failedAction `LoopProtection`, resource = the rule path). */
export function makeLoopErrorDelivery(
  rule: RuleDef,
  origin: Origin,
  path: readonly string[],
  message: string,
  now: number,
): Delivery | undefined {
  return errorDelivery(
    rule,
    origin,
    { action: 'LoopProtection', resource: path.join(' → '), message },
    now,
    path,
  );
}
