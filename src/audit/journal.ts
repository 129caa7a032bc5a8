/**
 * The audit queue's crash journal: a local append-only file under the data directory that holds the
 * entries the store has not taken yet. The database may be the very thing that is down, so the
 * queue cannot be kept there.
 *
 * Lines are JSON, one per record, written in queue order and fsynced before the caller goes on:
 * - `{"e": <entry>}` — an entry accepted but not yet in the store;
 * - `{"w": n}` — the next `n` journaled entries (from the front) are now in the store.
 * When the queue is empty again the file is truncated. At start, `load()` returns the entries not
 * marked written, in order. A crash between the store's commit and the `w` line fsync replays that
 * batch once more (at least once: an entry can appear twice, it is never lost). A torn last line
 * (the crash hit mid-write; never fsynced, so never acknowledged) is ignored.
 *
 * Every operation runs in one chain, so lines land in the order they were asked for.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditEntry } from './audit-store.js';

/** The file's name under the data directory. */
export const AUDIT_JOURNAL_FILE = 'audit-journal.ndjson';

type Line = { e: AuditEntry } | { w: number };

export class AuditJournal {
  private chain: Promise<void> = Promise.resolve();
  private fh: FileHandle | undefined;
  private bytes = 0;

  constructor(readonly path: string) {}

  /** Entries journaled but not marked written, in the order they were accepted. */
  load(): AuditEntry[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    this.bytes = Buffer.byteLength(text);
    const entries: AuditEntry[] = [];
    let written = 0;
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // a torn write at the crash: it was never fsynced, so never acknowledged
      }
      if ('e' in line) entries.push(line.e);
      else written += line.w;
    }
    return entries.slice(written);
  }

  /** Append entries; resolves once they are on disk (fsync). */
  append(entries: readonly AuditEntry[]): Promise<void> {
    if (!entries.length) return this.chain;
    return this.write(entries.map((e) => ({ e })));
  }

  /** The next `n` journaled entries are in the store. */
  written(n: number): Promise<void> {
    return this.write([{ w: n }]);
  }

  /** Everything journaled is in the store: empty the file. */
  reset(): Promise<void> {
    return this.run(async () => {
      if (this.bytes === 0) return;
      const fh = await this.handle();
      await fh.truncate(0);
      await fh.sync();
      this.bytes = 0;
    });
  }

  /** Whether the file holds anything (entries or marks) that `reset()` has not cleared. */
  get dirty(): boolean {
    return this.bytes > 0;
  }

  close(): Promise<void> {
    return this.run(async () => {
      await this.fh?.close();
      this.fh = undefined;
    });
  }

  private write(lines: Line[]): Promise<void> {
    const data = lines.map((l) => JSON.stringify(l) + '\n').join('');
    return this.run(async () => {
      const fh = await this.handle();
      await fh.appendFile(data, 'utf8');
      await fh.datasync();
      this.bytes += Buffer.byteLength(data);
    });
  }

  private async handle(): Promise<FileHandle> {
    if (!this.fh) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fh = await open(this.path, 'a');
    }
    return this.fh;
  }

  private run(op: () => Promise<void>): Promise<void> {
    const out = this.chain.then(op);
    this.chain = out.catch(() => undefined);
    return out;
  }
}
