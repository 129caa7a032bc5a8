/**
 * Device secrets and API tokens. Stored secret hashes are self-describing (the prefix names the
 * scheme), so old and new formats live side by side in one column:
 *
 * - `sha256$<base64url digest>`: platform-generated device secrets (192 bits from the CSPRNG).
 *   Guessing or inverting a 192-bit uniform secret is out of reach, so a slow KDF adds nothing but
 *   CPU per CONNECT; see docs/registry.md ("How secrets are stored") for why not HMAC with a key.
 * - `scrypt$N$r$p$salt$hash` (base64url): secrets a person could have chosen, and every device
 *   secret stored before the fast scheme existed (migrated on the next successful CONNECT).
 *
 * API tokens are 256-bit random too; they keep their plain sha256 hex column (tokens.ts).
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** N=2^14, r=8, p=1: about 16 MiB and tens of milliseconds per verification (OWASP minimum class). */
export const DEFAULT_SCRYPT_N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

/** Bytes of CSPRNG output in a device secret: 192 bits (≥ 128 bits is what the fast scheme needs). */
export const DEVICE_SECRET_BYTES = 24;
/** What `newDeviceSecret()` returns: exactly 32 base64url characters. */
const GENERATED_SECRET = /^[A-Za-z0-9_-]{32}$/;

export type HashScheme = 'sha256' | 'scrypt';

/** Always async: the libuv thread pool does the work, never the event loop (no scryptSync). */
function scryptAsync(secret: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEYLEN, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** A slow, salted hash for a secret a person chose. `n` is stored, so a later cost change keeps old hashes valid. */
export async function hashSecret(secret: string, n = DEFAULT_SCRYPT_N): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, { N: n, r: R, p: P });
  return ['scrypt', n, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** The fast hash for a high-entropy secret the platform generated (`newDeviceSecret`). */
export function hashGeneratedSecret(secret: string): string {
  return 'sha256$' + createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Which scheme a stored hash uses; undefined for a value no scheme recognises. */
export function hashScheme(stored: string): HashScheme | undefined {
  if (stored.startsWith('sha256$')) return 'sha256';
  if (stored.startsWith('scrypt$')) return 'scrypt';
  return undefined;
}

/** Verification that needs the slow path (admission control, thread pool). */
export const isSlowHash = (stored: string): boolean => hashScheme(stored) === 'scrypt';

/**
 * Could this secret have come from `newDeviceSecret()`? Only such secrets are re-hashed with the
 * fast scheme: a secret a person typed stays under scrypt even when it verifies.
 */
export const looksGenerated = (secret: string): boolean => GENERATED_SECRET.test(secret);

function verifyFast(secret: string, stored: string): boolean {
  const expected = Buffer.from(stored.slice('sha256$'.length), 'base64url');
  const actual = createHash('sha256').update(secret, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

async function verifyScrypt(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6) return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Constant-time check of a presented secret against a stored hash of either scheme. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  switch (hashScheme(stored)) {
    case 'sha256':
      return verifyFast(secret, stored);
    case 'scrypt':
      return verifyScrypt(secret, stored);
    default:
      return false;
  }
}

/** A device secret shown once: 24 random bytes (192 bits), URL-safe. */
export const newDeviceSecret = (): string => randomBytes(DEVICE_SECRET_BYTES).toString('base64url');

/** An API token secret: `tsu_` + 32 random bytes. */
export const newTokenSecret = (): string => 'tsu_' + randomBytes(32).toString('base64url');

export const newId = (prefix: string): string => `${prefix}_${randomBytes(9).toString('base64url')}`;

export const sha256Hex = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
