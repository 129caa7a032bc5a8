/**
 * Alarms (issue 18, docs/alarms.md): service-outs, SLO burn-rate alerts and rule-raised alarms
 * with ThingsBoard's states (ACTIVE_UNACK, ACTIVE_ACK, CLEARED_UNACK, CLEARED_ACK), one active
 * alarm per (source, originator, type), acknowledged and cleared by a person or cleared by the
 * platform (`system`) when the condition ends. Health and SLOs only emit; the feed subscribes.
 */
import type { FastifyInstance } from 'fastify';
import type { DeviceDirectory, Severity } from '../core/index.js';
import type { ModuleContext, PlatformModule } from '../platform/index.js';
import type { AlarmsStore } from './alarms-store.js';
import { AlarmFeed } from './feed.js';
import { registerAlarmMetrics } from './metrics.js';
import { openAlarmsStore } from './open-alarms-store.js';
import { alarmsRoutes } from './routes.js';
import { AlarmsService } from './service.js';

export { AlarmsService, SYSTEM, type AlarmChange } from './service.js';
export { AlarmErrors } from './errors.js';
export { openAlarmsStore } from './open-alarms-store.js';
export { OUT_OF_SERVICE, sloAlarmType } from './feed.js';
export type { Alarm, AlarmQuery, AlarmRaise, AlarmSource, AlarmState, AlarmsStore } from './alarms-store.js';

/** A rule's `alarm` action, as the rules module hands it over (app.ts wires it). */
export interface RuleAlarm {
  rule: string;
  /** The alarm type (the action's `name`). */
  name: string;
  severity: Severity;
  message: string;
  deviceId?: string;
  /** Clear the matching active alarm instead of raising one. */
  clear?: boolean;
  at: number;
  data: Record<string, unknown>;
}

export interface AlarmsModule extends PlatformModule {
  readonly service: AlarmsService;
  routes: (api: FastifyInstance) => void;
  /** Raise (or clear) an alarm from a rule action. */
  fromRule(a: RuleAlarm): Promise<unknown>;
  /** Resolves when every bus event taken in so far is written (tests). */
  idle(): Promise<void>;
}

export async function createAlarms(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  opts: { store?: AlarmsStore } = {},
): Promise<AlarmsModule> {
  const log = ctx.log.child({ component: 'alarms' });
  const store = opts.store ?? (await openAlarmsStore(ctx.db));
  const service = new AlarmsService(store, ctx.clock, log);
  const feed = new AlarmFeed(service, log);
  const stopMetrics = registerAlarmMetrics(ctx.metrics, service);
  return {
    name: 'alarms',
    service,
    routes: alarmsRoutes(service, directory),
    fromRule: (a) => {
      const originator = a.deviceId ?? `rule:${a.rule}`;
      if (a.clear) return service.clearCondition('rule', originator, a.name, `rule:${a.rule}`);
      return service.raise({
        source: 'rule',
        originator,
        ...(a.deviceId !== undefined ? { deviceId: a.deviceId } : {}),
        ruleId: a.rule,
        severity: a.severity,
        type: a.name,
        message: a.message,
        at: a.at,
        details: a.data,
      });
    },
    async start() {
      feed.listen(ctx.bus);
    },
    async stop() {
      stopMetrics();
      await feed.stop();
    },
    idle: () => feed.idle(),
  };
}
