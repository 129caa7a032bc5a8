/**
 * The public face of `src/core` (ARCHITECTURE.md): the clock, config, errors, events, logger and the
 * scale-out seams (ownership, cluster events). Other modules import from here. `core/` sits at the
 * bottom of the module graph and imports no other module; the module contract (ModuleContext,
 * PlatformModule), which needs the broker and the database, lives one floor up in `src/platform`.
 */
export * from './batcher.js';
export * from './cli-options.js';
export * from './clock.js';
export * from './cluster-events.js';
export * from './config.js';
export * from './device-topics.js';
export * from './devices.js';
export * from './errors.js';
export * from './events.js';
export * from './logger.js';
export * from './ownership.js';
export * from './ports.js';
export * from './prom-lint.js';
export * from './secret-file.js';
export * from './secret-box.js';
export * from './tracing.js';
export * from './tracing-metrics.js';
export * from './tracing-sdk.js';
