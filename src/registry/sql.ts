/**
 * A tiny SQL runner over both backends, so the registry store is written once: statements use `?`
 * placeholders (rewritten to `$n` for PostgreSQL), booleans are stored as 0/1 integers and JSON
 * as text in both. The two adapters (sqlite-registry-store.ts, pg-registry-store.ts) differ only in how
 * a statement runs, and in the migrations.
 */

export type Param = string | number | boolean | null;
export interface Stmt {
  sql: string;
  params: Param[];
}
export type Row = Record<string, unknown>;

export interface Sql {
  readonly kind: 'sqlite' | 'postgres';
  all(sql: string, params?: Param[]): Promise<Row[]>;
  get(sql: string, params?: Param[]): Promise<Row | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  /** Run the statements in one transaction (all or nothing). */
  batch(stmts: Stmt[]): Promise<void>;
}

/** `?` → `$1, $2 …` (the registry's SQL never holds a literal question mark). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Booleans are stored as 0/1 integers in both databases. */
export const bindParams = (p: Param[]): (string | number | null)[] =>
  p.map((v) => (v === true ? 1 : v === false ? 0 : v));
