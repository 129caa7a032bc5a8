/**
 * Device shadows: AWS-IoT-compatible classic and named shadows over `$aws/things/…/shadow/…`,
 * the same documents over HTTP, a full history with diffs, and per-model options
 * (clearDesiredOnReport, maxDocumentBytes). See docs/shadows.md.
 */
import type { DeviceDirectory } from '../core/index.js';
import type { ModuleContext, PlatformModule } from '../platform/index.js';
import { migrate } from '../store/index.js';
import { DEFAULT_MAX_DOCUMENT_BYTES, type DocumentOptions } from './document.js';
import { shadowMessageHandler, type AuthorizeRequest } from './mqtt-handler.js';
import { pgShadowStore } from './pg-shadows-store.js';
import { shadowRoutes } from './routes.js';
import { ShadowService } from './service.js';
import { sqliteShadowStore } from './sqlite-shadows-store.js';
import { SHADOW_MIGRATIONS, type ShadowStore } from './shadows-store.js';
import { registerShadowMetrics } from './metrics.js';

export { ShadowService, type ShadowUpdate } from './service.js';
export type { AuthorizeRequest } from './mqtt-handler.js';
export { ShadowErrors } from './errors.js';
export type { DiffEntry } from './diff.js';
export type { BatchResult, HistoryEntry, ShadowKey } from './shadows-store.js';

export interface ShadowsModule extends PlatformModule {
  service: ShadowService;
  /** Current reported state of a shadow ('' = classic), for command confirmation. */
  reported(deviceId: string, shadowName: string): Promise<Record<string, unknown> | undefined>;
}

export interface ShadowsOptions {
  /**
   * May `clientId` publish the shadow request `topic`? The app passes the broker's publish
   * authorization (the registry ACL), so an app or gateway granted `$aws/things/<other>/shadow/…`
   * may use that thing's shadow, as an AWS IoT policy allows. Default: only the thing itself (client
   * id = thing name), or any client in allow-anonymous mode.
   */
  authorizeRequest?: AuthorizeRequest;
}

export async function createShadowStore(ctx: Pick<ModuleContext, 'db'>): Promise<ShadowStore> {
  await migrate(ctx.db, 'shadows', SHADOW_MIGRATIONS);
  return ctx.db.kind === 'sqlite' ? sqliteShadowStore(ctx.db) : pgShadowStore(ctx.db);
}

export async function createShadows(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  opts: ShadowsOptions = {},
): Promise<ShadowsModule> {
  const log = ctx.log.child({ module: 'shadows' });
  const store = await createShadowStore(ctx);

  async function options(deviceId: string): Promise<DocumentOptions> {
    const out: DocumentOptions = {
      maxDocumentBytes: DEFAULT_MAX_DOCUMENT_BYTES,
      clearDesiredOnReport: false,
    };
    try {
      const device = await directory.getDevice(deviceId);
      const model = device?.model ? await directory.getModel(device.model) : undefined;
      if (model?.shadow?.maxDocumentBytes !== undefined) out.maxDocumentBytes = model.shadow.maxDocumentBytes;
      if (model?.shadow?.clearDesiredOnReport !== undefined)
        out.clearDesiredOnReport = model.shadow.clearDesiredOnReport;
    } catch (err) {
      log.warn({ err, deviceId }, 'device model lookup failed; default shadow options');
    }
    return out;
  }

  const service = new ShadowService({
    store,
    broker: ctx.broker,
    bus: ctx.bus,
    clock: ctx.clock,
    log,
    options,
  });
  let unsubscribe: (() => void) | undefined;
  const unsubscribeMetrics = registerShadowMetrics(ctx.metrics, ctx.bus);
  const isAnonymous = (clientId: string): boolean => {
    const info = ctx.broker.clientInfo(clientId);
    return ctx.config.allowAnonymous && info?.username === undefined && info?.certFingerprint === undefined;
  };
  const authorize: AuthorizeRequest =
    opts.authorizeRequest ?? ((clientId, topic) => topic.split('/')[2] === clientId || isAnonymous(clientId));

  return {
    name: 'shadows',
    service,
    reported: (deviceId, shadowName) => service.reported(deviceId, shadowName),
    routes: shadowRoutes(service, directory),
    start() {
      unsubscribe = ctx.broker.subscribe(
        '$aws/things/+/shadow/#',
        shadowMessageHandler({
          service,
          broker: ctx.broker,
          log,
          now: () => ctx.clock.now(),
          maxBytes: async (id) => (await options(id)).maxDocumentBytes,
          authorize,
        }),
      );
      return Promise.resolve();
    },
    stop() {
      unsubscribe?.();
      unsubscribeMetrics();
      return Promise.resolve();
    },
  };
}
