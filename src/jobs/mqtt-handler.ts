/**
 * Server-side handler for `$aws/things/+/jobs/#`. Every request gets exactly one answer on
 * `…/accepted` or `…/rejected`, carrying the request's clientToken and a timestamp (AWS IoT Jobs MQTT
 * API); nothing a client sends makes the handler throw.
 */
import { activeContext, type Logger, withSpan } from '../core/index.js';
import { describeDrops, type BrokerApi, type BrokerMessage, type MessageHandler } from '../mqtt/index.js';
import type { DeviceApi } from './device-api.js';
import { parsePayload, readDescribe, readStartNext, readUpdate, tokenOf } from './device-requests.js';
import { seconds } from './device-views.js';
import { DeviceJobError, deviceError } from './errors.js';
import { answerBase, parseJobsTopic, type JobsRequest } from './topics.js';

/** May this client publish this jobs request topic? (The app injects the broker's publish ACL.) */
export type AuthorizeRequest = (clientId: string, topic: string) => boolean | Promise<boolean>;

export interface HandlerDeps {
  api: DeviceApi;
  broker: BrokerApi;
  log: Logger;
  now(): number;
  authorize: AuthorizeRequest;
  /** Counts answers by operation and outcome (metrics). */
  answered?(op: JobsRequest['op'], outcome: string): void;
}

async function answer(
  deps: HandlerDeps,
  r: JobsRequest,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  switch (r.op) {
    case 'list':
      return deps.api.list(r.thing);
    case 'start-next':
      return deps.api.startNext(r.thing, readStartNext(body));
    case 'describe':
      return deps.api.describe(r.thing, r.jobId, readDescribe(body));
    case 'update':
      return deps.api.update(r.thing, r.jobId, readUpdate(body));
    case 'invalid':
      throw deviceError('InvalidTopic', 'the topic does not map to a jobs API');
  }
}

export function jobsMessageHandler(deps: HandlerDeps): MessageHandler {
  return async (msg: BrokerMessage) => {
    const r = parseJobsTopic(msg.topic);
    if (!r) return; // answers and events, ours
    const base = answerBase(r);
    const parent = activeContext(); // the message's trace, before the awaits below
    let token: string | undefined;
    try {
      const allowed = msg.clientId === undefined || (await deps.authorize(msg.clientId, msg.topic));
      const body = parsePayload(msg.payload);
      token = tokenOf(body);
      if (!allowed) throw deviceError('InvalidRequest', 'not authorized for this thing');
      const out = await withSpan(
        `job ${r.op}`,
        { parent, attributes: { 'tsunagu.job.id': 'jobId' in r ? r.jobId : '' } },
        () => answer(deps, r, body),
      );
      const reply = {
        ...out,
        timestamp: seconds(deps.now()),
        ...(token !== undefined ? { clientToken: token } : {}),
      };
      const sent = await deps.broker.publish({
        topic: `${base}/accepted`,
        payload: JSON.stringify(reply),
        qos: 1,
      });
      deps.answered?.(r.op, 'accepted');
      if (sent.dropCount > 0)
        deps.log.warn({ topic: `${base}/accepted`, drops: sent.drops }, `jobs answer ${describeDrops(sent)}`);
    } catch (err) {
      const e = err instanceof DeviceJobError ? err : deviceError('InternalError', 'internal error');
      if (!(err instanceof DeviceJobError)) deps.log.error({ err, topic: msg.topic }, 'jobs request failed');
      const reply = {
        code: e.awsCode,
        message: e.message,
        timestamp: seconds(deps.now()),
        ...(token !== undefined ? { clientToken: token } : {}),
        ...(e.executionState ? { executionState: e.executionState } : {}),
      };
      try {
        await deps.broker.publish({ topic: `${base}/rejected`, payload: JSON.stringify(reply), qos: 1 });
        deps.answered?.(r.op, e.awsCode);
      } catch (pubErr) {
        deps.log.warn({ err: pubErr, topic: msg.topic }, 'jobs rejection publish failed');
      }
    }
  };
}
