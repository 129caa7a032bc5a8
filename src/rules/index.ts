/**
 * The rules engine (issue 14): AWS IoT SQL (2016-03-23) over MQTT topics and platform events,
 * fanned out to actions (republish, HTTP, PostgreSQL, AMQP 0-9-1, NATS) through a persisted queue
 * with retries and an error action. docs/rules.md is the user's guide.
 */
import { loadSecretKey, SecretBox, type DeviceDirectory } from '../core/index.js';
import type { ModuleContext, PlatformModule } from '../platform/index.js';
import { clusterEventsOf, ownershipOf } from '../platform/index.js';
import { ActionRunner, type PlatformActions } from './actions/index.js';
import type { BackoffPolicy } from './backoff.js';
import { DEFAULT_LIMITS, type RuleLimits } from './definition.js';
import { RuleEngine } from './engine.js';
import { RulesMetrics } from './metrics.js';
import { bridgeEvents } from './events.js';
import { openRulesStore } from './open-store.js';
import { sealedRulesStore, sealPlainRules } from './sealed-store.js';
import { DeliveryQueue } from './queue.js';
import { rulesRoutes } from './routes.js';
import { makeErrorDelivery } from './error-delivery.js';
import { RulesService } from './service.js';
import type { AsyncFunctionHost } from './sql-eval.js';
import type { Value } from './sql-values.js';

export { RulesErrors } from './errors.js';
export { compileStatement, evaluate } from './sql-eval.js';
export { RuleSqlError } from './sql-errors.js';
export type { RuleDef, ActionDef, Delivery } from './types.js';
export type { RulesService, TestInput, TestResult } from './service.js';
export type { RuleLimits } from './definition.js';
export type { PlatformActions, RuleAlarmRequest, RuleCommandRequest, RuleNotification } from './actions/index.js';

export interface RulesModule extends PlatformModule {
  service: RulesService;
  engine: RuleEngine;
  queue: DeliveryQueue;
  /** Resolves when event rules in flight and due deliveries are done (tests). */
  idle(): Promise<void>;
}

export interface RulesOptions {
  limits?: Partial<RuleLimits>;
  backoff?: BackoffPolicy;
  random?: () => number;
  claimMs?: number;
  sweepMs?: number;
  /** get_shadow(id[, name]): the shadow document (state, metadata, version) or undefined. */
  readShadow?(deviceId: string, shadowName: string): Promise<unknown>;
  /** decoded(): the payload after the device model's decoder. */
  decode?(deviceId: string, topic: string, payload: Buffer): Promise<unknown>;
  /** telemetry / shadow / command / notify actions (the app wires the modules' APIs). */
  platform?: PlatformActions;
  /** How long delivered rows are kept (default 24 h). */
  keepDeliveredMs?: number;
}

function ioHost(directory: DeviceDirectory, opts: RulesOptions): AsyncFunctionHost {
  return async (name, args, env) => {
    switch (name) {
      case 'get_shadow': {
        const id = typeof args[0] === 'string' ? args[0] : undefined;
        const shadow = args[1] === undefined ? '' : typeof args[1] === 'string' ? args[1] : undefined;
        if (id === undefined || shadow === undefined || !opts.readShadow) return undefined;
        return (await opts.readShadow(id, shadow)) as Value;
      }
      case 'device': {
        const id = args[0] === undefined ? env.clientId : typeof args[0] === 'string' ? args[0] : undefined;
        if (id === undefined) return undefined;
        const d = await directory.getDevice(id);
        return d
          ? ({
              id: d.id,
              name: d.name,
              model: d.model,
              tags: d.tags,
              enabled: d.enabled,
              attributes: d.attributes,
            } as Value)
          : undefined;
      }
      case 'decoded': {
        if (!opts.decode || env.clientId === undefined) return undefined;
        return (await opts.decode(env.clientId, env.topic, env.raw)) as Value;
      }
    }
    return undefined;
  };
}

export async function createRules(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  opts: RulesOptions = {},
): Promise<RulesModule> {
  const log = ctx.log.child({ module: 'rules' });
  const limits: RuleLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  // Secrets at rest: sealed with the platform's key (core/secret-box.ts), like notify's channels.
  const box = new SecretBox(loadSecretKey(ctx.config.secretKeyFile, ctx.config.dataDir).key);
  const raw = await openRulesStore(ctx.db);
  const sealed = await sealPlainRules(raw, box);
  if (sealed > 0) log.info({ rules: sealed }, 'rules: encrypted action secrets stored in plain text');
  const store = sealedRulesStore(raw, box);
  const metrics = new RulesMetrics(ctx.metrics);
  const runner = new ActionRunner(ctx.broker, () => ctx.clock.now(), opts.platform);
  const io = ioHost(directory, opts);
  const ref: { engine?: RuleEngine } = {};
  const queue = new DeliveryQueue({
    clock: ctx.clock,
    store,
    log,
    ownership: ownershipOf(ctx),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    ...(opts.random ? { random: opts.random } : {}),
    ...(opts.claimMs ? { claimMs: opts.claimMs } : {}),
    ...(opts.sweepMs ? { sweepMs: opts.sweepMs } : {}),
    ruleOf: (name) => ref.engine?.get(name)?.def,
    send: (d, rule) => {
      const a = d.action < 0 ? rule.errorAction : rule.actions[d.action];
      if (!a || a.type !== d.actionType)
        throw new Error(`the rule's action ${d.action} changed or was removed`);
      return runner.send(a, d);
    },
    errorDelivery: (d, rule, error) => makeErrorDelivery(d, rule, error, ctx.clock.now()),
    onAttempt: (rule, result) => {
      const f = metrics.of(rule);
      if (result === 'succeeded') f.succeeded++;
      else if (result === 'retry') f.retries++;
      else f.failed++;
    },
  });
  const engine = (ref.engine = new RuleEngine({
    broker: ctx.broker,
    clock: ctx.clock,
    log,
    queue,
    metrics,
    limits,
    io,
  }));
  const service = new RulesService(store, engine, metrics, ctx.bus, ctx.clock, limits, io);
  const events = clusterEventsOf(ctx);
  const inFlight = new Set<Promise<void>>();
  const unsubscribe: (() => void)[] = [];
  let cancelPurge: (() => void) | undefined;
  const keepMs = opts.keepDeliveredMs ?? 24 * 3600_000;
  const purge = (): void => {
    cancelPurge = ctx.clock.setTimer(Math.min(keepMs, 3600_000), () => {
      if (ownershipOf(ctx).owns('rules.purge'))
        store
          .purgeDelivered(ctx.clock.now() - keepMs)
          .catch((err: unknown) => log.error({ err }, 'rules: purge failed'));
      purge();
    });
  };
  return {
    name: 'rules',
    service,
    engine,
    queue,
    routes: rulesRoutes(service),
    async start() {
      await service.load();
      // A rule changed on another node: reload it here (cluster event), or everything after a gap.
      unsubscribe.push(
        events.subscribe('invalidate', (e) => {
          if (e.kind === 'rule')
            service.reload(e.id).catch((err: unknown) => log.error({ err }, 'rules: reload failed'));
        }),
        events.onResync(() => {
          service.load().catch((err: unknown) => log.error({ err }, 'rules: reload failed'));
        }),
        // The outcome of a command a rule sent (this node's rules; see docs/rules.md).
        ctx.bus.on('command.finished', (e) => {
          const rule = runner.platform.commands.get(e.commandId);
          if (rule === undefined) return;
          runner.platform.commands.delete(e.commandId);
          const c = metrics.of(rule).commands;
          c[e.status] = (c[e.status] ?? 0) + 1;
        }),
        ...bridgeEvents(ctx.bus, engine, log, (p) => {
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }),
      );
      service.onChange = (name) => events.publish('invalidate', { kind: 'rule', id: name });
      await queue.start();
      purge();
    },
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      cancelPurge?.();
      engine.clear();
      await Promise.all(inFlight);
      await queue.stop();
      await runner.close();
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all(inFlight);
      await queue.idle();
    },
  };
}
