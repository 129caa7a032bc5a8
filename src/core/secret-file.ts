/**
 * Secrets read from files (`--admin-token-file`), so they stay out of `ps` and shell history. A
 * file every local user can read would defeat that, so it is refused, like ssh refuses such keys.
 */
import { readFileSync, statSync } from 'node:fs';

/** The file's content without surrounding whitespace; throws an Error naming the problem and the fix. */
export function readSecretFile(path: string): string {
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    mode = st.mode;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path} does not exist`, { cause: err });
    if (code === 'EACCES') throw new Error(`${path} is not readable by this user`, { cause: err });
    throw err;
  }
  if (process.platform !== 'win32' && (mode & 0o004) !== 0)
    throw new Error(
      `${path} is readable by every user (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run: chmod 600 ${path}`,
    );
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const secret = text.trim();
  if (secret === '') throw new Error(`${path} is empty`);
  return secret;
}
