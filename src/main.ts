/**
 * Runs the platform: build, listen, and on SIGINT/SIGTERM drain connections, flush storage and
 * exit 0. A second signal exits at once.
 */
import { buildApp, PortInUseError } from './app.js';
import type { TsunaguConfig } from './core/config.js';
import { createLogger } from './core/logger.js';

export async function runPlatform(config: TsunaguConfig): Promise<void> {
  const log = createLogger(config.logLevel);
  let app;
  try {
    app = await buildApp(config, { log });
    await app.listen();
  } catch (err) {
    await app?.close().catch(() => undefined);
    if (err instanceof PortInUseError) {
      process.stderr.write(`tsunagu: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
