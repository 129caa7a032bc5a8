/**
 * The MQTT 3.1.1 / 5.0 broker: the public face of `src/mqtt` (ARCHITECTURE.md). Other modules use
 * `BrokerApi` (api.ts); app.ts creates the broker and its listeners.
 */
import { BrokerImpl, type BrokerOptions } from './broker.js';
import type { Broker } from './api.js';

export type * from './api.js';
export type { BrokerOptions } from './broker.js';
export { listenTcp, listenTls, listenWss, attachWebSocket } from './listeners.js';
export { createAclFileHooks, parseAclFile } from './acl-file.js';
export { RC as MqttReasonCodes } from './reason-codes.js';

export function createBroker(opts: BrokerOptions): Broker {
  return new BrokerImpl(opts);
}
export { allOf } from './hooks-compose.js';
export { filterMatches } from './topics.js';
export { isBrokerReservedTopic } from './reserved-topics.js';
export { SubscriptionTrie } from './trie.js';
// The fan-out seam for a cluster fan-out (issue 13, src/cluster/).
export type { FanOut, FanOutFactory, FanOutHost, RouteScope } from './fan-out.js';
export { ForwardTimeoutError, SessionBusyError } from './fan-out.js';
export type { HandedResend } from './qos2-resend.js';
export type { Message, Subscription } from './types.js';
export { Route, type DropReason } from './route.js';
export { routeTraced, tracedRoute } from './trace.js';
export { describeDrops, PublishDroppedError, requireDelivered } from './publish-result.js';
