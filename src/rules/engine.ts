/**
 * Runs rules on messages. Each enabled rule is one server-side subscription on the broker's
 * fan-out (`BrokerApi.subscribe`), so the broker's topic trie picks the rules whose FROM filter
 * matches and a message costs only those; rules on platform event pseudo-topics
 * (`$tsunagu/events/…`, events.ts) sit in a trie of their own fed from the event bus. A rule runs
 * on the node that received the message (stateless); its actions go to the persisted queue.
 *
 * A rule that fails on one message (an exception while evaluating, an I/O function that failed)
 * counts the error and goes on; the message's other rules are not affected.
 */
import { randomUUID } from 'node:crypto';
import { type Clock, type Logger, withChildSpan } from '../core/index.js';
import type { BrokerApi, BrokerMessage } from '../mqtt/index.js';
import { SubscriptionTrie } from '../mqtt/index.js';
import { RULE_PATH_PROPERTY } from './actions/index.js';
import { DEFAULT_MAX_ATTEMPTS } from './backoff.js';
import { makeLoopErrorDelivery } from './error-delivery.js';
import type { CompiledRule, RuleLimits } from './definition.js';
import type { RulesMetrics } from './metrics.js';
import type { DeliveryQueue } from './queue.js';
import { render } from './render.js';
import { evaluate, prefetch, type AsyncFunctionHost } from './sql-eval.js';
import type { MessageEnv } from './sql-functions.js';
import { payloadValue, type Value } from './sql-values.js';
import type { Delivery, Origin } from './types.js';

export const EVENT_TOPIC_PREFIX = '$tsunagu/events/';

interface Active {
  rule: CompiledRule;
  unsubscribe: () => void;
  /** Token buckets of the actions with `ratePerSecond`: [tokens, last refill ms]. */
  buckets: ([number, number] | undefined)[];
}

export interface EngineDeps {
  broker: BrokerApi;
  clock: Clock;
  log: Logger;
  queue: DeliveryQueue;
  metrics: RulesMetrics;
  limits: RuleLimits;
  /** get_shadow / device / decoded. */
  io: AsyncFunctionHost;
}

/** A message as the engine sees it (from the broker or the event bus). */
export interface RuleMessage {
  topic: string;
  payload: Buffer;
  clientId?: string;
  properties?: BrokerMessage['properties'];
}

/** The rule path of a message the platform published (a client's claim is not believed). */
function rulePathOf(msg: RuleMessage): readonly string[] {
  if (msg.clientId !== undefined) return [];
  const v = msg.properties?.userProperties?.[RULE_PATH_PROPERTY];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  return s ? s.split(',') : [];
}

export class RuleEngine {
  private readonly active = new Map<string, Active>();
  private readonly events = new SubscriptionTrie<Active>();
  /** Filters of the event rules, to tell whether a source has any reader (telemetry.decoded). */
  private readonly eventFilters = new Map<string, number>();
  /** Called when the set of event rules changes (the module subscribes to costly sources on demand). */
  onEventRulesChanged: (() => void) | undefined;
  /** One JSON parse per message, whichever number of rules read it. */
  private readonly parsed = new WeakMap<Buffer, Value>();

  constructor(private readonly d: EngineDeps) {}

  get(name: string): CompiledRule | undefined {
    return this.active.get(name)?.rule;
  }

  get size(): number {
    return this.active.size;
  }

  /** Install or replace a rule; a disabled rule is kept (for its queued deliveries) but not subscribed. */
  set(rule: CompiledRule): void {
    this.remove(rule.def.name);
    const a: Active = { rule, unsubscribe: () => undefined, buckets: rule.def.actions.map(() => undefined) };
    if (rule.def.enabled) {
      const filter = rule.statement.stmt.from;
      if (filter.startsWith(EVENT_TOPIC_PREFIX)) {
        this.events.addHandler(filter, a);
        this.eventFilters.set(filter, (this.eventFilters.get(filter) ?? 0) + 1);
        a.unsubscribe = () => {
          this.events.removeHandler(filter, a);
          const n = (this.eventFilters.get(filter) ?? 1) - 1;
          if (n === 0) this.eventFilters.delete(filter);
          else this.eventFilters.set(filter, n);
          this.onEventRulesChanged?.();
        };
        this.onEventRulesChanged?.();
      } else
        a.unsubscribe = this.d.broker.subscribe(filter, (m) =>
          withChildSpan('rule evaluate', { 'tsunagu.rule': a.rule.def.name }, () => this.onMessage(a, m)),
        );
    }
    this.active.set(rule.def.name, a);
  }

  remove(name: string): void {
    const a = this.active.get(name);
    if (!a) return;
    a.unsubscribe();
    this.active.delete(name);
  }

  clear(): void {
    for (const name of [...this.active.keys()]) this.remove(name);
  }

  /** Does any event rule select `$tsunagu/events/<kind>/…`? */
  readsEvents(kind: string): boolean {
    for (const f of this.eventFilters.keys()) {
      const level = f.slice(EVENT_TOPIC_PREFIX.length).split('/')[0];
      if (level === kind || level === '+' || level === '#') return true;
    }
    return false;
  }

  /** A platform event as a message on its pseudo-topic. */
  emitEvent(topic: string, payload: unknown): Promise<void> | undefined {
    const hits = this.events.match(topic).handlers as Active[];
    if (hits.length === 0) return undefined;
    const msg: RuleMessage = { topic, payload: Buffer.from(JSON.stringify(payload)) };
    const waits: Promise<void>[] = [];
    for (const a of hits) {
      const w = withChildSpan('rule evaluate', { 'tsunagu.rule': a.rule.def.name }, () =>
        this.onMessage(a, msg),
      );
      if (w) waits.push(w);
    }
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
  }

  private payloadOf(raw: Buffer): Value {
    let v = this.parsed.get(raw);
    if (v === undefined && !this.parsed.has(raw)) {
      v = payloadValue(raw);
      this.parsed.set(raw, v);
    }
    return v;
  }

  envOf(msg: RuleMessage): MessageEnv {
    const clientId = msg.clientId;
    return {
      topic: msg.topic,
      clientId,
      principal:
        clientId === undefined ? undefined : (this.d.broker.clientInfo(clientId)?.username ?? clientId),
      raw: msg.payload,
      now: this.d.clock.now(),
      newId: randomUUID,
      rulePath: rulePathOf(msg),
    };
  }

  /** The broker's handler: its promise (the queue write) holds the publisher's PUBACK until durable. */
  private onMessage(a: Active, msg: RuleMessage | BrokerMessage): Promise<void> | undefined {
    const name = a.rule.def.name;
    const f = this.d.metrics.of(name);
    if (msg.payload.length > this.d.limits.maxPayloadBytes) {
      f.skipped++;
      return undefined;
    }
    f.evaluated++;
    const env = this.envOf(msg);
    const payload = this.payloadOf(msg.payload);
    if (a.rule.statement.asyncCalls.length > 0) return this.onMessageAsync(a, env, payload);
    const t0 = process.hrtime.bigint();
    let r;
    try {
      r = evaluate(a.rule.statement, env, payload);
    } catch (err) {
      return this.failed(name, err);
    } finally {
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      f.observe(us);
      this.d.metrics.evalSeconds.observe(us / 1e6);
    }
    if (!r.matched) return undefined;
    f.matched++;
    return this.loop(a, env) ?? this.fire(a, env, payload, r.output);
  }

  private async onMessageAsync(a: Active, env: MessageEnv, payload: Value): Promise<void> {
    const name = a.rule.def.name;
    const f = this.d.metrics.of(name);
    const t0 = process.hrtime.bigint();
    let r;
    try {
      const fetched = await prefetch(a.rule.statement, env, payload, this.d.io);
      r = evaluate(a.rule.statement, env, payload, fetched);
    } catch (err) {
      return this.failed(name, err);
    } finally {
      f.observe(Number(process.hrtime.bigint() - t0) / 1000);
    }
    if (!r.matched) return;
    f.matched++;
    await (this.loop(a, env) ?? this.fire(a, env, payload, r.output));
  }

  /**
   * Loop protection: a message that passed through this rule's own republish (directly or through
   * other rules) and matches it again, or that passed through `maxHops` republishes, does not run
   * the actions. It is counted (`loops`) and the error action gets it (failedAction
   * `LoopProtection`). Returns undefined when the message may go on.
   */
  private loop(a: Active, env: MessageEnv): Promise<void> | undefined {
    const path = env.rulePath ?? [];
    const name = a.rule.def.name;
    const again = path.includes(name);
    if (!again && path.length < this.d.limits.maxHops) return undefined;
    const f = this.d.metrics.of(name);
    f.loops++;
    const message = again
      ? `loop: rule ${name} matched a message its own republish produced (${path.join(' → ')} → ${name})`
      : `loop: the message passed through ${path.length} rule republishes (limit ${this.d.limits.maxHops})`;
    f.lastError = message;
    const origin: Origin = { topic: env.topic, clientId: null, payload: env.raw.toString('base64') };
    // The loop's own error message coming back (its error action publishes where the rule listens)
    // is only counted: one error action per loop.
    const repeat = path.filter((n) => n === name).length >= 2 || path.length > this.d.limits.maxHops;
    const d = repeat
      ? undefined
      : makeLoopErrorDelivery(a.rule.def, origin, [...path, name], message, env.now);
    return d ? this.d.queue.enqueue([d]) : Promise.resolve();
  }

  private failed(name: string, err: unknown): undefined {
    const f = this.d.metrics.of(name);
    f.errors++;
    f.lastError = err instanceof Error ? err.message : String(err);
    this.d.log.debug({ err, rule: name }, 'rules: evaluation failed for one message');
    return undefined;
  }

  private allow(a: Active, i: number): boolean {
    const rate = a.rule.def.actions[i]!.ratePerSecond;
    if (rate === undefined) return true;
    const now = this.d.clock.now();
    const b = (a.buckets[i] ??= [rate, now]);
    b[0] = Math.min(rate, b[0] + ((now - b[1]) * rate) / 1000);
    b[1] = now;
    if (b[0] < 1) return false;
    b[0]--;
    return true;
  }

  private fire(a: Active, env: MessageEnv, payload: Value, output: Value): Promise<void> | undefined {
    const def = a.rule.def;
    if (def.actions.length === 0) return undefined;
    const f = this.d.metrics.of(def.name);
    const now = env.now;
    const origin: Origin = {
      topic: env.topic,
      clientId: env.clientId ?? null,
      payload: env.raw.toString('base64'),
    };
    const ds: Delivery[] = [];
    for (let i = 0; i < def.actions.length; i++) {
      if (!this.allow(a, i)) {
        f.rateLimited++;
        continue;
      }
      const action = def.actions[i]!;
      try {
        const request = render(action, a.rule.actions[i]!, env, payload, output);
        if (action.type === 'republish') request.rulePath = [...(env.rulePath ?? []), def.name].join(',');
        ds.push({
          id: randomUUID(),
          rule: def.name,
          action: i,
          actionType: action.type,
          request,
          origin,
          status: 'pending',
          attempts: 0,
          maxAttempts: action.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
          nextAttemptAt: now,
          lastError: null,
          createdAt: now,
          updatedAt: now,
        });
      } catch (err) {
        this.failed(def.name, err);
      }
    }
    return this.d.queue.enqueue(ds).catch((err: unknown) => {
      f.errors++;
      f.lastError = `queueing actions failed: ${(err as Error).message}`;
      this.d.log.error({ err, rule: def.name }, 'rules: queueing actions failed');
      throw err;
    });
  }
}
