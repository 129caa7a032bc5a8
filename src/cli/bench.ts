// PLACEHOLDER — benchmarks are added per area (`tsunagu bench broker`, …).
export function runBench(args: string[]): Promise<void> {
  process.stderr.write(`tsunagu bench: unknown benchmark "${args[0] ?? ''}"\n`);
  process.exitCode = 2;
  return Promise.resolve();
}
