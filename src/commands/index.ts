/**
 * Commands: cloud → device requests over MQTT with tracked outcomes (reply, optional
 * confirmation by the shadow's reported state, timeouts, idempotency, offline queueing) and
 * latency statistics. See docs/commands.md.
 */
import type { DeviceDirectory, OutOfServiceCommands } from '../core/index.js';
import { clusterEventsOf, ownershipOf, type ModuleContext, type PlatformModule } from '../platform/index.js';
import { migrate } from '../store/index.js';
import { pgCommandStore } from './pg-commands-store.js';
import { registerCommandMetrics } from './metrics.js';
import { commandRoutes } from './routes.js';
import {
  CommandService,
  type CommandPresence,
  type ReadReported,
  type ServiceStateLookup,
} from './service.js';
import { sqliteCommandStore } from './sqlite-commands-store.js';
import { COMMAND_MIGRATIONS, type CommandStore } from './commands-store.js';

export {
  CommandService,
  commandTopic,
  type CommandWarning,
  type ReadReported,
  type ServiceStateLookup,
} from './service.js';
export { CommandErrors } from './errors.js';
export type {
  CommandRecord,
  ConfirmSpec,
  CreateCommandRequest,
  CommandMessage,
  CommandReply,
} from './types.js';
export type { CommandStats } from './stats.js';
export { percentile } from './stats.js';

export interface CommandsModule extends PlatformModule {
  service: CommandService;
}

export interface CommandsOptions {
  /**
   * Reads a shadow's current reported state, so a command whose confirmation is already true at
   * acknowledgement succeeds at once. Wire it to the shadows module: `{ readReported: shadows.reported }`.
   * Without it, confirmation waits for the next 'shadow.updated' event.
   */
  readReported?: ReadReported;
  /** Fleet-wide presence (the registry's): commands through any node reach the device wherever it is. */
  presence?: CommandPresence;
  /** The device's service state (health's API), for the out-of-service policy. */
  serviceState?: ServiceStateLookup;
  /** Platform default for commands to out-of-service devices (a model's setting wins; default warn). */
  outOfServiceCommands?: OutOfServiceCommands;
}

export async function createCommandStore(ctx: Pick<ModuleContext, 'db'>): Promise<CommandStore> {
  await migrate(ctx.db, 'commands', COMMAND_MIGRATIONS);
  return ctx.db.kind === 'sqlite' ? sqliteCommandStore(ctx.db) : pgCommandStore(ctx.db);
}

export async function createCommands(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  opts: CommandsOptions = {},
): Promise<CommandsModule> {
  const store = await createCommandStore(ctx);
  const service = new CommandService({
    store,
    broker: ctx.broker,
    bus: ctx.bus,
    clock: ctx.clock,
    log: ctx.log.child({ module: 'commands' }),
    directory,
    ownership: ownershipOf(ctx),
    events: clusterEventsOf(ctx),
    ...(opts.readReported ? { readReported: opts.readReported } : {}),
    ...(opts.presence ? { presence: opts.presence } : {}),
    ...(opts.serviceState ? { serviceState: opts.serviceState } : {}),
    ...(opts.outOfServiceCommands ? { outOfServiceCommands: opts.outOfServiceCommands } : {}),
    isAnonymous: (clientId) => {
      const info = ctx.broker.clientInfo(clientId);
      return ctx.config.allowAnonymous && info?.username === undefined && info?.certFingerprint === undefined;
    },
  });
  const unsubscribe = registerCommandMetrics(ctx.metrics, ctx.bus, () => service.heldCount);
  return {
    name: 'commands',
    service,
    routes: commandRoutes(service),
    start: () => service.start(),
    stop: () => {
      unsubscribe();
      return service.stop();
    },
  };
}
