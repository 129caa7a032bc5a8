/**
 * Real servers for tests. A test that needs PostgreSQL or NATS calls `requirePostgres()`
 * (etc.): when the server is absent the test is skipped with a visible reason — except under
 * CI=true, where an absent server fails the run.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { openPostgres, type PostgresDatabase } from '../store/index.js';

export const PG_URL = process.env.TSUNAGU_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const NATS_URL = process.env.TSUNAGU_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Cached per URL: a server is probed once per test process. */
const probes = new Map<string, Promise<boolean>>();

function reachable(url: string, defaultPort: number): Promise<boolean> {
  let p = probes.get(url);
  if (!p) {
    // A loaded machine can take seconds to accept a connection: three tries, 5 s each.
    p = (async () => {
      for (let i = 0; i < 3; i++) if (await probe(url, defaultPort)) return true;
      return false;
    })();
    probes.set(url, p);
  }
  return p;
}

function probe(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || defaultPort) });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(5000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Returns true when the server is up. When it is not: under CI=true throws (the run fails);
 * otherwise skips the test with the reason and returns false.
 */
export async function requireServer(
  t: TestContext,
  name: string,
  url: string,
  port: number,
): Promise<boolean> {
  if (await reachable(url, port)) return true;
  const why = `${name} not reachable at ${url}`;
  if (process.env.CI === 'true') throw new Error(`${why} (CI=true: real servers are required)`);
  t.skip(why);
  return false;
}

export const requirePostgres = (t: TestContext): Promise<boolean> =>
  requireServer(t, 'PostgreSQL', PG_URL, 5432);
export const requireNats = (t: TestContext): Promise<boolean> => requireServer(t, 'NATS', NATS_URL, 4222);

/** A fresh schema on the test PostgreSQL server; `drop()` removes it. */
export async function freshPgSchema(prefix = 't'): Promise<PostgresDatabase & { drop(): Promise<void> }> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const db = await openPostgres(PG_URL, schema, 4);
  return {
    ...db,
    async drop() {
      await db.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.close();
    },
  };
}
