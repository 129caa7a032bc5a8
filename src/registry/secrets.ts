/**
 * Device secrets and API tokens. Device passwords are stored as scrypt hashes with a per-secret salt
 * (`scrypt$N$r$p$salt$hash`, base64url); API tokens are 256-bit random, so sha256 is enough for them.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** N=2^14, r=8, p=1: about 16 MiB and tens of milliseconds per verification (OWASP minimum class). */
export const DEFAULT_SCRYPT_N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

function scryptAsync(secret: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEYLEN, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `n` (a power of two) is stored in the hash, so a later change of cost keeps old hashes valid. */
export async function hashSecret(secret: string, n = DEFAULT_SCRYPT_N): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, { N: n, r: R, p: P });
  return ['scrypt', n, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A device secret shown once: 24 random bytes, URL-safe. */
export const newDeviceSecret = (): string => randomBytes(24).toString('base64url');

/** An API token secret: `tsu_` + 32 random bytes. */
export const newTokenSecret = (): string => 'tsu_' + randomBytes(32).toString('base64url');

export const newId = (prefix: string): string => `${prefix}_${randomBytes(9).toString('base64url')}`;

export const sha256Hex = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
