// The management verbs against a real platform over HTTP: tables and --json, secrets printed once,
// models applied from YAML (create, then replace), API errors and usage errors named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestPlatform } from '../test-support/platform.js';
import { ApiFailure, parseDurationS, runManage, table, UsageError } from './manage.js';

test('table and durations', () => {
  assert.equal(
    table(
      [
        { id: 'a', tags: ['x', 'y'] },
        { id: 'bbb', n: null },
      ],
      ['id', 'tags'],
    ),
    'ID   TAGS\na    x,y\nbbb  —\n',
  );
  assert.equal(parseDurationS('30d'), 30 * 86400);
  assert.equal(parseDurationS('90'), 90);
  assert.throws(() => parseDurationS('soon'), UsageError);
});

test('devices, models, tokens, channels and routes against a running platform', async (t) => {
  const p = await startTestPlatform();
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-cli-'));
  t.after(async () => {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = async (resource: string, ...argv: string[]): Promise<{ out: string; err: string }> => {
    let out = '';
    let err = '';
    await runManage(resource, [...argv, '--url', p.httpUrl], {
      out: (s) => (out += s),
      err: (s) => (err += s),
      env: { TSUNAGU_TOKEN: p.adminToken },
    });
    return { out, err };
  };

  const modelFile = join(dir, 'scooter.yaml');
  writeFileSync(
    modelFile,
    'name: cli-scooter\ndescription: first\nheartbeat: { intervalMs: 30000, graceMs: 5000, signOfLife: heartbeat }\n',
  );
  assert.match((await run('models', 'apply', modelFile)).err, /created model cli-scooter/);
  writeFileSync(modelFile, 'name: cli-scooter\ndescription: second\n');
  assert.match((await run('models', 'apply', modelFile)).err, /replaced model cli-scooter/);
  assert.match((await run('models', 'list')).out, /cli-scooter\s+second/);

  await run('devices', 'create', 'cli-1', '--model', 'cli-scooter', '--tag', 'city=osaka', '--tag', 'e2e');
  await run('devices', 'create', 'cli-2', '--name', 'Second');
  const list = await run('devices', 'list', '--model', 'cli-scooter');
  assert.match(list.out, /^ID\s+NAME\s+MODEL\s+ONLINE\s+ENABLED\s+TAGS\n/);
  assert.match(list.out, /cli-1\s+cli-1\s+cli-scooter\s+false\s+true\s+city=osaka,e2e/);
  assert.doesNotMatch(list.out, /cli-2/);
  assert.match(list.err, /1 devices/);
  const json = JSON.parse((await run('devices', 'get', 'cli-2', '--json')).out) as { name: string };
  assert.equal(json.name, 'Second');

  // A credential's secret is printed once and works: the API says so by listing the credential.
  const cred = JSON.parse((await run('devices', 'credential', 'cli-1', '--json')).out) as { secret: string };
  assert.ok(cred.secret.length >= 20);

  // Update, list credentials (no secrets), rotate (a new secret once), revoke.
  assert.match(
    (await run('devices', 'update', 'cli-2', '--model', 'cli-scooter', '--tag', 'b')).out,
    /cli-2\s+Second\s+cli-scooter\s+true\s+b/,
  );
  const creds = await run('devices', 'credentials', 'cli-1');
  assert.match(creds.out, /^ID\s+KIND\s+USERNAME\s+STATUS/);
  assert.ok(!creds.out.includes(cred.secret));
  const credId = (
    JSON.parse((await run('devices', 'credentials', 'cli-1', '--json')).out) as { items: { id: string }[] }
  ).items[0]!.id;
  const rotated = JSON.parse(
    (await run('devices', 'rotate', 'cli-1', credId, '--overlap', '0', '--json')).out,
  ) as {
    secret: string;
  };
  assert.ok(rotated.secret.length >= 20 && rotated.secret !== cred.secret);
  assert.match((await run('devices', 'revoke', 'cli-1', credId)).out, /revoked/);

  const tok = JSON.parse(
    (await run('tokens', 'create', 'ci-reader', '--role', 'viewer', '--expires-in', '1d', '--json')).out,
  ) as {
    id: string;
    secret: string;
  };
  const viewer = await fetch(`${p.httpUrl}/api/v1/devices`, {
    headers: { authorization: `Bearer ${tok.secret}` },
  });
  assert.equal(viewer.status, 200);
  assert.match((await run('tokens', 'list')).out, /ci-reader\s+viewer/);
  await run('tokens', 'revoke', tok.id);
  const revoked = await fetch(`${p.httpUrl}/api/v1/devices`, {
    headers: { authorization: `Bearer ${tok.secret}` },
  });
  assert.equal(revoked.status, 401);

  const ch = JSON.parse(
    (
      await run(
        'channels',
        'create',
        'ops',
        '--type',
        'webhook',
        '--url',
        'http://127.0.0.1:9/hook',
        '--json',
      )
    ).out,
  ) as { id: string };
  await run('routes', 'create', 'all to ops', '--channel', ch.id, '--kind', 'service-state.changed');
  assert.match((await run('routes', 'list')).out, /all to ops\s+service-state\.changed/);

  // The channel's endpoint (port 9: refused, or whatever else holds it on a shared machine) does
  // not take the message: the test says so and fails.
  await assert.rejects(
    run('channels', 'test', ch.id),
    (e: Error) => e instanceof ApiFailure && /did not take the test message: \S/.test(e.message),
  );

  // Errors name what is wrong.
  await assert.rejects(
    run('devices', 'get', 'nope'),
    (e: Error) => e instanceof ApiFailure && e.status === 404,
  );
  await assert.rejects(
    run('devices', 'create', 'bad/id'),
    (e: Error) => e instanceof ApiFailure && /422.*id/.test(e.message),
  );
  await assert.rejects(
    run('tokens', 'create', 'x'),
    (e: Error) => e instanceof UsageError && /--role/.test(e.message),
  );
  await assert.rejects(run('devices', 'frobnicate'), /unknown action "devices frobnicate"/);
  await run('devices', 'delete', 'cli-2');
  await assert.rejects(
    run('devices', 'get', 'cli-2'),
    (e: Error) => e instanceof ApiFailure && e.status === 404,
  );
});

test('the tsunagu command runs the verbs and exits 1 with the API error, 2 on bad usage', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      encoding: 'utf8',
      env: { ...process.env, TSUNAGU_TOKEN: 'x' },
    });
  const unreachable = cli('devices', 'list', '--url', 'http://127.0.0.1:9');
  assert.equal(unreachable.status, 1);
  assert.match(unreachable.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
  const usage = cli('tokens', 'create');
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /missing token name/);
  assert.match(cli('devices', '--help').stdout, /usage: tsunagu <devices/);
});
