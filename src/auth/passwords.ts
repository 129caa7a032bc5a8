/**
 * Local user passwords with scrypt (node:crypto). Defaults follow the OWASP Password Storage Cheat
 * Sheet for scrypt: N=2^17, r=8, p=1 (128 MiB; measured 2.6-3.0 s per derivation on the shared,
 * loaded 2-core build machine — a sign-in costs that, and the rate limits run before it).
 * The stored form names its parameters, so raising them later keeps old hashes verifiable.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface KdfParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_KDF: KdfParams = { N: 2 ** 17, r: 8, p: 1 };
const KEY_BYTES = 32;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

const derive = (password: string, salt: Buffer, k: KdfParams): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const opts: ScryptOptions = { N: k.N, r: k.r, p: k.p, maxmem: 256 * k.N * k.r + 16 * 1024 * 1024 };
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, opts, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });

/** `scrypt$N$r$p$<salt b64url>$<key b64url>` */
export async function hashPassword(password: string, k: KdfParams = DEFAULT_KDF): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, k);
  return ['scrypt', k.N, k.r, k.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const got = await derive(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Why a new password is refused, or undefined when it is acceptable (NIST SP 800-63B: length, not composition). */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return undefined;
}
