/** Random secrets and ids. Stored forms are sha256 hashes: every secret here is 256-bit random. */
import { createHash, randomBytes } from 'node:crypto';

/** An API token secret: `tsu_` + 32 random bytes. */
export const newTokenSecret = (): string => 'tsu_' + randomBytes(32).toString('base64url');

/** A session cookie value, a CSRF token, a one-time link or an OIDC state: 32 random bytes. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

export const newId = (prefix: string): string => `${prefix}_${randomBytes(9).toString('base64url')}`;

export const sha256Hex = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
