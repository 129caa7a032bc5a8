/**
 * PostgreSQL persistence: each batch of operations is one transaction on one pooled connection,
 * written as a few multi-row statements (`batchStatements`).
 * Used when the platform runs on `--database postgres://…`. In a cluster every node shares these
 * tables and holds a session only while it owns it (`loadSession` at a takeover, mqtt/handover.ts).
 */
import type { PostgresDatabase } from '../store/index.js';
import { migrate, pgTransaction } from '../store/index.js';
import type { QoS } from './api.js';
import { DELIVERED_KEEP_MS } from './persistence.js';
import type { BrokerPersistence, PersistedState, PersistOp, StoredWill } from './persistence.js';
import { MQTT_MIGRATIONS } from './persistence-migrations.js';
import { compact } from './persistence-batch.js';
import { decodeProps, encodeProps, rowToWill, willColumns } from './persistence-rows.js';
import type { OutgoingState } from './types.js';

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v);
const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

type Stmt = [string, unknown[]];
interface Queryable {
  query<R extends Row>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

async function sequential<T>(ps: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (const p of ps) out.push(await p());
  return out;
}

const emptyState = (): PersistedState => ({
  sessions: [],
  subscriptions: [],
  messages: [],
  incoming: [],
  delivered: [],
  retained: [],
  wills: [],
});

/**
 * The statements for one batch: its net effect (`compact`) written with one multi-row statement
 * per table and kind (`unnest` of array parameters), so a batch costs a handful of round trips
 * whatever its size.
 */
export function batchStatements(ops: readonly PersistOp[], holder: string | null = null): Stmt[] {
  const b = compact(ops);
  const out: Stmt[] = [];
  if (b.cascade.length > 0)
    for (const t of [
      'mqtt_sessions',
      'mqtt_subscriptions',
      'mqtt_messages',
      'mqtt_incoming',
      'mqtt_delivered',
    ])
      out.push([`DELETE FROM ${t} WHERE client_id = ANY($1::text[])`, [b.cascade]]);
  if (b.sessionPuts.length > 0) {
    const s = b.sessionPuts;
    out.push([
      `INSERT INTO mqtt_sessions (client_id, expiry_interval, disconnected_at, protocol_version, holder)
       SELECT u.*, $5::text FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u
       ON CONFLICT (client_id) DO UPDATE SET expiry_interval = EXCLUDED.expiry_interval,
         disconnected_at = EXCLUDED.disconnected_at, protocol_version = EXCLUDED.protocol_version,
         holder = EXCLUDED.holder`,
      [
        s.map((x) => x.clientId),
        s.map((x) => x.expiryInterval),
        s.map((x) => x.disconnectedAt),
        s.map((x) => x.protocolVersion),
        holder,
      ],
    ]);
  }
  if (b.subDeletes.length > 0)
    out.push([
      `DELETE FROM mqtt_subscriptions t USING unnest($1::text[], $2::text[]) AS d(client_id, raw)
       WHERE t.client_id = d.client_id AND t.raw = d.raw`,
      [b.subDeletes.map((x) => x.clientId), b.subDeletes.map((x) => x.raw)],
    ]);
  if (b.subPuts.length > 0) {
    const s = b.subPuts;
    out.push([
      `INSERT INTO mqtt_subscriptions (client_id, raw, qos, nl, rap, rh, sub_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
       ON CONFLICT (client_id, raw) DO UPDATE SET qos = EXCLUDED.qos, nl = EXCLUDED.nl, rap = EXCLUDED.rap,
         rh = EXCLUDED.rh, sub_id = EXCLUDED.sub_id`,
      [
        s.map((x) => x.clientId),
        s.map((x) => x.raw),
        s.map((x) => x.qos),
        s.map((x) => (x.nl ? 1 : 0)),
        s.map((x) => (x.rap ? 1 : 0)),
        s.map((x) => x.rh),
        s.map((x) => x.subId ?? null),
      ],
    ]);
  }
  if (b.msgDeletes.length > 0)
    out.push([
      `DELETE FROM mqtt_messages t USING unnest($1::text[], $2::bigint[]) AS d(client_id, seq)
       WHERE t.client_id = d.client_id AND t.seq = d.seq`,
      [b.msgDeletes.map((x) => x.clientId), b.msgDeletes.map((x) => x.seq)],
    ]);
  if (b.msgPuts.length > 0) {
    const m = b.msgPuts;
    out.push([
      `INSERT INTO mqtt_messages (client_id, seq, topic, payload, qos, retain, properties, publisher_id, expires_at, sub_ids, packet_id, state)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bytea[], $5::bigint[], $6::bigint[], $7::text[],
         $8::text[], $9::bigint[], $10::text[], $11::bigint[], $12::text[])
       ON CONFLICT (client_id, seq) DO UPDATE SET topic = EXCLUDED.topic, payload = EXCLUDED.payload,
         qos = EXCLUDED.qos, retain = EXCLUDED.retain, properties = EXCLUDED.properties,
         publisher_id = EXCLUDED.publisher_id, expires_at = EXCLUDED.expires_at, sub_ids = EXCLUDED.sub_ids,
         packet_id = EXCLUDED.packet_id, state = EXCLUDED.state`,
      [
        m.map((x) => x.clientId),
        m.map((x) => x.seq),
        m.map((x) => x.topic),
        m.map((x) => x.payload),
        m.map((x) => x.qos),
        m.map((x) => (x.retain ? 1 : 0)),
        m.map((x) => encodeProps(x.properties)),
        m.map((x) => x.publisherId ?? null),
        m.map((x) => x.expiresAt ?? null),
        m.map((x) => (x.subIds ? JSON.stringify(x.subIds) : null)),
        m.map((x) => x.packetId),
        m.map((x) => x.state),
      ],
    ]);
  }
  if (b.msgUpdates.length > 0) {
    const u = b.msgUpdates;
    out.push([
      `UPDATE mqtt_messages t SET packet_id = d.packet_id, state = d.state
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS d(client_id, seq, packet_id, state)
       WHERE t.client_id = d.client_id AND t.seq = d.seq`,
      [u.map((x) => x.clientId), u.map((x) => x.seq), u.map((x) => x.packetId), u.map((x) => x.state)],
    ]);
  }
  if (b.incomingDeletes.length > 0)
    out.push([
      `DELETE FROM mqtt_incoming t USING unnest($1::text[], $2::bigint[]) AS d(client_id, packet_id)
       WHERE t.client_id = d.client_id AND t.packet_id = d.packet_id`,
      [b.incomingDeletes.map((x) => x.clientId), b.incomingDeletes.map((x) => x.packetId)],
    ]);
  if (b.incomingPuts.length > 0)
    out.push([
      `INSERT INTO mqtt_incoming (client_id, packet_id, msg_id)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`,
      [
        b.incomingPuts.map((x) => x.clientId),
        b.incomingPuts.map((x) => x.packetId),
        b.incomingPuts.map((x) => x.msgId ?? null),
      ],
    ]);
  if (b.deliveredPuts.length > 0) {
    const d = b.deliveredPuts;
    const clients = [...new Set(d.map((x) => x.clientId))];
    // Only the clients written here (rows of sessions this node holds): no lock on others' rows.
    out.push([
      'DELETE FROM mqtt_delivered WHERE client_id = ANY($1::text[]) AND at < $2',
      [clients, Math.min(...d.map((x) => x.at)) - DELIVERED_KEEP_MS],
    ]);
    out.push([
      `INSERT INTO mqtt_delivered (client_id, msg_id, at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`,
      [d.map((x) => x.clientId), d.map((x) => x.msgId), d.map((x) => x.at)],
    ]);
  }
  if (b.retainedDeletes.length > 0)
    out.push(['DELETE FROM mqtt_retained WHERE topic = ANY($1::text[])', [b.retainedDeletes]]);
  if (b.retainedPuts.length > 0) {
    const r = b.retainedPuts;
    out.push([
      `INSERT INTO mqtt_retained (topic, payload, qos, properties, expires_at)
       SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::text[], $5::bigint[])
       ON CONFLICT (topic) DO UPDATE SET payload = EXCLUDED.payload, qos = EXCLUDED.qos,
         properties = EXCLUDED.properties, expires_at = EXCLUDED.expires_at`,
      [
        r.map((x) => x.topic),
        r.map((x) => x.payload),
        r.map((x) => x.qos),
        r.map((x) => encodeProps(x.properties)),
        r.map((x) => x.expiresAt ?? null),
      ],
    ]);
  }
  if (b.willDeletes.length > 0)
    out.push(['DELETE FROM mqtt_wills WHERE client_id = ANY($1::text[])', [b.willDeletes]]);
  if (b.willPuts.length > 0) {
    const w = b.willPuts;
    out.push([
      `INSERT INTO mqtt_wills (client_id, topic, payload, qos, retain, properties, delay, expiry_interval, disconnected_at, client_info, holder)
       SELECT u.*, $11::text FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[],
         $8::bigint[], $9::bigint[], $10::text[]) AS u
       ON CONFLICT (client_id) DO UPDATE SET topic = EXCLUDED.topic, payload = EXCLUDED.payload, qos = EXCLUDED.qos,
         retain = EXCLUDED.retain, properties = EXCLUDED.properties, delay = EXCLUDED.delay,
         expiry_interval = EXCLUDED.expiry_interval, disconnected_at = EXCLUDED.disconnected_at,
         client_info = EXCLUDED.client_info, holder = EXCLUDED.holder`,
      [...willColumns(w), holder],
    ]);
  }
  return out;
}

export class PostgresPersistence implements BrokerPersistence {
  readonly kind = 'postgres';
  /** Cluster: this node's member id, written on every session and will row it puts. */
  private holder: string | null = null;

  constructor(private readonly database: PostgresDatabase) {}

  setHolder(holder: string): void {
    this.holder = holder;
  }

  async init(): Promise<void> {
    await migrate(this.database, 'mqtt', MQTT_MIGRATIONS);
  }

  load(): Promise<PersistedState> {
    return this.read(undefined);
  }

  /** One client's session, subscriptions, messages and inbound ids (a session taken over from another node). */
  loadSession(clientId: string): Promise<PersistedState> {
    return this.read([clientId]);
  }

  /** A will another member left behind (it died, or kept it for a delay): deleted and returned, once. */
  async takeWill(clientId: string): Promise<StoredWill | undefined> {
    const r = await this.database.pool.query<Row>(
      'DELETE FROM mqtt_wills WHERE client_id = $1 AND holder IS DISTINCT FROM $2 RETURNING *',
      [clientId, this.holder],
    );
    return r.rows[0] ? rowToWill(r.rows[0]) : undefined;
  }

  async holdersOf(clientId: string): Promise<string[]> {
    const r = await this.database.pool.query<{ holder: string }>(
      `SELECT holder FROM mqtt_sessions WHERE client_id = $1 AND holder IS NOT NULL
       UNION SELECT holder FROM mqtt_wills WHERE client_id = $1 AND holder IS NOT NULL`,
      [clientId],
    );
    return r.rows.map((x) => x.holder);
  }

  /**
   * Take over the sessions and wills of dead members: holders among the rows (and `candidates`)
   * for which `live(column)` is false. One transaction; rows move with `UPDATE … WHERE holder = dead`,
   * so two nodes adopting at once split nothing twice. `load` runs with the adopted state before
   * the commit (a CONNECT asking this node to release one of them finds it held).
   */
  async adoptOrphans(
    live: (column: string) => string,
    candidates: readonly string[],
    load: (st: PersistedState, from: Map<string, string[]>) => void,
  ): Promise<string[]> {
    const me = this.holder;
    if (me === null) return [];
    const client = await this.database.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const dead = (
          await client.query<{ h: string }>(
            `SELECT c.h FROM (SELECT DISTINCT holder AS h FROM mqtt_sessions WHERE holder IS NOT NULL
               UNION SELECT DISTINCT holder FROM mqtt_wills WHERE holder IS NOT NULL
               UNION SELECT unnest($2::text[])) c
             WHERE c.h <> $1 AND NOT ${live('c.h')}`,
            [me, candidates],
          )
        ).rows.map((r) => r.h);
        const from = new Map<string, string[]>();
        const ids: string[] = [];
        const wills: Row[] = [];
        for (const d of dead) {
          const s = await client.query<{ client_id: string }>(
            'UPDATE mqtt_sessions SET holder = $1 WHERE holder = $2 RETURNING client_id',
            [me, d],
          );
          const w = await client.query<Row>(
            'UPDATE mqtt_wills SET holder = $1 WHERE holder = $2 RETURNING *',
            [me, d],
          );
          const mine = [...s.rows.map((r) => r.client_id), ...w.rows.map((r) => String(r.client_id))];
          from.set(d, [...new Set(mine)]);
          ids.push(...s.rows.map((r) => r.client_id));
          wills.push(...w.rows);
        }
        if (dead.length > 0) {
          const st = ids.length > 0 ? await this.read(ids, client) : emptyState();
          st.wills = wills.map(rowToWill);
          load(st, from);
        }
        await client.query('COMMIT');
        return dead;
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    } finally {
      client.release();
    }
  }

  private async read(ids: string[] | undefined, via?: Queryable): Promise<PersistedState> {
    const one = ids !== undefined;
    const where = one ? ' WHERE client_id = ANY($1::text[])' : '';
    const q = async (sql: string): Promise<Row[]> =>
      (await (via ?? this.database.pool).query<Row>(sql, one ? [ids] : [])).rows;
    const none = Promise.resolve([] as Row[]);
    // One connection (inside a transaction) runs one statement at a time.
    const all = via ? sequential : (ps: (() => Promise<Row[]>)[]) => Promise.all(ps.map((p) => p()));
    const [sessions, subs, msgs, incoming, delivered, retained, wills] = (await all([
      () => q(`SELECT * FROM mqtt_sessions${where}`),
      () => q(`SELECT * FROM mqtt_subscriptions${where}`),
      () => q(`SELECT * FROM mqtt_messages${where} ORDER BY seq`),
      () => q(`SELECT client_id, packet_id, msg_id FROM mqtt_incoming${where}`),
      () => q(`SELECT client_id, msg_id, at FROM mqtt_delivered${where} ORDER BY at`),
      () => (one ? none : q('SELECT * FROM mqtt_retained')),
      () => (one ? none : q('SELECT * FROM mqtt_wills')),
    ])) as [Row[], Row[], Row[], Row[], Row[], Row[], Row[]];
    return {
      sessions: sessions.map((r) => ({
        clientId: String(r.client_id),
        expiryInterval: num(r.expiry_interval),
        disconnectedAt: r.disconnected_at === null ? null : num(r.disconnected_at),
        protocolVersion: num(r.protocol_version) as 3 | 4 | 5,
      })),
      subscriptions: subs.map((r) => ({
        clientId: String(r.client_id),
        raw: String(r.raw),
        qos: num(r.qos) as QoS,
        nl: num(r.nl) === 1,
        rap: num(r.rap) === 1,
        rh: num(r.rh),
        subId: optNum(r.sub_id),
      })),
      messages: msgs.map((r) => ({
        clientId: String(r.client_id),
        seq: num(r.seq),
        topic: String(r.topic),
        payload: r.payload as Buffer,
        qos: num(r.qos) as QoS,
        retain: num(r.retain) === 1,
        properties: decodeProps(r.properties as string | null),
        publisherId: r.publisher_id === null ? undefined : (r.publisher_id as string),
        expiresAt: optNum(r.expires_at),
        subIds: r.sub_ids === null ? undefined : (JSON.parse(r.sub_ids as string) as number[]),
        packetId: num(r.packet_id),
        state: String(r.state) as OutgoingState,
      })),
      incoming: incoming.map((r) => ({
        clientId: String(r.client_id),
        packetId: num(r.packet_id),
        ...(typeof r.msg_id === 'string' ? { msgId: r.msg_id } : {}),
      })),
      delivered: delivered.map((r) => ({
        clientId: String(r.client_id),
        msgId: String(r.msg_id),
        at: num(r.at),
      })),
      retained: retained.map((r) => ({
        topic: String(r.topic),
        payload: r.payload as Buffer,
        qos: num(r.qos) as QoS,
        properties: decodeProps(r.properties as string | null),
        expiresAt: optNum(r.expires_at),
      })),
      wills: wills.map(rowToWill),
    };
  }

  async apply(ops: readonly PersistOp[]): Promise<void> {
    await pgTransaction(this.database.pool, async (client) => {
      for (const [sql, params] of batchStatements(ops, this.holder)) await client.query(sql, params);
    });
  }
}
