/**
 * Runs the platform: build, listen, and on SIGINT/SIGTERM drain connections, flush storage and
 * exit 0. A second signal exits at once. With `--demo`, a simulated fleet runs against it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, PortInUseError, type App, type ListenAddresses } from './app.js';
import {
  createLogger,
  type Logger,
  startTracing,
  type Tracing,
  tracingWanted,
  type TsunaguConfig,
} from './core/index.js';

/** The `--demo` fleet (cli/demo.ts), handed in by the `tsunagu` command so main.ts never imports cli/. */
export type StartDemo = (opts: {
  addresses: ListenAddresses;
  token: string;
  /** The console user's password (the demo makes the user `demo@tsunagu.local`). */
  password: string;
  log: Logger;
}) => Promise<{ sinkUrl: string; user: string; stop(): Promise<void> }>;

export interface RunOptions {
  /** Runs when `config.demo` is set, once every listener is open. */
  startDemo?: StartDemo;
}

/** A demo secret made once per data directory (`<dataDir>/<file>`, mode 0600) and kept. */
function demoSecretIn(dataDir: string, file: string, prefix: string): string {
  const path = join(dataDir, file);
  try {
    const kept = readFileSync(path, 'utf8').trim();
    if (new RegExp(`^${prefix}[0-9a-f]{32}$`).test(kept)) return kept;
  } catch {
    /* first start on this data directory */
  }
  const secret = `${prefix}${randomBytes(16).toString('hex')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** The demo's admin API token (for its simulator and scripts), kept in `<dataDir>/demo-token`. */
export function demoTokenIn(dataDir: string): string {
  return demoSecretIn(dataDir, 'demo-token', 'demo-');
}

/** The demo user's console password, kept in `<dataDir>/demo-password`. */
export function demoPasswordIn(dataDir: string): string {
  return demoSecretIn(dataDir, 'demo-password', '');
}

export async function runPlatform(config: TsunaguConfig, opts: RunOptions = {}): Promise<void> {
  const log = createLogger(config.logLevel);
  // The demo signs its simulator in with an admin token; make one when none was given, and keep
  // it in the data directory so a restart on the same data keeps browsers signed in.
  const demoToken = config.demo ? (config.adminToken ?? demoTokenIn(config.dataDir)) : undefined;
  if (demoToken !== undefined) config = { ...config, adminToken: demoToken };
  // Traces (docs/observability.md): on only with an OTLP endpoint (flag or OTEL_EXPORTER_OTLP_*).
  const tracing: Tracing | undefined = tracingWanted(config.otlpEndpoint)
    ? await startTracing({
        nodeId: config.nodeId,
        log,
        ...(config.otlpEndpoint === undefined ? {} : { endpoint: config.otlpEndpoint }),
        ...(config.traceSampleRatio === undefined ? {} : { sampleRatio: Number(config.traceSampleRatio) }),
      })
    : undefined;
  let app: App | undefined;
  let stopDemo: (() => Promise<void>) | undefined;
  try {
    app = await buildApp(config, { log });
    const addresses = await app.listen();
    if (!config.demo) {
      const host = addresses.host === '0.0.0.0' || addresses.host === '::' ? '127.0.0.1' : addresses.host;
      process.stderr.write(
        `tsunagu: console at http://${host}:${addresses.http}/ · API at http://${host}:${addresses.http}/api/v1 · MQTT on ${host}:${addresses.mqtt}\n`,
      );
    }
    if (demoToken !== undefined && opts.startDemo) {
      const password = demoPasswordIn(config.dataDir);
      const demo = await opts.startDemo({
        addresses,
        token: demoToken,
        password,
        log: log.child({ component: 'demo' }),
      });
      stopDemo = () => demo.stop();
      const host = addresses.host === '0.0.0.0' ? '127.0.0.1' : addresses.host;
      process.stderr.write(
        `tsunagu demo: console at http://${host}:${addresses.http}/ — sign in as ${demo.user} with the password ${password} (kept in ${join(config.dataDir, 'demo-password')}); API token for scripts: ${demoToken}\n` +
          `tsunagu demo: MQTT on ${host}:${addresses.mqtt}; notifications go to a local Slack-style sink (${demo.sinkUrl}), logged as "demo Slack sink received"\n`,
      );
    }
  } catch (err) {
    await app?.close().catch(() => undefined);
    if (err instanceof PortInUseError) {
      process.stderr.write(`tsunagu: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const running = app;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    (async () => {
      await stopDemo?.();
      await running.close();
      await tracing?.shutdown();
    })().then(
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
