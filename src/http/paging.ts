/**
 * The one paging query every list route uses: `limit` and `offset` are bounded integers, so no
 * value a client can type (`1e309`, `99999999999999999999999`, `-1`) reaches a database as a
 * number it cannot bind. Routes pick their own page size and cap; the offset cap is shared.
 */

/** Deeper than any list the platform holds; past it a client should narrow the query instead. */
export const MAX_OFFSET = 1_000_000_000;

export interface PagingOptions {
  /** Largest page a client may ask for. */
  max: number;
  /** Page size when the client gives none. */
  default: number;
  /** Include `offset` (lists paged by cursor or `before` have none). Default true. */
  offset?: boolean;
}

export interface Paging {
  limit: number;
  offset: number;
}

/** `properties` for a route's querystring schema: `{ ...paging({ max: 1000, default: 100 }), other }`. */
export function paging(o: PagingOptions): Record<string, Record<string, unknown>> {
  const props: Record<string, Record<string, unknown>> = {
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: o.max,
      default: o.default,
      description: `page size, 1–${o.max}`,
    },
  };
  if (o.offset !== false)
    props.offset = {
      type: 'integer',
      minimum: 0,
      maximum: MAX_OFFSET,
      default: 0,
      description: 'items to skip',
    };
  return props;
}
