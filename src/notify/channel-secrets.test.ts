/**
 * Channel secrets at rest: sealed with AES-256-GCM on SQLite and PostgreSQL, plain rows from older
 * versions sealed on start, the key generated once (0600) or read from --secret-key-file.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openSqlite } from '../store/database.js';
import { freshPgSchema, requirePostgres } from '../test-support/services.js';
import { startTestPlatform } from '../test-support/platform.js';
import type { NotifyStore } from './notify-store.js';
import { createPgNotifyStore } from './pg-notify-store.js';
import { sealedChannelStore, sealPlainChannels } from './sealed-store.js';
import { KEY_FILE_NAME, loadSecretKey, SecretBox } from '../core/index.js';
import { createSqliteNotifyStore } from './sqlite-notify-store.js';
import type { Channel } from './types.js';

const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/plainSlackPath';
const SIGNING = 'whsec-plain-signing-key-0123';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'notify-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const channel = (id: string, type: Channel['type'], url: string, secret?: string): Channel => ({
  id,
  name: id,
  type,
  url,
  ...(secret !== undefined ? { secret } : {}),
  groupWindowMs: 0,
  timeoutMs: 1000,
  enabled: true,
  createdAt: 1,
  updatedAt: 1,
});

/** The raw stored rows, as text, for checking what an attacker with the database file would see. */
type RawRows = () => Promise<string>;

const adapters: [string, (t: TestContext) => Promise<{ store: NotifyStore; rows: RawRows } | undefined>][] = [
  [
    'sqlite',
    async (t) => {
      const db = openSqlite(join(tempDir(t), 'n.db'));
      t.after(() => db.close());
      const rows: RawRows = async () =>
        JSON.stringify(db.db.prepare('SELECT body FROM notify_channels').all());
      return { store: await createSqliteNotifyStore(db), rows };
    },
  ],
  [
    'postgres',
    async (t) => {
      if (!(await requirePostgres(t))) return undefined;
      const db = await freshPgSchema('nsec');
      t.after(() => db.drop());
      const rows: RawRows = async () =>
        JSON.stringify((await db.pool.query('SELECT body FROM notify_channels')).rows);
      return { store: await createPgNotifyStore(db), rows };
    },
  ],
];

for (const [name, open] of adapters)
  describe(`channel secrets at rest (${name})`, () => {
    test('plain rows are sealed on start and read back unchanged', async (t) => {
      const s = await open(t);
      if (!s) return;
      const box = new SecretBox(randomBytes(32));
      // Rows as an older version wrote them: plain text in the database.
      await s.store.putChannel(channel('slack', 'slack', SLACK_URL));
      await s.store.putChannel(channel('hook', 'webhook', 'http://127.0.0.1:9/x', SIGNING));
      assert.ok((await s.rows()).includes('plainSlackPath'));
      assert.equal(await sealPlainChannels(s.store, box), 2);
      assert.equal(await sealPlainChannels(s.store, box), 0, 'sealing twice changes nothing');
      const raw = await s.rows();
      assert.equal(raw.includes('plainSlackPath'), false, raw);
      assert.equal(raw.includes(SIGNING), false, raw);
      const sealed = sealedChannelStore(s.store, box);
      assert.equal((await sealed.getChannel('slack'))?.url, SLACK_URL);
      assert.equal((await sealed.getChannel('hook'))?.secret, SIGNING);
      assert.deepEqual((await sealed.listChannels()).map((c) => c.url).sort(), [
        'http://127.0.0.1:9/x',
        SLACK_URL,
      ]);
      // New writes are sealed too.
      await sealed.putChannel(channel('slack2', 'slack', SLACK_URL + '2'));
      assert.equal((await s.rows()).includes('plainSlackPath'), false);
      assert.equal((await sealed.getChannel('slack2'))?.url, SLACK_URL + '2');
      // The wrong key does not silently read garbage.
      await assert.rejects(sealedChannelStore(s.store, new SecretBox(randomBytes(32))).listChannels(), {
        name: 'SecretBoxError',
      });
    });
  });

test('a sealed value is authenticated: a flipped byte fails to open', () => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal('hello');
  assert.notEqual(box.seal('hello'), sealed, 'a fresh IV per value');
  assert.equal(box.open(sealed), 'hello');
  const raw = Buffer.from(sealed.slice('enc:v1:'.length), 'base64');
  raw[raw.length - 1]! ^= 1;
  assert.throws(() => box.open('enc:v1:' + raw.toString('base64')), { name: 'SecretBoxError' });
});

test('the key is generated once in the data dir with mode 0600, or read from --secret-key-file', (t) => {
  const dir = tempDir(t);
  const first = loadSecretKey(undefined, dir);
  assert.equal(first.generated, join(dir, KEY_FILE_NAME));
  assert.equal(statSync(join(dir, KEY_FILE_NAME)).mode & 0o777, 0o600);
  const again = loadSecretKey(undefined, dir);
  assert.equal(again.generated, undefined);
  assert.deepEqual(again.key, first.key);
  const file = join(dir, 'given.key');
  const hex = randomBytes(32).toString('hex');
  writeFileSync(file, hex + '\n');
  assert.equal(loadSecretKey(file, dir).key.toString('hex'), hex);
  writeFileSync(file, 'too short');
  assert.throws(() => loadSecretKey(file, dir), /expected 32 bytes/);
  assert.throws(() => loadSecretKey(join(dir, 'missing'), dir), /cannot read --secret-key-file/);
});

test('the platform stores a Slack URL created through the API encrypted', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const r = await p.app.http.inject({
    method: 'POST',
    url: '/api/v1/notification-channels',
    headers: p.auth,
    payload: { name: 'ops', type: 'slack', url: SLACK_URL },
  });
  assert.equal(r.statusCode, 201, r.body);
  const db = p.app.db;
  assert.equal(db.kind, 'sqlite');
  if (db.kind !== 'sqlite') return;
  const raw = JSON.stringify(db.db.prepare('SELECT body FROM notify_channels').all());
  assert.equal(raw.includes('plainSlackPath'), false, raw);
  assert.match(raw, /enc:v1:/);
  assert.equal(readFileSync(join(p.dataDir, KEY_FILE_NAME), 'utf8').trim().length, 44);
});
