/**
 * The audit queue survives a crash: a child process whose store is failing is killed with -9
 * after its requests were answered 503; the next start replays the journal in order, exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ManualClock, silentLogger } from '../core/index.js';
import { openSqlite } from '../store/index.js';
import { sampleEntry } from './journal-crash.fixture.js';
import { AuditJournal } from './journal.js';
import { openAuditStore } from './open-audit-store.js';
import { AuditLog } from './service.js';

const oldestFirst = async (log: AuditLog): Promise<string[]> =>
  (await log.list({ limit: 100, offset: 0 })).items.map((e) => e.action).reverse();

test('killed with -9 while the store is failing: every acknowledged entry is written at the next start, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-journal-'));
  const dbPath = join(dir, 'tsunagu.db');
  const journalPath = join(dir, 'audit-journal.ndjson');
  try {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'journal-crash.fixture.ts'), dbPath, journalPath],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const acked: string[] = [];
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_c, sig) => resolve(sig)),
    );
    for await (const line of createInterface({ input: child.stdout })) {
      if (line === 'ready') break;
      acked.push(line.replace(/^acked /, ''));
    }
    assert.deepEqual(acked, ['w1', 'j1', 'j2', 'j3', 'j4']);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const db = openSqlite(dbPath);
    const store = await openAuditStore(db);
    // Before the restart only what the store took is there.
    assert.deepEqual((await store.list({ limit: 100, offset: 0 })).items.map((e) => e.action).reverse(), [
      'w1',
      'w2',
    ]);
    const log = new AuditLog(store, new ManualClock(), silentLogger, { journalPath });
    assert.equal(log.replay(), 6);
    await log.flush();
    assert.deepEqual(await oldestFirst(log), ['w1', 'w2', 'q0', 'j1', 'j2', 'j3', 'q1', 'j4']);
    await log.stop();
    assert.equal(readFileSync(journalPath, 'utf8'), '', 'the journal is emptied once everything is written');

    // A second start replays nothing.
    const again = new AuditLog(store, new ManualClock(), silentLogger, { journalPath });
    assert.equal(again.replay(), 0);
    await again.stop();
    assert.equal((await store.list({ limit: 100, offset: 0 })).total, 8);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the journal: entries marked written are not replayed, a torn last line is ignored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-journal-'));
  const path = join(dir, 'j.ndjson');
  try {
    const j = new AuditJournal(path);
    await j.append([sampleEntry('a'), sampleEntry('b'), sampleEntry('c')]);
    await j.written(2);
    await j.append([sampleEntry('d')]);
    await j.close();
    writeFileSync(path, readFileSync(path, 'utf8') + '{"e":{"act', { flag: 'w' });
    assert.deepEqual(
      new AuditJournal(path).load().map((e) => e.action),
      ['c', 'd'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a store outage journals the queue; once written, the journal is emptied and normal writes skip it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-journal-'));
  const journalPath = join(dir, 'j.ndjson');
  const db = openSqlite(':memory:');
  try {
    const real = await openAuditStore(db);
    let failing = true;
    const log = new AuditLog(
      {
        append: async (e) => (failing ? Promise.reject(new Error('down')) : real.append(e)),
        list: (q) => real.list(q),
      },
      new ManualClock(),
      silentLogger,
      { journalPath },
    );
    await assert.rejects(log.record(sampleEntry('a')));
    assert.deepEqual(
      new AuditJournal(journalPath).load().map((e) => e.action),
      ['a'],
    );
    failing = false;
    await log.flush();
    assert.equal(readFileSync(journalPath, 'utf8'), '');
    await log.record(sampleEntry('b'));
    assert.equal(readFileSync(journalPath, 'utf8'), '', 'a healthy store is written without the journal');
    assert.deepEqual(await oldestFirst(log), ['a', 'b']);
    await log.stop();
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
