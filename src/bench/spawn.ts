/**
 * Starting the benchmark's own child processes (client workers, the Aedes server) from either the
 * TypeScript sources (under tsx) or the compiled `dist/` files, whichever this file was loaded from.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUNNING_TS = import.meta.url.endsWith('.ts');

/** Absolute path of a sibling entry file of this folder (`worker` → worker.ts or worker.js). */
export function siblingEntry(name: string): string {
  return fileURLToPath(new URL(`./${name}.${RUNNING_TS ? 'ts' : 'js'}`, import.meta.url));
}

/** Node flags needed to run a sibling entry: the tsx loader when running from sources. */
export function siblingNodeArgs(): string[] {
  return RUNNING_TS ? ['--import', import.meta.resolve('tsx')] : [];
}

/**
 * Spawn `command args…` through bash with the open-file limit raised to the hard limit first: 10,000
 * sockets need more descriptors than the usual soft limit of 1,024. `exec` keeps the pid, so /proc
 * readings of `child.pid` are the real process.
 */
export function spawnWithFileLimit(
  command: string,
  args: string[],
  opts: { stdio: StdioOptions; env?: NodeJS.ProcessEnv; cwd?: string },
): ChildProcess {
  return spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'bash', command, ...args], {
    stdio: opts.stdio,
    env: opts.env ?? process.env,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
}

/** Wait for a child to exit, killing it with SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Resolves true when the child exits within `ms`, false otherwise. */
export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
