/**
 * Device credentials: generated passwords (shown once, 192 random bits stored as a `sha256$` hash —
 * see secrets.ts for why a slow KDF is not needed for them), client-certificate
 * fingerprints, rotation with an overlap during which the old secret still works, and revocation,
 * which disconnects a device that is connected with the revoked credential.
 */
import { isActive } from './device-auth.js';
import { RegistryErrors } from './errors.js';
import { hashGeneratedSecret, newDeviceSecret, newId } from './secrets.js';
import type { ApiActor, RegistryService } from './service.js';
import type { Credential } from './types.js';
import { checkFingerprint } from './validate.js';

export const DEFAULT_ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

export interface CredentialView {
  id: string;
  deviceId: string;
  kind: Credential['kind'];
  username?: string;
  fingerprint?: string;
  status: 'active' | 'expired' | 'revoked';
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

export function credentialView(c: Credential, now: number): CredentialView {
  return {
    id: c.id,
    deviceId: c.deviceId,
    kind: c.kind,
    ...(c.username !== null ? { username: c.username } : {}),
    ...(c.fingerprint !== null ? { fingerprint: c.fingerprint } : {}),
    status: c.revokedAt !== null ? 'revoked' : isActive(c, now) ? 'active' : 'expired',
    createdAt: c.createdAt,
    expiresAt: c.expiresAt,
    revokedAt: c.revokedAt,
  };
}

export interface NewCredential {
  kind: 'password' | 'certificate';
  username?: string;
  fingerprint?: string;
}

export class CredentialService {
  constructor(
    private readonly registry: RegistryService,
    private readonly overlapMs: number,
  ) {}

  private get deps(): RegistryService['deps'] {
    return this.registry.deps;
  }

  /** Credentials are cached per device: the id of a `credential` invalidation is the device id. */
  private invalidate(deviceId: string): void {
    this.deps.events.publish('invalidate', { kind: 'credential', id: deviceId });
  }

  async list(deviceId: string): Promise<CredentialView[]> {
    await this.registry.getDevice(deviceId);
    const now = this.deps.clock.now();
    return (await this.deps.store.listCredentials(deviceId)).map((c) => credentialView(c, now));
  }

  async create(
    deviceId: string,
    input: NewCredential,
    actor: ApiActor,
  ): Promise<{ credential: CredentialView; secret?: string }> {
    await this.registry.getDevice(deviceId);
    const now = this.deps.clock.now();
    let secret: string | undefined;
    let cred: Credential;
    if (input.kind === 'certificate') {
      const fp = checkFingerprint(input.fingerprint, 'body.fingerprint');
      if (await this.deps.store.findCertificate(fp)) throw RegistryErrors.fingerprintTaken(fp);
      cred = base(deviceId, 'certificate', now, { fingerprint: fp });
    } else {
      const username = input.username ?? deviceId;
      if (username === '' || username.length > 128)
        throw RegistryErrors.invalid('body.username', 'must be 1-128 characters');
      if (username.includes('?'))
        throw RegistryErrors.invalid(
          'body.username',
          'must not contain "?": at CONNECT the part from "?" on is the AWS IoT SDK metrics suffix and is ignored',
        );
      secret = newDeviceSecret();
      cred = base(deviceId, 'password', now, { username, secretHash: hashGeneratedSecret(secret) });
    }
    await this.deps.store.putCredential(cred);
    this.invalidate(deviceId);
    const view = credentialView(cred, now);
    await this.registry.audit(
      actor,
      'credential.create',
      `devices/${deviceId}/credentials/${cred.id}`,
      null,
      view,
    );
    return secret === undefined ? { credential: view } : { credential: view, secret };
  }

  private async find(deviceId: string, credentialId: string): Promise<Credential> {
    await this.registry.getDevice(deviceId);
    const c = (await this.deps.store.listCredentials(deviceId)).find((x) => x.id === credentialId);
    if (!c) throw RegistryErrors.credentialNotFound(credentialId);
    return c;
  }

  /** New secret for the same user name; the old one stays valid for the overlap (default 24 h). */
  async rotate(
    deviceId: string,
    credentialId: string,
    overlapMs: number | undefined,
    actor: ApiActor,
  ): Promise<{ credential: CredentialView; secret: string; previous: CredentialView }> {
    const old = await this.find(deviceId, credentialId);
    if (old.revokedAt !== null) throw RegistryErrors.credentialRevoked(credentialId);
    if (old.kind !== 'password')
      throw RegistryErrors.invalid(
        'params.credentialId',
        'only password credentials rotate; register the new certificate and revoke the old one',
      );
    const now = this.deps.clock.now();
    const until = now + (overlapMs ?? this.overlapMs);
    const previous: Credential = {
      ...old,
      expiresAt: old.expiresAt === null ? until : Math.min(old.expiresAt, until),
    };
    const secret = newDeviceSecret();
    const fresh = base(deviceId, 'password', now, {
      username: old.username ?? deviceId,
      secretHash: hashGeneratedSecret(secret),
    });
    await this.deps.store.putCredential(previous);
    await this.deps.store.putCredential(fresh);
    this.invalidate(deviceId);
    const view = credentialView(fresh, now);
    const prevView = credentialView(previous, now);
    await this.registry.audit(
      actor,
      'credential.rotate',
      `devices/${deviceId}/credentials/${old.id}`,
      credentialView(old, now),
      {
        previous: prevView,
        replacement: view,
      },
    );
    return { credential: view, secret, previous: prevView };
  }

  async revoke(deviceId: string, credentialId: string, actor: ApiActor): Promise<CredentialView> {
    const old = await this.find(deviceId, credentialId);
    const now = this.deps.clock.now();
    const revoked: Credential = { ...old, revokedAt: old.revokedAt ?? now };
    await this.deps.store.putCredential(revoked);
    const wasUsing = this.deps.auth.credentialOf(deviceId) === credentialId;
    // Every node drops its cached credentials; a node where the device is connected with this
    // credential disconnects it (cluster-invalidation.ts). Here at once, before the API answers.
    this.invalidate(deviceId);
    if (wasUsing) this.registry.kick(deviceId, 'credential revoked');
    const view = credentialView(revoked, now);
    await this.registry.audit(
      actor,
      'credential.revoke',
      `devices/${deviceId}/credentials/${old.id}`,
      credentialView(old, now),
      view,
    );
    return view;
  }
}

function base(
  deviceId: string,
  kind: Credential['kind'],
  now: number,
  fields: Partial<Pick<Credential, 'username' | 'secretHash' | 'fingerprint'>>,
): Credential {
  return {
    id: newId('cred'),
    deviceId,
    kind,
    username: fields.username ?? null,
    secretHash: fields.secretHash ?? null,
    fingerprint: fields.fingerprint ?? null,
    createdAt: now,
    expiresAt: null,
    revokedAt: null,
  };
}
