/**
 * `buildApp(config)` wires every module and never listens; `listen()` opens the sockets
 * (called by main.ts and by tests with port 0). Start-up is a named list of steps.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import {
  type Clock,
  createLogger,
  EventBus,
  type Logger,
  onPort,
  registerTracingMetrics,
  singleNodeEvents,
  singleNodeOwnership,
  systemClock,
  type TsunaguConfig,
} from './core/index.js';
import { wireConnectivityEvents, type ModuleContext, type PlatformModule } from './platform/index.js';
import { createHttpServer, registerApi, registerConsole, sessionRoutes } from './http/index.js';
import {
  allOf,
  attachWebSocket,
  createAclFileHooks,
  createBroker,
  listenTcp,
  listenTls,
  listenWss,
  type Broker,
} from './mqtt/index.js';
import { createAuth } from './auth/index.js';
import { AUDIT_JOURNAL_FILE, createAudit, entryFromEvent } from './audit/index.js';
import { createRegistry } from './registry/index.js';
import { createShadows } from './shadows/index.js';
import { createCommands } from './commands/index.js';
import { createTelemetry } from './telemetry/index.js';
import { createHealth } from './health/index.js';
import { createNotify } from './notify/index.js';
import { createSlo } from './slo/index.js';
import { createSchedules } from './schedules/index.js';
import { createRules } from './rules/index.js';
import { createJobs } from './jobs/index.js';
import { createDashboards } from './dashboards/index.js';
import { createAlarms } from './alarms/index.js';
import { openDatabase, registerStoreMetrics, type Database } from './store/index.js';
import { createCluster, registerClusterMetrics, type Cluster, type ClusterOptions } from './cluster/index.js';

export { PortInUseError } from './core/index.js';

export interface ListenAddresses {
  mqtt: number;
  mqtts?: number;
  wss?: number;
  http: number;
  host: string;
  /** Ports opened by modules (e.g. `telegram`). */
  extra: Record<string, number>;
}

export interface App {
  config: TsunaguConfig;
  log: Logger;
  bus: EventBus;
  db: Database;
  broker: Broker;
  http: FastifyInstance;
  modules: PlatformModule[];
  /** Set when built with `BuildOptions.cluster`: membership and leases for /readyz. */
  cluster?: Cluster;
  /** Open MQTT/TLS/HTTP(+WS) listeners. Fails with `PortInUseError` naming the flag to change. */
  listen(): Promise<ListenAddresses>;
  /** Drain connections, stop modules, flush and close storage. Idempotent. */
  close(): Promise<void>;
}

export interface BuildOptions {
  clock?: Clock;
  log?: Logger;
  /**
   * Run the scale-out seams on PostgreSQL leases + NATS (docs/cluster.md). Needs a postgres
   * database. Default: from `config.cluster` / `config.natsUrl` (`--cluster --nats-url …`).
   */
  cluster?: ClusterOptions;
}

export async function buildApp(config: TsunaguConfig, opts: BuildOptions = {}): Promise<App> {
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const bus = new EventBus(log);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'tsunagu_' });
  // prom-client's nodejs_active_{handles,requests,resources}_total are gauges named like counters
  // (promtool flags them); the per-type gauges without _total carry the same counts: sum() them.
  for (const kind of ['handles', 'requests', 'resources'])
    metrics.removeSingleMetric(`tsunagu_nodejs_active_${kind}_total`);
  // The tracing pipeline's own health (main.ts starts tracing before this, for the process).
  registerTracingMetrics(metrics);

  const db = await openDatabase(config.database, config.dataDir);
  registerStoreMetrics(metrics, db);
  // The one place that chooses single-node or cluster seams.
  let cluster: Cluster | undefined;
  const clusterOpts =
    opts.cluster ??
    (config.cluster && config.natsUrl !== undefined
      ? { natsUrl: config.natsUrl, subject: config.natsSubject }
      : undefined);
  if (clusterOpts) {
    if (db.kind !== 'postgres') throw new Error('cluster mode needs a postgres:// database');
    cluster = await createCluster(clusterOpts, { db, nodeId: config.nodeId, log, now: () => clock.now() });
    registerClusterMetrics(metrics, cluster);
  }
  const broker = createBroker({
    db,
    clock,
    log: log.child({ component: 'mqtt' }),
    limits: config.limits,
    allowAnonymous: config.allowAnonymous,
    nodeId: config.nodeId,
    ...(cluster ? { fanOut: cluster.fanOut } : {}),
  });
  const ownership = cluster?.ownership ?? singleNodeOwnership(config.nodeId);
  const clusterEvents = cluster?.events ?? singleNodeEvents(log);
  const ctx: ModuleContext = { config, db, bus, clock, log, broker, metrics, ownership, clusterEvents };

  // Modules in dependency order: the audit sink first (every module writes to it, and stopping in
  // reverse order flushes it last), then the registry: identity and the device directory.
  const audit = await createAudit(ctx, { journalPath: join(config.dataDir, AUDIT_JOURNAL_FILE) });
  const registry = await createRegistry(ctx, {
    audit: audit.log,
    ...(cluster ? { presence: cluster.presence } : {}),
    // The device list's service-state column and filter: health's answers, read per request (health
    // is built below, on the registry's directory; no request arrives before buildApp returns).
    serviceStates: {
      of: (id) => health.api.stateOf(id),
      devicesIn: (state) => health.api.devicesIn(state),
    },
  });
  // Users, sessions, API tokens, customers and the access check every route calls.
  const auth = await createAuth(ctx, registry.directory);
  // A static ACL file narrows what the registry allows: both must say yes.
  const brokerAuth = config.aclFile
    ? allOf(registry.brokerHooks, createAclFileHooks(config.aclFile))
    : registry.brokerHooks;
  const shadows = await createShadows(ctx, registry.directory, {
    // Shadow requests obey the broker's publish ACL (another thing's shadow when granted).
    authorizeRequest: (clientId, topic) => {
      const client = broker.clientInfo(clientId);
      return client !== undefined && (brokerAuth.authorizePublish?.(client, topic) ?? false);
    },
  });
  // Jobs read SLO budgets for error-budget freezes of rollouts.
  const slo = await createSlo(ctx, registry.directory);
  // Artifact URLs in job documents: TSUNAGU_PUBLIC_URL, else this node's HTTP address once listening.
  let httpPort = config.httpPort;
  const jobs = await createJobs(ctx, registry.directory, {
    authorizeRequest: (clientId, topic) => {
      const client = broker.clientInfo(clientId);
      return client !== undefined && (brokerAuth.authorizePublish?.(client, topic) ?? false);
    },
    publicUrl: () => process.env.TSUNAGU_PUBLIC_URL ?? `http://${config.host}:${httpPort}`,
    slos: slo.engine,
  });
  const notify = await createNotify(ctx, registry.directory);
  // Alarms subscribe to what health and SLOs emit; rules raise them through the `alarm` action.
  const alarms = await createAlarms(ctx, registry.directory);
  // Rule actions write only to registered devices (a template could name any id).
  const registered = async (id: string): Promise<string> => {
    if (!(await registry.directory.getDevice(id))) throw new Error(`device ${id} is not registered`);
    return id;
  };
  // Last-seen is presence's (one store, registry_devices): health and telemetry read it there.
  const health = await createHealth(ctx, registry.directory, { lastSeen: registry.lastSeen });
  // Commands confirmed by reported state check the shadow at acknowledgement time too; commands to
  // out-of-service devices follow the model's (or the platform's) policy, with health's answer.
  const commands = await createCommands(ctx, registry.directory, {
    readReported: (id, name) => shadows.reported(id, name),
    presence: registry.presence,
    serviceState: (id) => health.api.getServiceState(id, 0).catch(() => undefined),
    outOfServiceCommands: config.outOfServiceCommands,
  });
  const telemetry = await createTelemetry(ctx, registry.directory, {
    verifyDeviceSecret: (id, secret) => registry.verifyDeviceSecret(id, secret),
    lastSeen: registry.lastSeen,
    // The map's state per position: health's service state, then (in service) the registry's presence.
    positionState: (id) => {
      const { state } = health.api.stateOf(id);
      if (state === 'in_service') return registry.presence.isConnected(id) ? 'ok' : 'offline';
      return state === 'out_of_service' ? 'out' : state;
    },
  });
  const modules: PlatformModule[] = [
    audit,
    registry,
    auth,
    notify,
    alarms,
    shadows,
    commands,
    telemetry,
    health,
    slo,
    // Slot writes go through the shadow service (history shows `schedule:<id>`).
    // Online or not is the presence seam's answer (fleet-wide on a cluster), not this broker's.
    await createSchedules(ctx, registry.directory, shadows.service, { presence: registry.presence }),
    // Rules subscribe through the broker's fan-out (republish publishes through it too); get_shadow(),
    // decoded() and the platform actions go through the other modules' APIs.
    await createRules(ctx, registry.directory, {
      readShadow: (id, name) => shadows.service.get(id, name).catch(() => undefined),
      decode: async (id, topic, payload) => {
        const d = await telemetry.decode(id, { transport: 'mqtt', topic }, payload);
        return 'error' in d ? undefined : d;
      },
      platform: {
        writeTelemetry: async (id, json) => telemetry.writeValues(await registered(id), json),
        logEvent: (e) => telemetry.logEvents([e]),
        updateShadow: async (id, name, state, actor) =>
          shadows.service.update(await registered(id), name, { state }, actor),
        sendCommand: async (id, req, actor) =>
          (await commands.service.create(id, req as Parameters<typeof commands.service.create>[1], actor))
            .record,
        notify: (n) =>
          notify.service.handle({
            eventId: n.eventId,
            kind: 'rule',
            severity: n.severity,
            reason: n.rule,
            title: n.title,
            at: n.at,
            ...(n.deviceId !== undefined ? { deviceId: n.deviceId } : {}),
            data: n.data,
          }),
        alarm: (a) => alarms.fromRule(a),
      },
    }),
    jobs,
    // Dashboards read decoder fields and reported keys (default dashboards) and check SLO names.
    await createDashboards(ctx, registry.directory, {
      decoder: (id) => telemetry.decoders.get(id).catch(() => undefined),
      reportedKeys: async (deviceIds) => {
        const kinds = new Map<string, 'number' | 'text'>();
        for (const v of await telemetry.store.latest({ deviceIds, limit: 10_000 }))
          if (kinds.get(v.metric) !== 'number') kinds.set(v.metric, v.value === null ? 'text' : 'number');
        return [...kinds].map(([key, kind]) => ({ key, kind }));
      },
      sloExists: async (name) => (await slo.store.getSlo(name)) !== undefined,
    }),
  ];
  broker.setHooks(registry.brokerHooks);
  if (config.aclFile) broker.setHooks(brokerAuth);
  wireConnectivityEvents(broker, bus, clock);
  registerBrokerMetrics(metrics, broker);

  let ready = false;
  const http = createHttpServer({
    log,
    metrics,
    tokens: auth.tokens,
    // Not ready until listening, and in a cluster not while this node has not joined (docs/scale.md).
    ready: () => ready && (cluster?.status().joined ?? true),
    ...(cluster ? { readiness: () => ({ cluster: cluster.status() }) } : {}),
  });
  // The registry, telemetry, auth, schedules and rules write their own audit entries (with
  // before/after) or take in data, not changes; the audit module only reads; every other module's
  // changes are audited generically by http/, durably before the response goes out (a failed write
  // fails the request).
  const auditsItself = new Set(['audit', 'registry', 'telemetry', 'auth', 'schedules', 'rules']);
  await registerApi(
    http,
    auth.access,
    [
      sessionRoutes(bus),
      ...modules.flatMap((m) =>
        m.routes ? [{ routes: m.routes, auditsItself: auditsItself.has(m.name) }] : [],
      ),
    ],
    (entry) => audit.log.record(entryFromEvent(entry)),
  );
  await registerConsole(http);

  await broker.start();
  for (const m of modules) await m.start?.();
  // Wills of clients connected when the platform last stopped, now that modules subscribe.
  broker.publishRestoredWills();

  const servers: NetServer[] = [];
  let closed: Promise<void> | undefined;

  async function listen(): Promise<ListenAddresses> {
    const mqttServer = await onPort(config.mqttPort, 'MQTT', 'mqtt-port', () =>
      listenTcp(broker, config.host, config.mqttPort, {
        proxyProtocol: config.proxyProtocol,
        onProxyRefused: (why, from) => log.warn({ remoteAddress: from, why }, 'mqtt: connection refused'),
      }),
    );
    servers.push(mqttServer);
    const out: ListenAddresses = {
      host: config.host,
      mqtt: (mqttServer.address() as AddressInfo).port,
      http: 0,
      extra: {},
    };
    const tls =
      config.tlsCert && config.tlsKey
        ? {
            cert: readFileSync(config.tlsCert),
            key: readFileSync(config.tlsKey),
            ...(config.tlsCa ? { ca: readFileSync(config.tlsCa) } : {}),
          }
        : undefined;
    if (config.mqttsPort >= 0 && tls) {
      const s = await onPort(config.mqttsPort, 'MQTT over TLS', 'mqtts-port', () =>
        listenTls(broker, config.host, config.mqttsPort, tls),
      );
      servers.push(s);
      out.mqtts = (s.address() as AddressInfo).port;
    }
    if (config.wssPort >= 0 && tls) {
      const s = await onPort(config.wssPort, 'MQTT over secure WebSocket', 'wss-port', () =>
        listenWss(broker, config.host, config.wssPort, tls),
      );
      servers.push(s);
      out.wss = (s.address() as AddressInfo).port;
    }
    attachWebSocket(broker, http.server, '/mqtt');
    await onPort(config.httpPort, 'HTTP', 'http-port', () =>
      http.listen({ host: config.host, port: config.httpPort }),
    );
    out.http = (http.server.address() as AddressInfo).port;
    httpPort = out.http;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    await auth.announceSignInLink(config.publicUrl ?? `http://${shownHost}:${out.http}`);
    for (const m of modules) if (m.listen) Object.assign(out.extra, await m.listen(config.host));
    for (const m of modules) await m.listening?.();
    ready = true;
    log.info({ ...out }, 'tsunagu listening');
    return out;
  }

  function close(): Promise<void> {
    closed ??= (async () => {
      ready = false;
      for (const m of modules)
        try {
          await m.closing?.();
        } catch (err) {
          log.error({ err, module: m.name }, 'module closing failed');
        }
      for (const s of servers) s.close();
      await broker.close();
      for (const m of [...modules].reverse()) {
        try {
          await m.stop?.();
        } catch (err) {
          log.error({ err, module: m.name }, 'module stop failed');
        }
      }
      await http.close();
      await cluster?.close();
      await db.close();
    })();
    return closed;
  }

  return { config, log, bus, db, broker, http, modules, listen, close, ...(cluster ? { cluster } : {}) };
}

function registerBrokerMetrics(metrics: Registry, broker: Broker): void {
  type Stats = ReturnType<Broker['stats']>;
  const gauge = (name: string, help: string, pick: (s: Stats) => number): void => {
    new Gauge({
      name,
      help,
      registers: [metrics],
      collect() {
        this.set(pick(broker.stats()));
      },
    });
  };
  // Monotonic totals kept by the broker, exposed as counters (Prometheus naming: only counters end in _total).
  const counter = (name: string, help: string, pick: (s: Stats) => number): void => {
    new Counter({
      name,
      help,
      registers: [metrics],
      collect() {
        this.reset();
        this.inc(pick(broker.stats()));
      },
    });
  };
  gauge('tsunagu_mqtt_connections', 'Connected MQTT clients', (s) => s.clientsConnected);
  gauge('tsunagu_mqtt_sessions', 'MQTT sessions, connected or persisted', (s) => s.clientsTotal);
  counter('tsunagu_mqtt_messages_received_total', 'PUBLISH packets received', (s) => s.messagesReceived);
  counter('tsunagu_mqtt_messages_sent_total', 'PUBLISH packets sent', (s) => s.messagesSent);
  counter('tsunagu_mqtt_received_bytes_total', 'Bytes received over MQTT', (s) => s.bytesReceived);
  counter('tsunagu_mqtt_sent_bytes_total', 'Bytes sent over MQTT', (s) => s.bytesSent);
  counter(
    'tsunagu_mqtt_dropped_total',
    'Message copies dropped for a session: its queue was full, or bigger than the client accepts',
    (s) => s.publishDropped,
  );
  counter(
    'tsunagu_mqtt_platform_dropped_total',
    'Copies of platform publishes (commands, shadows, jobs, rules) dropped, here or on nodes that answered',
    (s) => s.platformDropped,
  );
  counter(
    'tsunagu_mqtt_wills_denied_total',
    'Wills dropped because their topic was no longer authorized when due',
    (s) => s.willsDenied,
  );
  gauge('tsunagu_mqtt_retained', 'Retained messages', (s) => s.retainedCount);
  gauge('tsunagu_mqtt_subscriptions', 'Subscriptions', (s) => s.subscriptionsCount);
  gauge('tsunagu_mqtt_inflight', 'In-flight QoS 1/2 messages', (s) => s.inflightCount);
  gauge('tsunagu_mqtt_queued', 'Queued messages across sessions', (s) => s.queuedCount);
}
