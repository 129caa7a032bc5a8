/**
 * Secrets at rest (Slack webhook URLs, webhook signing keys): AES-256-GCM with a random 96-bit IV
 * per value; the stored form is `enc:v1:<base64 iv‖tag‖ciphertext>`, so a plain value left by an
 * older version is recognisable and sealed on start. The key comes from `--secret-key-file`, or is
 * generated once into the data directory (mode 0600). Every node of a PostgreSQL deployment must
 * use the same key file.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_FILE_NAME = 'secret.key';

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new SecretBoxError(`the secret key must be 32 bytes, got ${key.length}`);
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return PREFIX + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
  }

  /** Plain values (written before encryption existed) pass through unchanged. */
  open(stored: string): string {
    if (!SecretBox.isSealed(stored)) return stored;
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('sealed value is truncated');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    d.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([d.update(raw.subarray(IV_BYTES + TAG_BYTES)), d.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('cannot decrypt a stored secret: wrong --secret-key-file or tampered data');
    }
  }
}

/** A key file holds 32 bytes as base64 or hex (whitespace ignored), e.g. `openssl rand -base64 32`. */
export function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32)
    throw new SecretBoxError(`${where}: expected 32 bytes as base64 or hex (openssl rand -base64 32)`);
  return key;
}

/**
 * The configured key file, or `<dataDir>/secret.key`, created once with mode 0600. Returns the key
 * and where it came from (so start-up can warn when a cluster runs on a generated key).
 */
export function loadSecretKey(
  keyFile: string | undefined,
  dataDir: string,
): { key: Buffer; generated: string | undefined } {
  if (keyFile !== undefined && keyFile !== '') {
    let text: string;
    try {
      text = readFileSync(keyFile, 'utf8');
    } catch (err) {
      throw new SecretBoxError(`cannot read --secret-key-file ${keyFile}: ${(err as Error).message}`);
    }
    return { key: parseKey(text, keyFile), generated: undefined };
  }
  const path = join(dataDir, KEY_FILE_NAME);
  try {
    return { key: parseKey(readFileSync(path, 'utf8'), path), generated: undefined };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    // `wx`: two processes starting at once must not each write a different key.
    writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600); // the umask may have narrowed, never widened, but be explicit
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return { key: parseKey(readFileSync(path, 'utf8'), path), generated: path };
}
