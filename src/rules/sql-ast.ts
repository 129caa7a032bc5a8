/** The syntax tree of a rule statement (sql-parser.ts builds it, sql-eval.ts walks it). */
import type { Value } from './sql-values.js';

export type Expr =
  | { k: 'lit'; v: Value }
  | { k: 'star' } // `*`: the whole payload
  | { k: 'ident'; name: string } // a payload key
  | { k: 'member'; obj: Expr; name: string }
  | { k: 'index'; obj: Expr; index: Expr }
  | { k: 'call'; name: string; args: Expr[]; cast?: string; offset: number }
  | { k: 'unary'; op: 'NOT' | '-' | '+'; e: Expr }
  | { k: 'bin'; op: BinOp; l: Expr; r: Expr }
  | { k: 'is'; e: Expr; what: 'NULL' | 'UNDEFINED'; not: boolean }
  | { k: 'in'; e: Expr; list: Expr[] | Expr; not: boolean }
  | { k: 'case'; subject?: Expr; whens: { when: Expr; then: Expr }[]; else?: Expr }
  | { k: 'object'; entries: { key: string; value: Expr }[] }
  | { k: 'array'; items: Expr[] }
  | { k: 'query'; q: Query }; // a nested object query over an array

export type BinOp =
  'AND' | 'OR' | '=' | '<>' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%' | '||' | 'CONTAINS';

export interface SelectItem {
  e: Expr;
  /** Output key: the AS name, or the last key of a path; undefined for `*`. */
  as?: string;
}

export interface Query {
  /** `SELECT VALUE expr`: the bare value instead of an object. */
  value: boolean;
  items: SelectItem[];
  /** Outer statement: the topic filter; nested query: the array expression. */
  from: string | Expr;
  where?: Expr;
}

export interface Statement extends Query {
  from: string;
}
