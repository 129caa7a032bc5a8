/**
 * `--admin-token-file` / `TSUNAGU_ADMIN_TOKEN_FILE`: the admin token comes from a file, so it is not
 * in `ps` output. Unit tests of the config, then the real `tsunagu start` command.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from './config.js';

function tokenFile(content: string, mode: number): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsu-token-'));
  const file = join(dir, 'admin-token');
  writeFileSync(file, content);
  chmodSync(file, mode);
  return { file, dir };
}

test('the token is read from the file and trimmed; flag or environment', (t) => {
  const { file, dir } = tokenFile('  file-token-0123456789\n', 0o600);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(loadConfig(['--admin-token-file', file], {}).adminToken, 'file-token-0123456789');
  assert.equal(loadConfig([], { TSUNAGU_ADMIN_TOKEN_FILE: file }).adminToken, 'file-token-0123456789');
  chmodSync(file, 0o640);
  assert.equal(loadConfig(['--admin-token-file', file], {}).adminToken, 'file-token-0123456789');
});

test('a world-readable, empty or missing file, or both token options, are refused with the fix named', (t) => {
  const open = tokenFile('file-token-0123456789', 0o644);
  const empty = tokenFile(' \n', 0o600);
  t.after(() => {
    rmSync(open.dir, { recursive: true, force: true });
    rmSync(empty.dir, { recursive: true, force: true });
  });
  assert.throws(
    () => loadConfig(['--admin-token-file', open.file], {}),
    new RegExp(`adminTokenFile: .* is readable by every user \\(mode 0644\\); run: chmod 600 `),
  );
  assert.throws(() => loadConfig(['--admin-token-file', empty.file], {}), /adminTokenFile: .* is empty/);
  assert.throws(
    () => loadConfig(['--admin-token-file', join(empty.dir, 'nope')], {}),
    /adminTokenFile: .*nope does not exist/,
  );
  assert.throws(
    () => loadConfig(['--admin-token-file', empty.dir], {}),
    /adminTokenFile: .* is not a regular file/,
  );
  assert.throws(
    () => loadConfig(['--admin-token', 'x', '--admin-token-file', empty.file], {}),
    /adminToken or adminTokenFile, not both/,
  );
});

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

test('tsunagu start --admin-token-file: the API accepts the token, and it is not on the command line', async (t) => {
  const { file, dir } = tokenFile('cli-file-token-0123456789abcdef\n', 0o600);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const args = ['--import', 'tsx', 'src/cli/index.ts', 'start', '--admin-token-file', file];
  const ports = ['--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data-dir', dir];
  const child = spawn(process.execPath, [...args, ...ports], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TSUNAGU_LOG_LEVEL: 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${httpPort}/api/v1/devices`;
  const get = (token: string): Promise<number> =>
    fetch(url, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  let status = 0;
  for (let i = 0; i < 150 && status === 0; i++) {
    status = await get('cli-file-token-0123456789abcdef').catch(() => 0);
    if (status === 0) await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(status, 200, stderr);
  assert.equal(await get('wrong-token'), 401);
  const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
  assert.ok(cmdline.includes(file) && !cmdline.includes('cli-file-token'), 'ps shows the path only');
  assert.doesNotMatch(stderr, /first admin API token/, 'no generated token');
  // A plain start says where the console is.
  assert.match(stderr, new RegExp(`console at http://127\\.0\\.0\\.1:${httpPort}/`));
});

test('tsunagu start with a world-readable token file exits with the message', async (t) => {
  const { file, dir } = tokenFile('cli-file-token-0123456789abcdef', 0o644);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/index.ts', 'start', '--admin-token-file', file, '--data-dir', dir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.notEqual(code, 0);
  assert.match(stderr, /readable by every user \(mode 0644\); run: chmod 600/);
});
