/**
 * From a matched message to the requests its actions will send (persisted in the queue, so a
 * retry after a restart sends the same bytes): templates are evaluated against the incoming
 * message, the body is the SELECT output. Secrets stay in the rule and are added at send time.
 */
import type { ActionTemplates } from './definition.js';
import type { MessageEnv } from './sql-functions.js';
import { toJson, type Value } from './sql-values.js';
import { renderText, renderValue } from './template.js';
import type { ActionDef, Origin, Rendered } from './types.js';

export function bodyOf(output: Value): { body: Buffer; contentType: string } {
  if (Buffer.isBuffer(output)) return { body: output, contentType: 'application/octet-stream' };
  return { body: Buffer.from(toJson(output ?? null)), contentType: 'application/json' };
}

function textMap(
  t: ActionTemplates,
  prefix: string,
  env: MessageEnv,
  payload: Value,
): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const [k, tpl] of t)
    if (k.startsWith(prefix)) (out ??= {})[k.slice(prefix.length)] = renderText(tpl, env, payload);
  return out;
}

export function render(
  a: ActionDef,
  t: ActionTemplates,
  env: MessageEnv,
  payload: Value,
  output: Value,
): Rendered {
  const text = (field: string): string => renderText(t.get(field)!, env, payload);
  const { body, contentType } = bodyOf(output);
  switch (a.type) {
    case 'republish': {
      const userProperties = textMap(t, 'userProperties.', env, payload);
      return {
        target: text('topic'),
        body: body.toString('base64'),
        contentType,
        ...(userProperties ? { headers: userProperties } : {}),
      };
    }
    case 'http': {
      const headers = textMap(t, 'headers.', env, payload);
      const b = t.has('body') ? Buffer.from(text('body')) : body;
      return {
        target: text('url'),
        body: b.toString('base64'),
        contentType: t.has('body') ? 'text/plain; charset=utf-8' : contentType,
        ...(headers ? { headers } : {}),
      };
    }
    case 'postgres':
      return {
        target: a.table,
        values: Object.keys(a.columns).map((c): [string, unknown] => {
          const v = renderValue(t.get(`columns.${c}`)!, env, payload);
          return [c, v === undefined ? null : v !== null && typeof v === 'object' ? toJson(v) : v];
        }),
      };
    case 'amqp':
      return { target: text('routingKey'), body: body.toString('base64'), contentType };
    case 'nats':
      return { target: text('subject'), body: body.toString('base64'), contentType };
    case 'telemetry':
    case 'shadow':
    case 'command': {
      const device = text('device');
      if (device.length === 0) throw new Error(`${a.type} action: the device template gave an empty id`);
      return { target: device, body: body.toString('base64'), contentType };
    }
    case 'notify':
    case 'alarm': {
      const device = t.has('device') ? text('device') : '';
      return {
        target: text(a.type === 'notify' ? 'title' : 'message'),
        body: body.toString('base64'),
        contentType,
        ...(device ? { device } : {}),
      };
    }
  }
}

/** AWS IoT's error action payload: what failed, and the message that caused it. */
export interface ErrorPayload {
  ruleName: string;
  topic: string;
  clientId: string;
  base64OriginalPayload: string;
  failures: { failedAction: string; failedResource: string; errorMessage: string }[];
}

const AWS_NAMES: Record<string, string> = {
  republish: 'RepublishAction',
  http: 'HttpAction',
  postgres: 'PostgresAction',
  amqp: 'AmqpAction',
  nats: 'NatsAction',
  telemetry: 'TelemetryAction',
  shadow: 'ShadowAction',
  command: 'CommandAction',
  notify: 'NotifyAction',
  alarm: 'AlarmAction',
};

export function errorPayload(
  rule: string,
  origin: Origin,
  action: ActionDef | string,
  resource: string,
  message: string,
): ErrorPayload {
  return {
    ruleName: rule,
    topic: origin.topic,
    clientId: origin.clientId ?? 'n/a',
    base64OriginalPayload: origin.payload,
    failures: [
      {
        failedAction: typeof action === 'string' ? action : (AWS_NAMES[action.type] ?? action.type),
        failedResource: resource,
        errorMessage: message,
      },
    ],
  };
}
