/**
 * Secrets are declared, not guessed: a schema property with `writeOnly: true` (JSON Schema's
 * annotation for values a client sends but never reads back) is a secret, and is masked wherever
 * the value leaves the handler — audit entries, API responses, logs. A key-name rule
 * (`SECRET_KEY`) stays only as a safety net for values that have no schema.
 */
export const MASK = '***';
const SECRET_KEY = /secret|password|token|signing|key$/i;
const MAX_DEPTH = 8;

type Schema = Record<string, unknown>;

const asSchema = (v: unknown): Schema | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Schema) : undefined;

/** The schemas a property of `schema` may follow (its own, and those of any allOf/anyOf/oneOf branch). */
function branches(schema: Schema | undefined): Schema[] {
  if (!schema) return [];
  const out = [schema];
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[k];
    if (Array.isArray(list)) for (const s of list) out.push(...branches(asSchema(s)));
  }
  return out;
}

function propertySchemas(schema: Schema | undefined, key: string): Schema[] {
  const out: Schema[] = [];
  for (const b of branches(schema)) {
    const p = asSchema(asSchema(b.properties)?.[key]) ?? asSchema(b.additionalProperties);
    if (p) out.push(...branches(p));
  }
  return out;
}

function itemSchemas(schema: Schema | undefined): Schema[] {
  return branches(schema).flatMap((b) => branches(asSchema(b.items)));
}

/** True when the schema (or a branch of it) declares the value write-only. */
export const isSecret = (schemas: Schema[]): boolean => schemas.some((s) => s.writeOnly === true);

/**
 * Mask the fields `schema` declares `writeOnly`; without a schema for a field, fall back to the
 * key-name rule. Arrays are cut at 100 items and nesting at 8 levels.
 */
export function redact(value: unknown, schema?: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  const s = asSchema(schema);
  if (Array.isArray(value)) {
    const items = itemSchemas(s);
    return value.slice(0, 100).map((v) => redact(v, items[0], depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const props = propertySchemas(s, k);
    const secret = props.length > 0 ? isSecret(props) : SECRET_KEY.test(k);
    out[k] = secret && v !== null && v !== undefined ? MASK : redact(v, props[0], depth + 1);
  }
  return out;
}

interface RouteLike {
  method: string;
  url: string;
  schema?: { body?: unknown } | undefined;
}

/**
 * Entries written before actions were declared are named `<METHOD> <route url>` and kept request
 * bodies masked only by key name (a Slack webhook `url` went through in plain text). Reading them,
 * the route's body schema still says which fields are secrets: mask those on the way out.
 */
export function legacyAuditRedactor(
  routes: readonly RouteLike[],
): (action: string, value: unknown) => unknown {
  const byAction = new Map(routes.map((r) => [`${r.method} ${r.url}`, r.schema?.body]));
  return (action, value) => {
    const schema = byAction.get(action);
    return schema === undefined ? value : redact(value, schema);
  };
}
