import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

test('defaults: MQTT 1883, HTTP 8080, ./data, anonymous off', () => {
  const c = loadConfig([], {});
  assert.equal(c.mqttPort, 1883);
  assert.equal(c.httpPort, 8080);
  assert.equal(c.dataDir, './data');
  assert.equal(c.allowAnonymous, false);
});

test('precedence: flags > environment > config file > defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'mqttPort: 1000\nhttpPort: 2000\ndataDir: /from/file\nlimits:\n  maxInflight: 7\n');
  const env = { TSUNAGU_HTTP_PORT: '3000', TSUNAGU_DATA_DIR: '/from/env' };
  const c = loadConfig(['--config', file, '--data-dir', '/from/flag'], env);
  assert.equal(c.mqttPort, 1000); // file
  assert.equal(c.httpPort, 3000); // env beats file
  assert.equal(c.dataDir, '/from/flag'); // flag beats env
  assert.equal(c.limits.maxInflight, 7); // nested key from file
});

test('boolean flags without a value, and --key=value', () => {
  const c = loadConfig(['--allow-anonymous', '--mqtt-port=0'], {});
  assert.equal(c.allowAnonymous, true);
  assert.equal(c.mqttPort, 0);
});

test('invalid values name the key and where they came from', () => {
  assert.throws(
    () => loadConfig(['--mqtt-port', 'abc'], {}),
    /mqttPort \(from --mqtt-port\) must be a whole number/,
  );
  assert.throws(
    () => loadConfig([], { TSUNAGU_HTTP_PORT: '70000' }),
    /httpPort \(from TSUNAGU_HTTP_PORT\) must be a port/,
  );
  assert.throws(() => loadConfig(['--database', 'mysql://x'], {}), /database must be "sqlite" or a postgres/);
  assert.throws(() => loadConfig(['--bogus'], {}), /unknown option --bogus/);
  assert.throws(() => loadConfig(['--mqtts-port', '8883'], {}), /needs tlsCert and tlsKey/);
  assert.throws(() => loadConfig(['--wss-port', '8443'], {}), /wssPort needs tlsCert and tlsKey/);
  assert.throws(() => loadConfig(['--max-inflight', '-1'], {}), ConfigError);
  assert.throws(() => loadConfig(['--cluster', 'nats://127.0.0.1:4222'], {}), /takes no value.*--nats-url/);
  assert.throws(() => loadConfig(['--cluster'], {}), /cluster needs a shared PostgreSQL database/);
  const pg = ['--database', 'postgres://db/tsunagu'];
  assert.throws(() => loadConfig(['--cluster', ...pg], {}), /cluster needs natsUrl \(--nats-url/);
  assert.throws(
    () => loadConfig([...pg, '--nats-url', 'nats://n:4222'], {}),
    /natsUrl is only used with cluster/,
  );
  assert.throws(
    () => loadConfig(['--cluster', ...pg, '--nats-url', 'redis://r:6379'], {}),
    /natsUrl must be nats:\/\/host:port/,
  );
  const c = loadConfig(['--cluster', ...pg, '--nats-url', 'nats://a:4222,nats://b:4222'], {});
  assert.equal(c.cluster, true);
  assert.equal(c.natsUrl, 'nats://a:4222,nats://b:4222');
});

test('unknown keys in the config file are errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'mqtPort: 1\n');
  assert.throws(() => loadConfig(['--config', file], {}), /unknown key "mqtPort"/);
});

test('map tiles URL: a {z}/{x}/{y} http(s) template from flag, env or file; anything else refused', () => {
  assert.equal(loadConfig([], {}).mapTilesUrl, undefined);
  const url = 'https://tiles.example.org/{z}/{x}/{y}.png';
  assert.equal(loadConfig(['--map-tiles-url', url], {}).mapTilesUrl, url);
  assert.equal(loadConfig([], { TSUNAGU_MAP_TILES_URL: url }).mapTilesUrl, url);
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, `mapTilesUrl: "${url}"\n`);
  assert.equal(loadConfig(['--config', file], {}).mapTilesUrl, url);
  for (const bad of [
    'tiles.example.org/{z}/{x}/{y}.png',
    'https://t.example.org/{z}/{x}.png',
    'javascript:{z}{x}{y}',
  ])
    assert.throws(
      () => loadConfig(['--map-tiles-url', bad], {}),
      /mapTilesUrl must be an http\(s\):\/\/ URL with \{z\}, \{x\} and \{y\}/,
      bad,
    );
});
