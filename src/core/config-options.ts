/**
 * Every configuration key, declared once: the dotted key into `TsunaguConfig`, its flag, its
 * `TSUNAGU_*` variable (derived from the flag), its kind and its `--help` line (config.ts reads it).
 */
export type Kind = 'port' | 'int' | 'string' | 'bool';
export interface Option {
  key: string; // dotted path into TsunaguConfig
  flag: string;
  env: string;
  kind: Kind;
  help: string;
}

const opt = (key: string, flag: string, kind: Kind, help: string): Option => ({
  key,
  flag,
  kind,
  help,
  env: 'TSUNAGU_' + flag.replace(/-/g, '_').toUpperCase(),
});

export const OPTIONS: Option[] = [
  opt('host', 'host', 'string', 'address every listener binds to (default 127.0.0.1)'),
  opt('mqttPort', 'mqtt-port', 'port', 'MQTT over TCP (default 1883; 0 = any free port)'),
  opt(
    'mqttsPort',
    'mqtts-port',
    'port',
    'MQTT over TLS (default off; 8883 is usual; needs --tls-cert/--tls-key)',
  ),
  opt(
    'wssPort',
    'wss-port',
    'port',
    'MQTT over secure WebSocket at wss://host:port/mqtt (default off; needs --tls-cert/--tls-key)',
  ),
  opt(
    'httpPort',
    'http-port',
    'port',
    'HTTP API, console, /metrics and MQTT over WebSocket at /mqtt (default 8080)',
  ),
  opt('telegramPort', 'telegram-port', 'port', 'raw TCP telegram listener (default off)'),
  opt('dataDir', 'data-dir', 'string', 'where the embedded database lives (default ./data)'),
  opt(
    'artifactsDir',
    'artifacts-dir',
    'string',
    'job artifacts directory (default <data dir>/artifacts); in a cluster one directory every node mounts',
  ),
  opt('database', 'database', 'string', '"sqlite" (default) or a postgres:// URL'),
  opt(
    'allowAnonymous',
    'allow-anonymous',
    'bool',
    'accept MQTT clients without credentials (development only)',
  ),
  opt(
    'outOfServiceCommands',
    'out-of-service-commands',
    'string',
    'commands to out-of-service devices: allow | warn (default: sent, with a warning) | refuse (409); a model can override',
  ),
  opt(
    'proxyProtocol',
    'proxy-protocol',
    'bool',
    'MQTT TCP connections start with a PROXY protocol v1/v2 header (behind HAProxy send-proxy-v2)',
  ),
  opt('aclFile', 'acl-file', 'string', 'static ACL file (allow/deny patterns) for the broker'),
  opt('tlsCert', 'tls-cert', 'string', 'PEM certificate for TLS listeners'),
  opt('tlsKey', 'tls-key', 'string', 'PEM private key for TLS listeners'),
  opt(
    'tlsCa',
    'tls-ca',
    'string',
    'PEM CA bundle; when set, TLS clients must present a certificate signed by it',
  ),
  opt('adminToken', 'admin-token', 'string', 'first admin API token (otherwise generated and printed once)'),
  opt(
    'adminTokenFile',
    'admin-token-file',
    'string',
    'read the admin token from this file (trimmed; must not be world-readable), keeping it out of ps',
  ),
  opt(
    'secretKeyFile',
    'secret-key-file',
    'string',
    'key file (32 bytes, base64 or hex) that encrypts stored secrets (default: generated once in the data dir)',
  ),
  opt('logLevel', 'log-level', 'string', 'trace|debug|info|warn|error|silent (default info)'),
  opt('nodeId', 'node-id', 'string', 'this node’s name in a cluster (default: hostname-pid)'),
  opt(
    'cluster',
    'cluster',
    'bool',
    'run as one node of a cluster: needs --database postgres://… and --nats-url (docs/scale.md)',
  ),
  opt('natsUrl', 'nats-url', 'string', 'NATS server(s) for a cluster, e.g. nats://127.0.0.1:4222'),
  opt(
    'natsSubject',
    'nats-subject',
    'string',
    'NATS subject a cluster shares (default tsunagu.cluster.events; one per cluster on a shared NATS)',
  ),
  opt('demo', 'demo', 'bool', 'start with a demo fleet'),
  opt(
    'otlpEndpoint',
    'otlp-endpoint',
    'string',
    'send OpenTelemetry traces to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (also OTEL_EXPORTER_OTLP_ENDPOINT)',
  ),
  opt(
    'traceSampleRatio',
    'trace-sample-ratio',
    'string',
    'share of traces sampled, 0..1 (default 1; e.g. 0.01)',
  ),
  opt(
    'publicUrl',
    'public-url',
    'string',
    'URL browsers use to reach the console (https:// makes cookies Secure)',
  ),
  opt(
    'mapTilesUrl',
    'map-tiles-url',
    'string',
    'default raster tile URL for the console map, https://…/{z}/{x}/{y}.png (default none: offline outlines)',
  ),
  opt('oidc.issuer', 'oidc-issuer', 'string', 'OpenID Connect issuer URL: turns on "Sign in with SSO"'),
  opt('oidc.clientId', 'oidc-client-id', 'string', 'OpenID Connect client id registered for Tsunagu'),
  opt('oidc.clientSecretFile', 'oidc-client-secret-file', 'string', 'file holding the OIDC client secret'),
  opt('oidc.scopes', 'oidc-scopes', 'string', 'scopes to request (default "openid email profile")'),
  opt(
    'oidc.redirectUrl',
    'oidc-redirect-url',
    'string',
    'redirect URL (default <public-url>/api/v1/auth/oidc/callback)',
  ),
  opt(
    'oidc.roleClaim',
    'oidc-role-claim',
    'string',
    'claim with groups/roles (default groups; dotted paths allowed)',
  ),
  opt(
    'oidc.roleMap',
    'oidc-role-map',
    'string',
    'group=role pairs, comma-separated (role: admin|operator|viewer|customer:<id>)',
  ),
  opt(
    'oidc.allowedDomains',
    'oidc-allowed-domains',
    'string',
    'comma-separated e-mail domains allowed to sign in',
  ),
  opt(
    'oidc.defaultRole',
    'oidc-default-role',
    'string',
    'role for people whose claims map to none (default: refuse)',
  ),
  opt('limits.maxPacketSize', 'max-packet-size', 'int', 'largest MQTT packet in bytes'),
  opt('limits.maxTopicLength', 'max-topic-length', 'int', 'longest topic name in bytes'),
  opt('limits.maxTopicLevels', 'max-topic-levels', 'int', 'most levels in a topic'),
  opt('limits.maxInflight', 'max-inflight', 'int', 'in-flight QoS 1/2 messages per session'),
  opt('limits.maxQueued', 'max-queued', 'int', 'queued messages per session'),
  opt('limits.maxConnections', 'max-connections', 'int', 'concurrent MQTT connections'),
  opt('limits.connectRatePerIp', 'connect-rate-per-ip', 'int', 'CONNECTs per second per remote address'),
  opt('limits.maxSubscriptionsPerClient', 'max-subscriptions', 'int', 'subscriptions per client'),
  opt('limits.maxKeepalive', 'max-keepalive', 'int', 'server keep-alive cap in seconds (0 = none)'),
  opt('limits.maxSessionExpiry', 'max-session-expiry', 'int', 'longest session expiry granted, seconds'),
  opt('limits.topicAliasMaximum', 'topic-alias-maximum', 'int', 'topic aliases accepted per MQTT 5 client'),
];
