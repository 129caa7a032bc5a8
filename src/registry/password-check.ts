/**
 * Password CONNECTs: which credential of the device does the presented secret match? Platform
 * generated secrets are stored as `sha256$…` and checked in a microsecond on the event loop;
 * `scrypt$…` hashes (stored before the fast scheme, or chosen by a person) go through the slow lane
 * (bounded concurrency on the thread pool), their successes are cached per (client id, presented
 * secret), and a generated secret that verifies under scrypt is re-hashed with the fast scheme and
 * written back, so the next CONNECT — on any node, after any restart — is fast.
 */
import type { Clock, Logger } from '../core/index.js';
import type { AttemptOutcome } from './auth-limiter.js';
import type { CachedDirectory } from './directory.js';
import { hashGeneratedSecret, isSlowHash, looksGenerated, sha256Hex } from './secrets.js';
import { BUSY, type SlowLane } from './slow-lane.js';
import type { RegistryStore } from './registry-store.js';
import type { Credential } from './types.js';

/** MQTT 5 CONNACK reason codes; the broker maps them to 3.1.1 return codes (0x86 → 4, 0x87 → 5). */
export const BAD_USER_OR_PASSWORD = 0x86;
export const NOT_AUTHORIZED = 0x87;
export const SERVER_BUSY = 0x89;

export type PasswordResult =
  | { ok: true; credentialId: string }
  | { ok: false; reasonCode: number; reason: string; attempt: AttemptOutcome };

export function isActive(c: Credential, now: number): boolean {
  return c.revokedAt === null && (c.expiresAt === null || now < c.expiresAt);
}

/**
 * AWS IoT device SDKs append usage metrics to the user name (`name?SDK=JavaScript&Version=2.2.16`,
 * "metrics user name" in the AWS IoT developer guide); the part from `?` on is not the name.
 */
export function baseUserName(username: string): string {
  const q = username.indexOf('?');
  return q < 0 ? username : username.slice(0, q);
}

const fail = (reasonCode: number, reason: string, attempt: AttemptOutcome): PasswordResult => ({
  ok: false,
  reasonCode,
  reason,
  attempt,
});

export interface PasswordCheckDeps {
  directory: CachedDirectory;
  store: RegistryStore;
  clock: Clock;
  slowLane: SlowLane;
  /** The slow verification (scrypt); injected so tests can count calls. */
  verifySlow: (secret: string, stored: string) => Promise<boolean>;
  /** The fast verification (sha256, constant-time compare). */
  verifyFast: (secret: string, stored: string) => Promise<boolean>;
  log: Logger;
}

export class PasswordCheck {
  private readonly credentials = new Map<string, Credential[]>();
  /** `${deviceId}\0${sha256(username\0password)}` → credential id a slow verification matched. */
  private readonly verified = new Map<string, string>();
  /** Hashes migrated to the fast scheme since start (for tests and the benchmark). */
  migrated = 0;

  constructor(private readonly deps: PasswordCheckDeps) {}

  clear(): void {
    this.credentials.clear();
    this.verified.clear();
  }

  invalidate(deviceId: string): void {
    this.credentials.delete(deviceId);
    for (const k of this.verified.keys()) if (k.startsWith(deviceId + '\0')) this.verified.delete(k);
  }

  async check(
    id: string,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<PasswordResult> {
    const device = await this.deps.directory.device(id);
    if (!device) return fail(NOT_AUTHORIZED, 'unknown client id', 'failure');
    if (!device.enabled) return fail(NOT_AUTHORIZED, 'device disabled', 'neutral');
    if (password === undefined) return fail(BAD_USER_OR_PASSWORD, 'password required', 'failure');
    const given = username ?? id;
    const user = baseUserName(given) || id;
    const secret = password.toString('utf8');
    const now = this.deps.clock.now();
    const creds = (await this.deviceCredentials(id)).filter(
      (c) => c.kind === 'password' && c.secretHash !== null && (c.username === user || c.username === given),
    );
    // The cache key costs a hash: only worth it when a slow credential could be involved.
    const key = creds.some((c) => isSlowHash(c.secretHash!))
      ? `${id}\0${sha256Hex(`${user}\0${secret}`)}`
      : undefined;
    const cachedId = key === undefined ? undefined : this.verified.get(key);
    const cached = cachedId === undefined ? undefined : creds.find((c) => c.id === cachedId);
    if (cached) return this.matched(cached, now);

    const active = creds.filter((c) => isActive(c, now));
    const inactive = creds.filter((c) => !isActive(c, now));
    // Fast hashes first (microseconds each); inactive ones only to tell "revoked" apart.
    for (const c of [...active, ...inactive])
      if (!isSlowHash(c.secretHash!) && (await this.deps.verifyFast(secret, c.secretHash!)))
        return this.matched(c, now);
    // Slow hashes of active credentials only: a revoked or expired scrypt credential is not worth
    // a slow verification just to pick a better refusal code (it gets 0x86).
    const slow = active.filter((c) => isSlowHash(c.secretHash!));
    if (slow.length > 0) {
      const hit = await this.deps.slowLane.run(async () => {
        for (const c of slow) if (await this.deps.verifySlow(secret, c.secretHash!)) return c;
        return undefined;
      });
      if (hit === BUSY) return fail(SERVER_BUSY, 'server busy verifying passwords; retry later', 'neutral');
      if (hit) {
        this.verified.set(key!, hit.id);
        if (looksGenerated(secret)) await this.migrate(hit, secret);
        return this.matched(hit, now);
      }
    }
    return fail(BAD_USER_OR_PASSWORD, 'bad user name or password', 'failure');
  }

  private matched(c: Credential, now: number): PasswordResult {
    if (isActive(c, now)) return { ok: true, credentialId: c.id };
    return fail(
      NOT_AUTHORIZED,
      c.revokedAt !== null ? 'credential revoked' : 'credential expired',
      'neutral',
    );
  }

  /**
   * Re-hash a generated secret with the fast scheme. Compare-and-set on the old hash, so a rotation
   * or revocation that happened meanwhile is never overwritten. A failed write only costs the next
   * CONNECT another slow verification.
   */
  private async migrate(c: Credential, secret: string): Promise<void> {
    const to = hashGeneratedSecret(secret);
    try {
      if (!(await this.deps.store.replaceSecretHash(c.id, c.secretHash!, to))) return;
      this.migrated++;
      const list = this.credentials.get(c.deviceId);
      const i = list?.findIndex((x) => x.id === c.id) ?? -1;
      if (list && i >= 0) list[i] = { ...list[i]!, secretHash: to };
    } catch (err) {
      this.deps.log.warn({ err, credentialId: c.id }, 'registry: could not migrate a credential hash');
    }
  }

  private async deviceCredentials(id: string): Promise<Credential[]> {
    let list = this.credentials.get(id);
    if (!list) {
      list = await this.deps.store.listCredentials(id);
      this.credentials.set(id, list);
    }
    return list;
  }
}
