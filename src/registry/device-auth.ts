/**
 * The broker's policy hooks: CONNECT authentication (password, client certificate, anonymous mode)
 * and per-topic authorization. The hot path is synchronous: each connected client carries its
 * compiled ACL and a decision cache, so a repeated (or denied) publish costs a map lookup and no
 * database read (an anonymous client in allow-anonymous mode carries nothing: it may do
 * everything). Password CONNECTs pass the failed-authentication limiter (auth-limiter.ts) before
 * any database read or hash, then password-check.ts verifies the secret.
 */
import type { Clock, Logger } from '../core/index.js';
import type { AuthResult, BrokerHooks, ClientInfo } from '../mqtt/index.js';
import { allowsPublish, allowsSubscribe, compileAcl, type CompiledAcl } from './acl.js';
import type { AuthLimiter } from './auth-limiter.js';
import type { CachedDirectory } from './directory.js';
import { isActive, NOT_AUTHORIZED, PasswordCheck } from './password-check.js';
import { verifySecret } from './secrets.js';
import { SlowLane } from './slow-lane.js';
import type { RegistryStore } from './registry-store.js';
import type { Credential } from './types.js';

export { BAD_USER_OR_PASSWORD, isActive, NOT_AUTHORIZED } from './password-check.js';
/** MQTT 5 CONNACK 0x9F Connection rate exceeded (3.1.1 clients get 5, not authorized, instead). */
export const CONNECTION_RATE_EXCEEDED = 0x9f;

const MAX_DECISIONS_PER_CLIENT = 1024;

/**
 * What the hooks keep per connected client with credentials (one per connection: idle memory
 * counts); anonymous clients have none.
 */
class ClientState {
  loading: Promise<void> | undefined = undefined;
  /**
   * Decisions keyed by the topic string itself (no concatenation: V8 caches a string's hash).
   * Allocated on first use: two empty Maps cost ~700 bytes, more than the broker's own state of
   * an idle connection, and an anonymous client (ACL `all`) never needs them (docs/benchmarks.md).
   */
  publish: Map<string, boolean> | undefined = undefined;
  subscribe: Map<string, boolean> | undefined = undefined;

  constructor(
    readonly deviceId: string,
    /** `all` for anonymous clients in allow-anonymous mode; undefined while being recompiled. */
    public acl: CompiledAcl | 'all' | undefined,
    public credentialId: string | null,
  ) {}

  forgetDecisions(): void {
    this.publish = undefined;
    this.subscribe = undefined;
  }
}

const refuse = (reasonCode: number, reason: string): AuthResult => ({ ok: false, reasonCode, reason });

export interface DeviceAuthDeps {
  directory: CachedDirectory;
  store: RegistryStore;
  clock: Clock;
  log: Logger;
  allowAnonymous: boolean;
  /** Failed-authentication limits; undefined turns them off (the benchmark's "before" run). */
  limiter: AuthLimiter | undefined;
  slowLane?: SlowLane;
  /** Slow (scrypt) verification; injected so tests can count calls. */
  verifySlow?: (secret: string, stored: string) => Promise<boolean>;
}

export class DeviceAuth {
  private readonly clients = new Map<string, ClientState>();
  private readonly certificates = new Map<string, Credential | null>();
  private readonly directory: CachedDirectory;
  private readonly store: RegistryStore;
  private readonly clock: Clock;
  private readonly allowAnonymous: boolean;
  private readonly limiter: AuthLimiter | undefined;
  readonly passwords: PasswordCheck;

  constructor(deps: DeviceAuthDeps) {
    this.directory = deps.directory;
    this.store = deps.store;
    this.clock = deps.clock;
    this.allowAnonymous = deps.allowAnonymous;
    this.limiter = deps.limiter;
    this.passwords = new PasswordCheck({
      directory: deps.directory,
      store: deps.store,
      clock: deps.clock,
      log: deps.log,
      slowLane: deps.slowLane ?? new SlowLane(deps.clock),
      verifySlow: deps.verifySlow ?? verifySecret,
      verifyFast: verifySecret,
    });
  }

  hooks(): Pick<BrokerHooks, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'> {
    return {
      authenticate: (c, u, p) => this.authenticate(c, u, p),
      authorizePublish: (c, t) => this.authorize(c, 'p', t),
      authorizeSubscribe: (c, f) => this.authorize(c, 's', f),
    };
  }

  /**
   * Which credential the connected client used (null: a certificate that matched none, admitted
   * anonymously; undefined: not connected, or anonymous).
   */
  credentialOf(clientId: string): string | null | undefined {
    return this.clients.get(clientId)?.credentialId;
  }

  /** The client's last connection closed. */
  forget(clientId: string): void {
    this.clients.delete(clientId);
  }

  /** Credentials, enabled flag, tags or model of a device changed. */
  invalidateDevice(deviceId: string): void {
    this.passwords.invalidate(deviceId);
    this.certificates.clear();
    const st = this.clients.get(deviceId);
    if (st && st.acl !== 'all') this.recompile(st);
  }

  /** Events may have been missed (cluster resync): drop every cached credential, recompile ACLs. */
  invalidateAll(): void {
    this.passwords.clear();
    this.certificates.clear();
    this.invalidateModel();
  }

  /** A model's ACL template changed: recompile every connected client (they are few per model change). */
  invalidateModel(): void {
    for (const st of this.clients.values()) if (st.acl !== 'all') this.recompile(st);
  }

  // --- CONNECT -------------------------------------------------------------------------------

  async authenticate(client: ClientInfo, username?: string, password?: Buffer): Promise<AuthResult> {
    const id = client.clientId;
    if (client.certFingerprint) {
      const cert = await this.certificate(client.certFingerprint);
      if (cert) return this.admitCertificate(id, cert);
    }
    if (username !== undefined || password !== undefined)
      return this.checkPassword(id, username, password, client);
    if (this.allowAnonymous) {
      // An anonymous client is allowed everything, so it needs no state of its own (`authorize`
      // answers it from its `ClientInfo`: 72 bytes and a map entry less per anonymous client, idle
      // memory). A certificate that matched no credential still gets one: `authorize` would
      // otherwise take it for a device to compile an ACL for.
      if (client.certFingerprint) this.clients.set(id, new ClientState(id, 'all', null));
      // A state left by an earlier connection under this id (with a password) must not apply.
      else this.clients.delete(id);
      return { ok: true };
    }
    return refuse(NOT_AUTHORIZED, 'credentials required');
  }

  private async admitCertificate(id: string, cert: Credential): Promise<AuthResult> {
    if (cert.deviceId !== id) return refuse(NOT_AUTHORIZED, 'certificate belongs to another device');
    if (!isActive(cert, this.clock.now())) return refuse(NOT_AUTHORIZED, 'certificate revoked');
    return this.admit(id, cert.id);
  }

  /**
   * For non-MQTT paths (the telegram listener's `HELLO <id> <secret>`): does the secret match an
   * active password credential of an enabled device? Same rules as CONNECT, no session; limited per
   * address when the caller passes one.
   */
  async verifyDeviceSecret(id: string, secret: string, remoteAddress?: string): Promise<boolean> {
    const from = remoteAddress === undefined ? undefined : { remoteAddress, protocolVersion: 5 as const };
    return (await this.checkPassword(id, undefined, Buffer.from(secret, 'utf8'), from, false)).ok;
  }

  /** Limiter first (a map lookup), then the secret; the limiter learns how it ended. */
  private async checkPassword(
    id: string,
    username: string | undefined,
    password: Buffer | undefined,
    from: Pick<ClientInfo, 'remoteAddress' | 'protocolVersion'> | undefined,
    admitClient = true,
  ): Promise<AuthResult> {
    const gate = from && this.limiter?.begin(id, from.remoteAddress);
    if (gate && !gate.ok) {
      const what = gate.scope === 'client' ? 'this client id from this address' : 'this address';
      const reason = `too many failed authentications for ${what}; retry in ${Math.ceil(gate.retryAfterMs / 1000)} s`;
      // MQTT 5: 0x9F Connection rate exceeded; 3.1.1 has no such code: 5, not authorized.
      return refuse(from.protocolVersion === 5 ? CONNECTION_RATE_EXCEEDED : NOT_AUTHORIZED, reason);
    }
    let outcome: 'success' | 'failure' | 'neutral' = 'neutral';
    try {
      const r = await this.passwords.check(id, username, password);
      if (!r.ok) {
        outcome = r.attempt;
        return refuse(r.reasonCode, r.reason);
      }
      outcome = 'success';
      return admitClient ? await this.admit(id, r.credentialId) : { ok: true };
    } finally {
      if (gate) gate.end(outcome);
    }
  }

  private async admit(id: string, credentialId: string): Promise<AuthResult> {
    const device = await this.directory.device(id);
    if (!device) return refuse(NOT_AUTHORIZED, 'unknown client id');
    if (!device.enabled) return refuse(NOT_AUTHORIZED, 'device disabled');
    const st = new ClientState(id, undefined, credentialId);
    await this.compile(st);
    this.clients.set(id, st);
    return { ok: true };
  }

  private async certificate(fp: string): Promise<Credential | undefined> {
    const hit = this.certificates.get(fp);
    if (hit !== undefined) return hit ?? undefined;
    const c = await this.store.findCertificate(fp);
    this.certificates.set(fp, c ?? null);
    return c;
  }

  // --- ACL -----------------------------------------------------------------------------------

  private async compile(st: ClientState): Promise<void> {
    const device = await this.directory.device(st.deviceId);
    if (!device || !device.enabled) {
      st.acl = { publish: [], subscribe: [] };
    } else {
      const model = device.model ? await this.directory.model(device.model) : undefined;
      st.acl = compileAcl(model?.acl, device);
    }
    st.forgetDecisions();
  }

  private recompile(st: ClientState): void {
    st.acl = undefined;
    st.forgetDecisions();
    const p = this.compile(st).finally(() => {
      if (st.loading === p) st.loading = undefined;
    });
    st.loading = p;
  }

  /** Admitted without credentials in allow-anonymous mode: every topic, no state kept. */
  private anonymous(client: ClientInfo): boolean {
    return this.allowAnonymous && client.username === undefined && !client.certFingerprint;
  }

  /** A client we hold no state for (e.g. a takeover raced with the old connection's close). */
  private async restore(client: ClientInfo): Promise<ClientState> {
    const device = await this.directory.device(client.clientId);
    const st = new ClientState(client.clientId, undefined, null);
    if (device) await this.compile(st);
    else st.acl = { publish: [], subscribe: [] };
    this.clients.set(client.clientId, st);
    return st;
  }

  private authorize(client: ClientInfo, action: 'p' | 's', topic: string): boolean | Promise<boolean> {
    const st = this.clients.get(client.clientId);
    if (!st) {
      if (this.anonymous(client)) return true;
      return this.restore(client).then(() => this.authorize(client, action, topic));
    }
    if (st.acl === 'all') return true;
    if (st.acl === undefined)
      return (st.loading ?? this.compile(st)).then(() => this.authorize(client, action, topic));
    const cache = action === 'p' ? (st.publish ??= new Map()) : (st.subscribe ??= new Map());
    const hit = cache.get(topic);
    if (hit !== undefined) return hit;
    const ok = action === 'p' ? allowsPublish(st.acl, topic) : allowsSubscribe(st.acl, topic);
    if (cache.size >= MAX_DECISIONS_PER_CLIENT) cache.clear();
    cache.set(topic, ok);
    return ok;
  }
}
