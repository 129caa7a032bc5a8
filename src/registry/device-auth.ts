/**
 * The broker's policy hooks: CONNECT authentication (password, client certificate, anonymous mode)
 * and per-topic authorization. The hot path is synchronous: each connected client carries its
 * compiled ACL and a decision cache, so a repeated (or denied) publish costs a map lookup and no
 * database read. scrypt verifications are cached by (client id, sha256 of what was presented), so
 * a reconnect storm costs one scrypt per device, not one per CONNECT.
 */
import type { Clock } from '../core/clock.js';
import type { AuthResult, BrokerHooks, ClientInfo } from '../mqtt/api.js';
import { allowsPublish, allowsSubscribe, compileAcl, type CompiledAcl } from './acl.js';
import type { CachedDirectory } from './directory.js';
import { sha256Hex, verifySecret } from './secrets.js';
import type { RegistryStore } from './store.js';
import type { Credential } from './types.js';

/** MQTT 5 CONNACK reason codes; the broker maps them to 3.1.1 return codes (0x86 → 4, 0x87 → 5). */
export const BAD_USER_OR_PASSWORD = 0x86;
export const NOT_AUTHORIZED = 0x87;

const MAX_DECISIONS_PER_CLIENT = 1024;

interface ClientState {
  deviceId: string;
  /** `all` for anonymous clients in allow-anonymous mode; undefined while being recompiled. */
  acl: CompiledAcl | 'all' | undefined;
  loading?: Promise<void>;
  credentialId: string | null;
  /** Keyed by the topic string itself (no concatenation: V8 caches a string's hash). */
  publish: Map<string, boolean>;
  subscribe: Map<string, boolean>;
}

const freshDecisions = (): Pick<ClientState, 'publish' | 'subscribe'> => ({
  publish: new Map(),
  subscribe: new Map(),
});

const refuse = (reasonCode: number, reason: string): AuthResult => ({ ok: false, reasonCode, reason });

export function isActive(c: Credential, now: number): boolean {
  return c.revokedAt === null && (c.expiresAt === null || now < c.expiresAt);
}

export class DeviceAuth {
  private readonly clients = new Map<string, ClientState>();
  private readonly credentials = new Map<string, Credential[]>();
  private readonly certificates = new Map<string, Credential | null>();
  /** `${deviceId}\0${sha256(username\0password)}` → credential id that verified it. */
  private readonly verified = new Map<string, string>();

  constructor(
    private readonly directory: CachedDirectory,
    private readonly store: RegistryStore,
    private readonly clock: Clock,
    private readonly allowAnonymous: boolean,
    /** Injected so tests can count scrypt verifications. */
    private readonly verify: (secret: string, stored: string) => Promise<boolean> = verifySecret,
  ) {}

  hooks(): Pick<BrokerHooks, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'> {
    return {
      authenticate: (c, u, p) => this.authenticate(c, u, p),
      authorizePublish: (c, t) => this.authorize(c, 'p', t),
      authorizeSubscribe: (c, f) => this.authorize(c, 's', f),
    };
  }

  /** Which credential the connected client used (null: certificate-less anonymous access). */
  credentialOf(clientId: string): string | null | undefined {
    return this.clients.get(clientId)?.credentialId;
  }

  /** The client's last connection closed. */
  forget(clientId: string): void {
    this.clients.delete(clientId);
  }

  /** Credentials, enabled flag, tags or model of a device changed. */
  invalidateDevice(deviceId: string): void {
    this.credentials.delete(deviceId);
    this.certificates.clear();
    for (const k of this.verified.keys()) if (k.startsWith(deviceId + '\0')) this.verified.delete(k);
    const st = this.clients.get(deviceId);
    if (st && st.acl !== 'all') this.recompile(st);
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
    if (username !== undefined || password !== undefined) return this.checkPassword(id, username, password);
    if (this.allowAnonymous) {
      this.clients.set(id, { deviceId: id, acl: 'all', credentialId: null, ...freshDecisions() });
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
   * active password credential of an enabled device? Same cache and rules as CONNECT, no session.
   */
  async verifyDeviceSecret(id: string, secret: string): Promise<boolean> {
    return (await this.checkPassword(id, undefined, Buffer.from(secret, 'utf8'), false)).ok;
  }

  private async checkPassword(
    id: string,
    username?: string,
    password?: Buffer,
    admitClient = true,
  ): Promise<AuthResult> {
    const device = await this.directory.device(id);
    if (!device) return refuse(NOT_AUTHORIZED, 'unknown client id');
    if (!device.enabled) return refuse(NOT_AUTHORIZED, 'device disabled');
    if (password === undefined) return refuse(BAD_USER_OR_PASSWORD, 'password required');
    const user = username ?? id;
    const secret = password.toString('utf8');
    const now = this.clock.now();
    const creds = (await this.deviceCredentials(id)).filter(
      (c) => c.kind === 'password' && c.username === user,
    );
    const key = `${id}\0${sha256Hex(`${user}\0${secret}`)}`;
    const cachedId = this.verified.get(key);
    const cached = cachedId === undefined ? undefined : creds.find((c) => c.id === cachedId);
    if (cached) {
      if (isActive(cached, now)) return admitClient ? this.admit(id, cached.id) : { ok: true };
      return refuse(NOT_AUTHORIZED, cached.revokedAt !== null ? 'credential revoked' : 'credential expired');
    }
    // Active credentials first (the common case), then inactive ones only to tell "revoked" apart.
    const ordered = [...creds.filter((c) => isActive(c, now)), ...creds.filter((c) => !isActive(c, now))];
    for (const c of ordered) {
      if (!c.secretHash || !(await this.verify(secret, c.secretHash))) continue;
      this.verified.set(key, c.id);
      if (isActive(c, now)) return admitClient ? this.admit(id, c.id) : { ok: true };
      return refuse(NOT_AUTHORIZED, c.revokedAt !== null ? 'credential revoked' : 'credential expired');
    }
    return refuse(BAD_USER_OR_PASSWORD, 'bad user name or password');
  }

  private async admit(id: string, credentialId: string): Promise<AuthResult> {
    const device = await this.directory.device(id);
    if (!device) return refuse(NOT_AUTHORIZED, 'unknown client id');
    if (!device.enabled) return refuse(NOT_AUTHORIZED, 'device disabled');
    const st: ClientState = { deviceId: id, acl: undefined, credentialId, ...freshDecisions() };
    await this.compile(st);
    this.clients.set(id, st);
    return { ok: true };
  }

  private async deviceCredentials(id: string): Promise<Credential[]> {
    let list = this.credentials.get(id);
    if (!list) {
      list = await this.store.listCredentials(id);
      this.credentials.set(id, list);
    }
    return list;
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
    st.publish.clear();
    st.subscribe.clear();
  }

  private recompile(st: ClientState): void {
    st.acl = undefined;
    st.publish.clear();
    st.subscribe.clear();
    const p = this.compile(st).finally(() => {
      if (st.loading === p) delete st.loading;
    });
    st.loading = p;
  }

  /** A client we hold no state for (e.g. a takeover raced with the old connection's close). */
  private async restore(client: ClientInfo): Promise<ClientState> {
    const device = await this.directory.device(client.clientId);
    const anonymous = this.allowAnonymous && client.username === undefined && !client.certFingerprint;
    const st: ClientState = {
      deviceId: client.clientId,
      acl: anonymous ? 'all' : undefined,
      credentialId: null,
      ...freshDecisions(),
    };
    if (!anonymous) {
      if (device) await this.compile(st);
      else st.acl = { publish: [], subscribe: [] };
    }
    this.clients.set(client.clientId, st);
    return st;
  }

  private authorize(client: ClientInfo, action: 'p' | 's', topic: string): boolean | Promise<boolean> {
    const st = this.clients.get(client.clientId);
    if (!st) return this.restore(client).then(() => this.authorize(client, action, topic));
    if (st.acl === 'all') return true;
    if (st.acl === undefined)
      return (st.loading ?? this.compile(st)).then(() => this.authorize(client, action, topic));
    const cache = action === 'p' ? st.publish : st.subscribe;
    const hit = cache.get(topic);
    if (hit !== undefined) return hit;
    const ok = action === 'p' ? allowsPublish(st.acl, topic) : allowsSubscribe(st.acl, topic);
    if (cache.size >= MAX_DECISIONS_PER_CLIENT) cache.clear();
    cache.set(topic, ok);
    return ok;
  }
}
