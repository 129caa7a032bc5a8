/**
 * `tsunagu bench tracing --instructions`: instructions per message with tracing off and on, counted
 * by `valgrind --tool=callgrind` (deterministic where CPU time on a shared host is not). Runs
 * tracing-instructions.js once per setting (all at once: a count does not depend on the load), each
 * dumping its counts at the end of every part; a part's figure is the main thread's (part − empty
 * part) / N.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PARTS = ['warm-up', 'empty', 'qos0', 'qos1', 'commands'] as const;
type Part = (typeof PARTS)[number];

export interface InstructionOptions {
  ratios: number[];
  qos0: number;
  qos1: number;
  commands: number;
  /** Flags for node under valgrind (e.g. `--single-threaded`). */
  nodeFlags: string[];
}

/**
 * The main thread's instruction total (`summary:` of thread 1's dump) of each part of one run.
 * V8's background threads (concurrent compilation, GC helpers) are left out: they were 55–70% of
 * a part's instructions and the least repeatable share (when a function is compiled, when the heap
 * is marked), docs/benchmarks.md.
 */
function readParts(outFile: string): Record<Part, number> {
  const parts = {} as Record<Part, number>;
  PARTS.forEach((p, i) => {
    const file = `${outFile}.${i + 1}-01`;
    const m = /^summary: (\d+)$/m.exec(readFileSync(file, 'utf8'));
    if (!m) throw new Error(`no summary in ${file}`);
    parts[p] = Number(m[1]);
  });
  return parts;
}

function runOne(dir: string, setting: string, o: InstructionOptions): Promise<Record<Part, number>> {
  const script = fileURLToPath(new URL('./tracing-instructions.js', import.meta.url));
  const out = join(dir, `cg-${setting}`);
  const args = [
    '--tool=callgrind',
    '--separate-threads=yes',
    `--callgrind-out-file=${out}`,
    process.execPath,
  ];
  args.push(...o.nodeFlags, script, setting);
  args.push(String(o.qos0), String(o.qos1), String(o.commands), '--dump');
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`valgrind ${setting} exited ${code}: ${err}`));
      else {
        try {
          resolve(readParts(out));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
  });
}

export async function runTracingInstructions(o: InstructionOptions): Promise<void> {
  const settings = ['off', ...o.ratios.map(String)];
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-instr-'));
  try {
    process.stdout.write(
      `callgrind: ${o.qos0} QoS 0, ${o.qos1} QoS 1 messages, ${o.commands} commands per setting (${settings.join(', ')}), all at once; main-thread instructions per message\n`,
    );
    const runs = await Promise.all(settings.map((s) => runOne(dir, s, o)));
    const per = (r: Record<Part, number>, p: Part, n: number): number => (r[p] - r.empty) / n;
    const rows: [Part, string, number][] = [
      ['qos0', 'QoS 0 message', o.qos0],
      ['qos1', 'QoS 1 message', o.qos1],
      ['commands', 'command round trip', o.commands],
    ];
    for (const [part, label, n] of rows) {
      if (n === 0) continue;
      const off = per(runs[0]!, part, n);
      const cells = settings.map((s, i) => {
        const v = per(runs[i]!, part, n);
        return i === 0
          ? `off ${v.toFixed(0)}`
          : `${s} ${v.toFixed(0)} (${(((v - off) / off) * 100).toFixed(1)}%)`;
      });
      process.stdout.write(`${label}: instructions ${cells.join(', ')}\n`);
    }
    settings.forEach((s, i) =>
      process.stdout.write(`${s}: run parts ${PARTS.map((p) => `${p} ${runs[i]![p]}`).join(', ')}\n`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
