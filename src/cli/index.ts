/**
 * The `tsunagu` command. Verbs: start, sim, bench, loadtest. Each verb lives in its own file and
 * is loaded only when used, so `tsunagu start` does not pay for the simulator.
 */
import { ConfigError, describeOptions, loadConfig } from '../core/index.js';

const USAGE = `usage: tsunagu <command> [options]

commands:
  start            run the platform (MQTT broker, HTTP API, console)
  bench <what>     run a benchmark: broker, codec, registry, reconnect, shadows, commands, tracing, ingest, health, slo
  sim              run a simulated fleet against an MQTT server (tsunagu sim --help)
  loadtest         load, spike or soak test; compare two results (tsunagu loadtest --help)
  devices, models, tokens, channels, routes
                   manage a running platform over its HTTP API (tsunagu devices --help)
  help             this text

tsunagu start options (flags > TSUNAGU_* environment > --config file.yaml > defaults):
  --config FILE            YAML file with the same keys (camelCase, limits.* nested)
${describeOptions()}
`;

async function main(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'start': {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(USAGE);
        return;
      }
      const config = loadConfig(rest);
      const { runPlatform } = await import('../main.js');
      // The demo is loaded only when asked for and handed to main.ts, which never imports cli/.
      const startDemo = config.demo ? (await import('./demo.js')).startDemo : undefined;
      await runPlatform(config, startDemo ? { startDemo } : {});
      return;
    }
    case 'bench': {
      const { runBench } = await import('./bench.js');
      await runBench(rest);
      return;
    }
    case 'sim': {
      const { runSim } = await import('../sim/index.js');
      await runSim(rest);
      return;
    }
    case 'loadtest': {
      const { runLoadtestCli } = await import('../sim/index.js');
      await runLoadtestCli(rest);
      return;
    }
    case 'devices':
    case 'models':
    case 'tokens':
    case 'channels':
    case 'routes': {
      const { runManage, MANAGE_USAGE, UsageError, ApiFailure } = await import('./manage.js');
      if (rest.length === 0 || rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(MANAGE_USAGE);
        return;
      }
      const io = {
        out: (t: string) => void process.stdout.write(t),
        err: (t: string) => void process.stderr.write(t),
        env: process.env,
      };
      try {
        await runManage(verb, rest, io);
      } catch (e) {
        if (e instanceof UsageError) {
          process.stderr.write(`tsunagu ${verb}: ${e.message}\n\n${MANAGE_USAGE}`);
          process.exit(2);
        }
        if (e instanceof ApiFailure) {
          process.stderr.write(`tsunagu ${verb}: ${e.message}\n`);
          process.exit(1);
        }
        throw e;
      }
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`tsunagu: unknown command "${verb}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`tsunagu: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`tsunagu: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
