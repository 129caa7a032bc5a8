/** `tsunagu start` as a child process (the real CLI, as users run it), for restart and kill -9 tests. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface PlatformProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export function startPlatformProcess(args: string[]): PlatformProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'start', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TSUNAGU_LOG_LEVEL: 'warn' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}
