/**
 * Tsunagu's broker alone, for `tsunagu bench broker --tsunagu-host broker`: the same createBroker +
 * listenTcp as `tsunagu start`, with the embedded SQLite persistence, but without the platform's
 * modules, HTTP server and registry hooks (anonymous clients may do anything). Useful to profile
 * the broker by itself, and to benchmark it while another module of the working tree is broken.
 * Usage: tsunagu-broker-server <port> <data-dir>
 */
import { createLogger, defaultConfig, systemClock } from '../core/index.js';
import { createBroker, listenTcp } from '../mqtt/index.js';
import { openDatabase } from '../store/index.js';

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  const dataDir = process.argv[3];
  if (!Number.isInteger(port) || port <= 0 || !dataDir)
    throw new Error('usage: tsunagu-broker-server <port> <data-dir>');
  const config = defaultConfig();
  const db = await openDatabase('sqlite', dataDir);
  const broker = createBroker({
    db,
    clock: systemClock,
    log: createLogger('warn'),
    limits: { ...config.limits, connectRatePerIp: 1_000_000 },
    allowAnonymous: true,
    nodeId: 'bench',
  });
  await broker.start();
  const server = await listenTcp(broker, '127.0.0.1', port);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close();
    broker
      .close()
      .then(() => db.close())
      .finally(() => process.exit(0))
      .catch(() => undefined);
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `tsunagu-broker-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
