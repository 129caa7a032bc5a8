/**
 * Configuration: command-line flags > `TSUNAGU_*` environment > YAML config file (`--config`)
 * > defaults. Every key is declared once in `OPTIONS`; invalid values fail at start with a
 * message naming the key, the source and what was expected.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { readSecretFile } from './secret-file.js';
import { OUT_OF_SERVICE_COMMANDS, type OutOfServiceCommands } from './devices.js';
import { OPTIONS, type Option } from './config-options.js';

export { OPTIONS } from './config-options.js';

export interface BrokerLimits {
  /** Largest MQTT packet accepted, bytes (CONNACK Maximum Packet Size in MQTT 5). */
  maxPacketSize: number;
  maxTopicLength: number;
  maxTopicLevels: number;
  /** In-flight QoS 1/2 messages per session towards a client (MQTT 5 Receive Maximum). */
  maxInflight: number;
  /** Messages queued per session while offline or while the window is full. */
  maxQueued: number;
  maxConnections: number;
  /** CONNECT attempts per second per remote IP. */
  connectRatePerIp: number;
  maxSubscriptionsPerClient: number;
  /** Server keep-alive cap in seconds (0 = accept the client's). */
  maxKeepalive: number;
  /** Longest session expiry interval granted, seconds. */
  maxSessionExpiry: number;
  /** Topic Alias Maximum offered to MQTT 5 clients. */
  topicAliasMaximum: number;
}

export interface TsunaguConfig {
  host: string;
  mqttPort: number;
  /** TLS MQTT port; 0 = pick a free port, -1 = off. Needs tlsCert and tlsKey. */
  mqttsPort: number;
  /** MQTT over secure WebSocket (`wss://…/mqtt`); 0 = pick a free port, -1 = off. Needs tlsCert and tlsKey. */
  wssPort: number;
  httpPort: number;
  /** Raw TCP telegram listener; -1 = off. */
  telegramPort: number;
  dataDir: string;
  /** Job artifacts (firmware) directory; unset: `<dataDir>/artifacts`. A cluster's nodes share one. */
  artifactsDir: string | undefined;
  /** `sqlite` (file under dataDir) or a `postgres://` URL. */
  database: string;
  allowAnonymous: boolean;
  /** Commands to out-of-service devices when their model says nothing: allow, warn (default), refuse. */
  outOfServiceCommands: OutOfServiceCommands;
  /** The MQTT TCP listener expects a PROXY protocol v1/v2 header on every connection. */
  proxyProtocol: boolean;
  aclFile: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  tlsCa: string | undefined;
  adminToken: string | undefined;
  /** File holding the admin token (not world-readable); read into `adminToken` at load. */
  adminTokenFile: string | undefined;
  /** 32-byte key (base64 or hex) that encrypts stored secrets; unset: generated in dataDir. */
  secretKeyFile: string | undefined;
  logLevel: string;
  nodeId: string;
  /** Run as one node of a cluster (docs/scale.md): needs a postgres:// database and `natsUrl`. */
  cluster: boolean;
  /** `nats://host:port` (comma-separated for several servers) for cluster events and presence. */
  natsUrl: string | undefined;
  /** NATS subject for cluster events; every node of one cluster must agree (two clusters on one NATS must not). */
  natsSubject: string;
  demo: boolean;
  /** The URL browsers use to reach the console (`https://…` makes session cookies Secure); default http://host:httpPort. */
  publicUrl: string | undefined;
  /** The console map's default raster tile URL template (`{z}/{x}/{y}`); unset: bundled outlines only. */
  mapTilesUrl: string | undefined;
  /** OpenID Connect sign-in (docs/identity.md); off unless `oidcIssuer` is set. */
  oidc: OidcConfig;
  limits: BrokerLimits;
  /** OTLP/HTTP collector base URL (traces go to `<url>/v1/traces`); unset with no OTEL_EXPORTER_OTLP_ENDPOINT: tracing off. */
  otlpEndpoint: string | undefined;
  /** Share of new traces sampled, "0".."1" (parent-based: a sampled traceparent is always followed); unset: OTEL_TRACES_SAMPLER or 1. */
  traceSampleRatio: string | undefined;
}

export interface OidcConfig {
  issuer: string | undefined;
  clientId: string | undefined;
  /** File holding the client secret (read at start; must not be world-readable). */
  clientSecretFile: string | undefined;
  scopes: string;
  /** Default `<publicUrl>/api/v1/auth/oidc/callback`. */
  redirectUrl: string | undefined;
  roleClaim: string;
  /** `group=role,…` with role admin|operator|viewer|customer:<id>. */
  roleMap: string | undefined;
  /** Comma-separated e-mail domains allowed to sign in (empty: any). */
  allowedDomains: string | undefined;
  /** Role for people whose claims map to none (empty: refused). */
  defaultRole: string | undefined;
}

export const DEFAULT_LIMITS: BrokerLimits = {
  maxPacketSize: 1024 * 1024,
  maxTopicLength: 1024,
  maxTopicLevels: 32,
  maxInflight: 64,
  maxQueued: 1000,
  maxConnections: 100_000,
  connectRatePerIp: 1000,
  maxSubscriptionsPerClient: 256,
  maxKeepalive: 0,
  maxSessionExpiry: 7 * 24 * 3600,
  topicAliasMaximum: 64,
};

export function defaultConfig(): TsunaguConfig {
  return {
    host: '127.0.0.1',
    mqttPort: 1883,
    mqttsPort: -1,
    wssPort: -1,
    httpPort: 8080,
    telegramPort: -1,
    dataDir: './data',
    artifactsDir: undefined,
    database: 'sqlite',
    allowAnonymous: false,
    outOfServiceCommands: 'warn',
    proxyProtocol: false,
    aclFile: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
    tlsCa: undefined,
    adminToken: undefined,
    adminTokenFile: undefined,
    secretKeyFile: undefined,
    logLevel: 'info',
    nodeId: `node-${process.pid}`,
    cluster: false,
    natsUrl: undefined,
    natsSubject: 'tsunagu.cluster.events',
    demo: false,
    publicUrl: undefined,
    mapTilesUrl: undefined,
    oidc: {
      issuer: undefined,
      clientId: undefined,
      clientSecretFile: undefined,
      scopes: 'openid email profile',
      redirectUrl: undefined,
      roleClaim: 'groups',
      roleMap: undefined,
      allowedDomains: undefined,
      defaultRole: undefined,
    },
    limits: { ...DEFAULT_LIMITS },
    otlpEndpoint: undefined,
    traceSampleRatio: undefined,
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function coerce(o: Option, raw: unknown, source: string): unknown {
  const where = `${o.key} (from ${source})`;
  switch (o.kind) {
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['1', 'true', 'yes', 'on', ''].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      throw new ConfigError(`invalid configuration: ${where} must be true or false, got "${String(raw)}"`);
    }
    case 'port':
    case 'int': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isInteger(n) || String(raw).trim() === '')
        throw new ConfigError(`invalid configuration: ${where} must be a whole number, got "${String(raw)}"`);
      if (o.kind === 'port' && (n < -1 || n > 65535))
        throw new ConfigError(
          `invalid configuration: ${where} must be a port 0-65535 (or -1 for off), got ${n}`,
        );
      if (o.kind === 'int' && n < 0)
        throw new ConfigError(`invalid configuration: ${where} must not be negative, got ${n}`);
      return n;
    }
    case 'string':
      if (typeof raw !== 'string' && typeof raw !== 'number')
        throw new ConfigError(`invalid configuration: ${where} must be a string`);
      return String(raw);
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = target;
  for (const p of parts.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
  cur[parts[parts.length - 1]!] = value;
}

function getPath(src: Record<string, unknown>, path: string): unknown {
  let cur: unknown = src;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Parse `--flag value`, `--flag=value` and bare boolean `--flag`. Unknown flags are errors. */
export function parseFlags(argv: string[]): { values: Map<string, string | boolean>; configFile?: string } {
  const values = new Map<string, string | boolean>();
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new ConfigError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const o = OPTIONS.find((x) => x.flag === name);
    if (name === 'config') {
      configFile = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (!configFile) throw new ConfigError('--config needs a file path');
      continue;
    }
    if (!o) throw new ConfigError(`unknown option --${name} (see tsunagu start --help)`);
    if (eq >= 0) values.set(o.key, a.slice(eq + 1));
    else if (o.kind === 'bool') {
      const next = argv[i + 1];
      if (next === 'true' || next === 'false') values.set(o.key, argv[++i]!);
      else if (next !== undefined && !next.startsWith('--'))
        throw new ConfigError(
          `--${name} is a switch and takes no value, got "${next}"` +
            (name === 'cluster' ? ' (give the NATS server with --nats-url nats://host:4222)' : ''),
        );
      else values.set(o.key, true);
    } else {
      const next = argv[++i];
      if (next === undefined) throw new ConfigError(`--${name} needs a value`);
      values.set(o.key, next);
    }
  }
  return configFile === undefined ? { values } : { values, configFile };
}

/** Resolve the configuration from flags, environment and an optional YAML file. */
export function loadConfig(argv: string[] = [], env: NodeJS.ProcessEnv = process.env): TsunaguConfig {
  const { values, configFile } = parseFlags(argv);
  const cfg = defaultConfig() as unknown as Record<string, unknown>;
  const file = configFile ?? env.TSUNAGU_CONFIG;
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    const parsed: unknown = parseYaml(text);
    if (parsed !== null && parsed !== undefined && typeof parsed !== 'object')
      throw new ConfigError(`config file ${file} must be a YAML mapping`);
    fromFile = (parsed ?? {}) as Record<string, unknown>;
    const known = new Set(OPTIONS.map((o) => o.key.split('.')[0]));
    for (const k of Object.keys(fromFile))
      if (!known.has(k)) throw new ConfigError(`invalid configuration: unknown key "${k}" in ${file}`);
  }
  for (const o of OPTIONS) {
    let raw: unknown;
    let source: string;
    if (values.has(o.key)) {
      raw = values.get(o.key);
      source = `--${o.flag}`;
    } else if (env[o.env] !== undefined) {
      raw = env[o.env];
      source = o.env;
    } else if (getPath(fromFile, o.key) !== undefined) {
      raw = getPath(fromFile, o.key);
      source = file ?? 'config file';
    } else continue;
    setPath(cfg, o.key, coerce(o, raw, source));
  }
  const config = cfg as unknown as TsunaguConfig;
  if (config.adminTokenFile !== undefined) {
    if (config.adminToken !== undefined)
      throw new ConfigError('invalid configuration: give adminToken or adminTokenFile, not both');
    try {
      config.adminToken = readSecretFile(config.adminTokenFile);
    } catch (err) {
      throw new ConfigError(`invalid configuration: adminTokenFile: ${(err as Error).message}`);
    }
  }
  validate(config);
  return config;
}

function validate(c: TsunaguConfig): void {
  const fail = (why: string): never => {
    throw new ConfigError(`invalid configuration: ${why}`);
  };
  if (c.mqttsPort >= 0 && (!c.tlsCert || !c.tlsKey))
    fail('mqttsPort needs tlsCert and tlsKey (--tls-cert, --tls-key)');
  if (c.wssPort >= 0 && (!c.tlsCert || !c.tlsKey))
    fail('wssPort needs tlsCert and tlsKey (--tls-cert, --tls-key)');
  if (c.database !== 'sqlite' && !/^postgres(ql)?:\/\//.test(c.database))
    fail(`database must be "sqlite" or a postgres:// URL, got "${c.database}"`);
  if (c.cluster && c.database === 'sqlite')
    fail(
      'cluster needs a shared PostgreSQL database (--database postgres://…); the embedded SQLite file belongs to one node',
    );
  if (c.cluster && c.natsUrl === undefined)
    fail('cluster needs natsUrl (--nats-url nats://host:4222) for cluster events');
  if (c.natsUrl !== undefined && !/^(nats|tls):\/\/[^,\s]+(,\s*(nats|tls):\/\/[^,\s]+)*$/.test(c.natsUrl))
    fail(`natsUrl must be nats://host:port (comma-separated for several), got "${c.natsUrl}"`);
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(c.natsSubject))
    fail(
      `natsSubject must be dot-separated tokens of letters, digits, _ and - (no wildcards), got "${c.natsSubject}"`,
    );
  if (c.natsUrl !== undefined && !c.cluster) fail('natsUrl is only used with cluster (--cluster)');
  if (c.otlpEndpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(c.otlpEndpoint))
    fail(`otlpEndpoint must be an http(s):// URL, got "${c.otlpEndpoint}"`);
  const ratio = Number(c.traceSampleRatio);
  if (c.traceSampleRatio !== undefined && !(ratio >= 0 && ratio <= 1))
    fail(`traceSampleRatio must be a number from 0 to 1, got "${c.traceSampleRatio}"`);
  if (c.mapTilesUrl !== undefined && !isTileUrlTemplate(c.mapTilesUrl))
    fail(`mapTilesUrl must be an http(s):// URL with {z}, {x} and {y}, got "${c.mapTilesUrl}"`);
  if (!OUT_OF_SERVICE_COMMANDS.includes(c.outOfServiceCommands))
    fail(
      `outOfServiceCommands must be one of ${OUT_OF_SERVICE_COMMANDS.join(', ')}, got "${c.outOfServiceCommands}"`,
    );
  if (c.limits.maxPacketSize < 64) fail('limits.maxPacketSize must be at least 64 bytes');
  if (c.limits.maxInflight < 1 || c.limits.maxInflight > 65535) fail('limits.maxInflight must be 1-65535');
}

/** For `--help`. */
export function describeOptions(): string {
  return OPTIONS.map((o) => `  --${o.flag.padEnd(22)} ${o.help}  [${o.env}]`).join('\n');
}

/** A raster tile URL template MapLibre can fill: http(s), no spaces, with `{z}`, `{x}` and `{y}`. */
export function isTileUrlTemplate(url: string): boolean {
  return /^https?:\/\/[^\s]+$/.test(url) && ['{z}', '{x}', '{y}'].every((p) => url.includes(p));
}
