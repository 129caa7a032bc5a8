/** Action dispatch: one sender per action type (one file each), sharing connections per URL. */
import type { BrokerApi } from '../../mqtt/index.js';
import type { ActionDef, Delivery } from '../types.js';
import { AmqpLinks } from './amqp.js';
import { sendHttp } from './http.js';
import { NatsLinks } from './nats.js';
import { PostgresPools } from './postgres.js';
import { PlatformSender, type PlatformActions } from './platform.js';
import { sendRepublish } from './republish.js';

export { republishRefusal, RULE_PATH_PROPERTY } from './republish.js';
export type { PlatformActions, RuleAlarmRequest, RuleCommandRequest, RuleNotification } from './platform.js';

export class ActionRunner {
  private readonly pg = new PostgresPools();
  private readonly amqp = new AmqpLinks();
  private readonly nats = new NatsLinks();
  readonly platform: PlatformSender;

  constructor(
    private readonly broker: BrokerApi,
    private readonly now: () => number,
    platform?: PlatformActions,
  ) {
    this.platform = new PlatformSender(platform, now);
  }

  send(a: ActionDef, d: Delivery): Promise<void> {
    switch (a.type) {
      case 'republish':
        return sendRepublish(this.broker, a, d.request);
      case 'http':
        return sendHttp(a, d.request, d.id, this.now());
      case 'postgres':
        return this.pg.send(a, d.request);
      case 'amqp':
        return this.amqp.send(a, d.request, d.id);
      case 'nats':
        return this.nats.send(a, d.request, d.id);
      default:
        return this.platform.send(a, d);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pg.close(), this.amqp.close(), this.nats.close()]);
  }
}

/** The resource an action writes to, as the error action's `failedResource` names it (no secrets). */
export function resourceOf(a: ActionDef, d: Delivery): string {
  switch (a.type) {
    case 'http': {
      try {
        const u = new URL(d.request.target);
        return `${u.origin}${u.pathname}`;
      } catch {
        return d.request.target;
      }
    }
    case 'amqp':
      return `${a.exchange || '(default)'}/${d.request.target}`;
    case 'shadow':
      return `${d.request.target}/${a.shadowName ?? ''}/${a.section ?? 'desired'}`;
    case 'command':
      return `${d.request.target}/${a.name}`;
    default:
      return d.request.target;
  }
}
