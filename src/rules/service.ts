/**
 * Rule management: create, replace, enable/disable, delete (each audited with before/after,
 * secrets masked), the limits, and the test run (`POST /rules/test`) that evaluates a rule on a
 * sample message and shows the requests its actions would send, without sending them.
 */
import { randomUUID } from 'node:crypto';
import type { Actor, Clock, EventBus } from '../core/index.js';
import {
  compileRule,
  keepSecrets,
  maskRule,
  parseRule,
  type CompiledRule,
  type RuleLimits,
} from './definition.js';
import type { RuleEngine } from './engine.js';
import { RulesErrors } from './errors.js';
import type { RulesMetrics, RuleMetricsView } from './metrics.js';
import { render } from './render.js';
import type { RulesStore } from './rules-store.js';
import { evaluate, prefetch, type AsyncFunctionHost } from './sql-eval.js';
import type { MessageEnv } from './sql-functions.js';
import { payloadValue, type Value } from './sql-values.js';
import type { Delivery, Rendered, RuleDef, StoredRule } from './types.js';

export interface TestInput {
  /** An existing rule, or an inline definition (`sql`, `actions`, `errorAction`). */
  rule?: string;
  definition?: unknown;
  topic: string;
  payload?: unknown;
  /** A payload that is not JSON, base64. */
  payloadBase64?: string;
  clientId?: string;
}

export interface TestResult {
  /** Does the topic match the rule's FROM filter? */
  topicMatches: boolean;
  where: Value;
  matched: boolean;
  output: Value;
  /** What each action would send (not sent). */
  actions: { index: number; type: string; request: Rendered }[];
}

export interface RuleView extends StoredRule {
  metrics: RuleMetricsView;
}

export class RulesService {
  /** Called after a rule is written or deleted here (the module tells the other nodes). */
  onChange: (name: string) => void = () => undefined;

  constructor(
    private readonly store: RulesStore,
    private readonly engine: RuleEngine,
    private readonly metrics: RulesMetrics,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly limits: RuleLimits,
    private readonly io: AsyncFunctionHost,
  ) {}

  /** Load every stored rule into the engine (start, and when another node changed one). */
  async load(): Promise<void> {
    this.engine.clear();
    for (const r of await this.store.listRules()) this.engine.set(compileRule(r));
  }

  async reload(name: string): Promise<void> {
    const r = await this.store.getRule(name);
    if (r) this.engine.set(compileRule(r));
    else this.engine.remove(name);
  }

  async list(): Promise<RuleView[]> {
    const pending = await this.store.pendingByRule();
    return (await this.store.listRules()).map((r) => this.view(r, pending.get(r.name) ?? 0));
  }

  async get(name: string): Promise<RuleView> {
    const r = await this.store.getRule(name);
    if (!r) throw RulesErrors.notFound(name);
    return this.view(r, (await this.store.pendingByRule()).get(name) ?? 0);
  }

  private view(r: StoredRule, retrying: number): RuleView {
    return { ...maskRule(r), metrics: this.metrics.view(r.name, retrying) };
  }

  async create(input: unknown, actor: Actor): Promise<StoredRule> {
    const c = parseRule(input, this.limits);
    if (await this.store.getRule(c.def.name)) throw RulesErrors.exists(c.def.name);
    if ((await this.store.countRules()) >= this.limits.maxRules)
      throw RulesErrors.limit('name', `at most ${this.limits.maxRules} rules`);
    return this.write(c, undefined, actor, 'rule.create');
  }

  async replace(name: string, input: unknown, actor: Actor): Promise<StoredRule> {
    const prev = await this.store.getRule(name);
    if (!prev) throw RulesErrors.notFound(name);
    const parsed = parseRule(input, this.limits, name);
    return this.write(compileRule(keepSecrets(parsed.def, prev)), prev, actor, 'rule.update');
  }

  async setEnabled(name: string, enabled: boolean, actor: Actor): Promise<StoredRule> {
    const prev = await this.store.getRule(name);
    if (!prev) throw RulesErrors.notFound(name);
    return this.write(
      compileRule({ ...prev, enabled }),
      prev,
      actor,
      enabled ? 'rule.enable' : 'rule.disable',
    );
  }

  async remove(name: string, actor: Actor): Promise<void> {
    const prev = await this.store.deleteRule(name);
    if (!prev) throw RulesErrors.notFound(name);
    this.engine.remove(name);
    this.metrics.drop(name);
    this.onChange(name);
    this.audit(actor, 'rule.delete', name, prev, null);
  }

  /** Import several rules (YAML/JSON list): all validated first, then written. */
  async importMany(inputs: unknown[], actor: Actor): Promise<{ created: string[]; updated: string[] }> {
    const parsed = inputs.map((x, i) => {
      try {
        return parseRule(x, this.limits);
      } catch (e) {
        if (e instanceof Error && 'field' in e)
          throw RulesErrors.invalid(`rules[${i}].${String((e as { field?: string }).field)}`, e.message);
        throw e;
      }
    });
    const out = { created: [] as string[], updated: [] as string[] };
    for (const c of parsed) {
      const prev = await this.store.getRule(c.def.name);
      if (!prev && (await this.store.countRules()) >= this.limits.maxRules)
        throw RulesErrors.limit('rules', `at most ${this.limits.maxRules} rules`);
      await this.write(
        prev ? compileRule(keepSecrets(c.def, prev)) : c,
        prev,
        actor,
        prev ? 'rule.update' : 'rule.create',
      );
      (prev ? out.updated : out.created).push(c.def.name);
    }
    return out;
  }

  async exportAll(): Promise<RuleDef[]> {
    return (await this.store.listRules()).map(({ createdAt: _c, updatedAt: _u, ...def }) => maskRule(def));
  }

  private async write(
    c: CompiledRule,
    prev: StoredRule | undefined,
    actor: Actor,
    action: string,
  ): Promise<StoredRule> {
    const now = this.clock.now();
    await this.store.putRule(c.def, now);
    this.engine.set(c);
    this.onChange(c.def.name);
    const stored: StoredRule = { ...c.def, createdAt: prev?.createdAt ?? now, updatedAt: now };
    this.audit(actor, action, c.def.name, prev ?? null, stored);
    return stored;
  }

  private audit(
    actor: Actor,
    action: string,
    name: string,
    before: StoredRule | null,
    after: StoredRule | null,
  ): void {
    this.bus.emit('audit', {
      at: this.clock.now(),
      actor,
      action,
      resource: `rules/${name}`,
      before: before ? maskRule(before) : null,
      after: after ? maskRule(after) : null,
    });
  }

  deliveries(name: string, status: Delivery['status'] | undefined, limit: number): Promise<Delivery[]> {
    return this.store.listDeliveries(name, status, limit);
  }

  async test(input: TestInput): Promise<TestResult> {
    let c: CompiledRule;
    if (input.rule !== undefined) {
      const r = await this.store.getRule(input.rule);
      if (!r) throw RulesErrors.notFound(input.rule);
      c = compileRule(r);
    } else {
      const d = input.definition;
      const withName =
        d && typeof d === 'object' && !Array.isArray(d) && !('name' in d) ? { name: 'test', ...d } : d;
      c = parseRule(withName, this.limits);
    }
    const raw =
      input.payloadBase64 !== undefined
        ? Buffer.from(input.payloadBase64, 'base64')
        : Buffer.from(JSON.stringify(input.payload ?? {}));
    const env: MessageEnv = {
      topic: input.topic,
      clientId: input.clientId,
      principal: input.clientId,
      raw,
      now: this.clock.now(),
      newId: randomUUID,
    };
    const payload = payloadValue(raw);
    const fetched = await prefetch(c.statement, env, payload, this.io);
    const r = evaluate(c.statement, env, payload, fetched, true);
    return {
      topicMatches: topicMatches(c.statement.stmt.from, input.topic),
      where: r.where,
      matched: r.matched,
      output: r.output,
      actions: r.matched
        ? c.def.actions.map((a, i) => ({
            index: i,
            type: a.type,
            request: render(a, c.actions[i]!, env, payload, r.output),
          }))
        : [],
    };
  }
}

function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
