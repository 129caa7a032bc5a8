/**
 * Aedes in its own process for the broker benchmark: in-memory persistence, a plain net server on
 * 127.0.0.1 and the port given as the first argument. Its own process means its CPU and memory can be
 * read from /proc without the benchmark's clients in the figures.
 */
import { Aedes } from 'aedes';
import { createServer } from 'node:net';

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0) throw new Error('usage: aedes-server <port>');
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const stop = (): void => {
    server.close();
    broker.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`aedes-server: ${String(err)}\n`);
  process.exit(1);
});
