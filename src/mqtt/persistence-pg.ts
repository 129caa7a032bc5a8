/**
 * PostgreSQL persistence: each batch of operations is one transaction on one pooled connection.
 * Used when the platform runs on `--database postgres://…`. The state belongs to one broker node
 * (no cross-node session hand-over yet).
 */
import type { PostgresDatabase } from '../store/database.js';
import { migrate } from '../store/migrations.js';
import type { QoS } from './api.js';
import type { BrokerPersistence, PersistedState, PersistOp } from './persistence.js';
import { MQTT_MIGRATIONS } from './persistence-migrations.js';
import { decodeProps, encodeProps } from './persistence-sqlite.js';
import type { OutgoingState } from './types.js';

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v);
const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

function statement(o: PersistOp): [string, unknown[]][] {
  switch (o.op) {
    case 'session.put': {
      const s = o.session;
      return [
        [
          `INSERT INTO mqtt_sessions (client_id, expiry_interval, disconnected_at, protocol_version) VALUES ($1, $2, $3, $4)
           ON CONFLICT (client_id) DO UPDATE SET expiry_interval = EXCLUDED.expiry_interval,
             disconnected_at = EXCLUDED.disconnected_at, protocol_version = EXCLUDED.protocol_version`,
          [s.clientId, s.expiryInterval, s.disconnectedAt, s.protocolVersion],
        ],
      ];
    }
    case 'session.delete':
      return ['mqtt_sessions', 'mqtt_subscriptions', 'mqtt_messages', 'mqtt_incoming'].map((t) => [
        `DELETE FROM ${t} WHERE client_id = $1`,
        [o.clientId],
      ]);
    case 'sub.put': {
      const s = o.sub;
      return [
        [
          `INSERT INTO mqtt_subscriptions (client_id, raw, qos, nl, rap, rh, sub_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (client_id, raw) DO UPDATE SET qos = EXCLUDED.qos, nl = EXCLUDED.nl, rap = EXCLUDED.rap,
             rh = EXCLUDED.rh, sub_id = EXCLUDED.sub_id`,
          [s.clientId, s.raw, s.qos, s.nl ? 1 : 0, s.rap ? 1 : 0, s.rh, s.subId ?? null],
        ],
      ];
    }
    case 'sub.delete':
      return [['DELETE FROM mqtt_subscriptions WHERE client_id = $1 AND raw = $2', [o.clientId, o.raw]]];
    case 'msg.put': {
      const m = o.msg;
      return [
        [
          `INSERT INTO mqtt_messages (client_id, seq, topic, payload, qos, retain, properties, publisher_id, expires_at, sub_ids, packet_id, state)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (client_id, seq) DO UPDATE SET packet_id = EXCLUDED.packet_id, state = EXCLUDED.state`,
          [
            m.clientId,
            m.seq,
            m.topic,
            m.payload,
            m.qos,
            m.retain ? 1 : 0,
            encodeProps(m.properties),
            m.publisherId ?? null,
            m.expiresAt ?? null,
            m.subIds ? JSON.stringify(m.subIds) : null,
            m.packetId,
            m.state,
          ],
        ],
      ];
    }
    case 'msg.update':
      return [
        [
          'UPDATE mqtt_messages SET packet_id = $1, state = $2 WHERE client_id = $3 AND seq = $4',
          [o.packetId, o.state, o.clientId, o.seq],
        ],
      ];
    case 'msg.delete':
      return [['DELETE FROM mqtt_messages WHERE client_id = $1 AND seq = $2', [o.clientId, o.seq]]];
    case 'incoming.put':
      return [
        [
          'INSERT INTO mqtt_incoming (client_id, packet_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [o.clientId, o.packetId],
        ],
      ];
    case 'incoming.delete':
      return [
        ['DELETE FROM mqtt_incoming WHERE client_id = $1 AND packet_id = $2', [o.clientId, o.packetId]],
      ];
    case 'retained.put': {
      const r = o.msg;
      return [
        [
          `INSERT INTO mqtt_retained (topic, payload, qos, properties, expires_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (topic) DO UPDATE SET payload = EXCLUDED.payload, qos = EXCLUDED.qos,
             properties = EXCLUDED.properties, expires_at = EXCLUDED.expires_at`,
          [r.topic, r.payload, r.qos, encodeProps(r.properties), r.expiresAt ?? null],
        ],
      ];
    }
    case 'retained.delete':
      return [['DELETE FROM mqtt_retained WHERE topic = $1', [o.topic]]];
  }
}

export class PostgresPersistence implements BrokerPersistence {
  readonly kind = 'postgres';

  constructor(private readonly database: PostgresDatabase) {}

  async init(): Promise<void> {
    await migrate(this.database, 'mqtt', MQTT_MIGRATIONS);
  }

  async load(): Promise<PersistedState> {
    const q = async (sql: string): Promise<Row[]> => (await this.database.pool.query<Row>(sql)).rows;
    const [sessions, subs, msgs, incoming, retained] = await Promise.all([
      q('SELECT * FROM mqtt_sessions'),
      q('SELECT * FROM mqtt_subscriptions'),
      q('SELECT * FROM mqtt_messages ORDER BY seq'),
      q('SELECT client_id, packet_id FROM mqtt_incoming'),
      q('SELECT * FROM mqtt_retained'),
    ]);
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
      incoming: incoming.map((r) => ({ clientId: String(r.client_id), packetId: num(r.packet_id) })),
      retained: retained.map((r) => ({
        topic: String(r.topic),
        payload: r.payload as Buffer,
        qos: num(r.qos) as QoS,
        properties: decodeProps(r.properties as string | null),
        expiresAt: optNum(r.expires_at),
      })),
    };
  }

  async apply(ops: readonly PersistOp[]): Promise<void> {
    const client = await this.database.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        for (const o of ops) for (const [sql, params] of statement(o)) await client.query(sql, params);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    } finally {
      client.release();
    }
  }
}
