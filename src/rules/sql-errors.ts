/** A rule statement that does not parse: where (offset, line, column) and which token. */
export class RuleSqlError extends Error {
  override readonly name = 'RuleSqlError';
  constructor(
    readonly why: string,
    /** 0-based offset into the statement. */
    readonly offset: number,
    readonly line: number,
    readonly column: number,
    /** The offending token's text ('' at the end of the statement). */
    readonly token: string,
  ) {
    super(
      `${why} at line ${line}, column ${column}${token ? ` (near '${token}')` : ' (at end of statement)'}`,
    );
  }
}

export function errorAt(src: string, offset: number, token: string, why: string): RuleSqlError {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < src.length; i++) {
    if (src.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else col++;
  }
  return new RuleSqlError(why, offset, line, col, token);
}
