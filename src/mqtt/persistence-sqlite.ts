/**
 * SQLite persistence (better-sqlite3, synchronous): each batch of operations is one transaction.
 * The database runs in WAL mode with synchronous=NORMAL (store/database.ts), so a committed batch
 * survives a process crash (kill -9); surviving power loss would need synchronous=FULL.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from '../store/index.js';
import { migrate, sqliteTransaction } from '../store/index.js';
import { MQTT_MIGRATIONS } from './persistence-migrations.js';
import type { QoS } from './api.js';
import { decodeProps, encodeProps, rowToWill, willRow } from './persistence-rows.js';
import { DELIVERED_KEEP_MS } from './persistence.js';
import type {
  BrokerPersistence,
  PersistedState,
  PersistOp,
  StoredMessage,
  StoredRetained,
  StoredSession,
  StoredSubscription,
} from './persistence.js';
import type { OutgoingState } from './types.js';

interface MsgRow {
  client_id: string;
  seq: number;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  properties: string | null;
  publisher_id: string | null;
  expires_at: number | null;
  sub_ids: string | null;
  packet_id: number;
  state: string;
}

export class SqlitePersistence implements BrokerPersistence {
  readonly kind = 'sqlite';
  private stmts: Record<string, BetterSqlite3.Statement> | undefined;
  private tx: ((ops: readonly PersistOp[]) => void) | undefined;

  constructor(private readonly database: SqliteDatabase) {}

  async init(): Promise<void> {
    await migrate(this.database, 'mqtt', MQTT_MIGRATIONS);
    const db = this.database.db;
    const p = (sql: string): BetterSqlite3.Statement => db.prepare(sql);
    this.stmts = {
      sessionPut: p(
        'INSERT OR REPLACE INTO mqtt_sessions (client_id, expiry_interval, disconnected_at, protocol_version) VALUES (?, ?, ?, ?)',
      ),
      sessionDel: p('DELETE FROM mqtt_sessions WHERE client_id = ?'),
      subsDelAll: p('DELETE FROM mqtt_subscriptions WHERE client_id = ?'),
      msgsDelAll: p('DELETE FROM mqtt_messages WHERE client_id = ?'),
      incDelAll: p('DELETE FROM mqtt_incoming WHERE client_id = ?'),
      subPut: p(
        'INSERT OR REPLACE INTO mqtt_subscriptions (client_id, raw, qos, nl, rap, rh, sub_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      subDel: p('DELETE FROM mqtt_subscriptions WHERE client_id = ? AND raw = ?'),
      msgPut: p(
        'INSERT OR REPLACE INTO mqtt_messages (client_id, seq, topic, payload, qos, retain, properties, publisher_id, expires_at, sub_ids, packet_id, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      msgUpd: p('UPDATE mqtt_messages SET packet_id = ?, state = ? WHERE client_id = ? AND seq = ?'),
      msgDel: p('DELETE FROM mqtt_messages WHERE client_id = ? AND seq = ?'),
      incPut: p('INSERT OR IGNORE INTO mqtt_incoming (client_id, packet_id, msg_id) VALUES (?, ?, ?)'),
      incDel: p('DELETE FROM mqtt_incoming WHERE client_id = ? AND packet_id = ?'),
      dlvPut: p('INSERT OR IGNORE INTO mqtt_delivered (client_id, msg_id, at) VALUES (?, ?, ?)'),
      dlvPrune: p('DELETE FROM mqtt_delivered WHERE client_id = ? AND at < ?'),
      dlvDelAll: p('DELETE FROM mqtt_delivered WHERE client_id = ?'),
      retPut: p(
        'INSERT OR REPLACE INTO mqtt_retained (topic, payload, qos, properties, expires_at) VALUES (?, ?, ?, ?, ?)',
      ),
      retDel: p('DELETE FROM mqtt_retained WHERE topic = ?'),
      willPut: p(
        'INSERT OR REPLACE INTO mqtt_wills (client_id, topic, payload, qos, retain, properties, delay, expiry_interval, disconnected_at, client_info) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      willDel: p('DELETE FROM mqtt_wills WHERE client_id = ?'),
    };
    const s = this.stmts;
    this.tx = sqliteTransaction(db, (ops: readonly PersistOp[]) => {
      for (const o of ops) {
        switch (o.op) {
          case 'session.put':
            s.sessionPut!.run(
              o.session.clientId,
              o.session.expiryInterval,
              o.session.disconnectedAt,
              o.session.protocolVersion,
            );
            break;
          case 'session.delete':
            s.sessionDel!.run(o.clientId);
            s.subsDelAll!.run(o.clientId);
            s.msgsDelAll!.run(o.clientId);
            s.incDelAll!.run(o.clientId);
            s.dlvDelAll!.run(o.clientId);
            break;
          case 'sub.put':
            s.subPut!.run(
              o.sub.clientId,
              o.sub.raw,
              o.sub.qos,
              o.sub.nl ? 1 : 0,
              o.sub.rap ? 1 : 0,
              o.sub.rh,
              o.sub.subId ?? null,
            );
            break;
          case 'sub.delete':
            s.subDel!.run(o.clientId, o.raw);
            break;
          case 'msg.put': {
            const m = o.msg;
            s.msgPut!.run(
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
            );
            break;
          }
          case 'msg.update':
            s.msgUpd!.run(o.packetId, o.state, o.clientId, o.seq);
            break;
          case 'msg.delete':
            s.msgDel!.run(o.clientId, o.seq);
            break;
          case 'incoming.put':
            s.incPut!.run(o.clientId, o.packetId, o.msgId ?? null);
            break;
          case 'incoming.delete':
            s.incDel!.run(o.clientId, o.packetId);
            break;
          case 'delivered.put': {
            const d = o.delivered;
            s.dlvPrune!.run(d.clientId, d.at - DELIVERED_KEEP_MS);
            s.dlvPut!.run(d.clientId, d.msgId, d.at);
            break;
          }
          case 'retained.put':
            s.retPut!.run(
              o.msg.topic,
              o.msg.payload,
              o.msg.qos,
              encodeProps(o.msg.properties),
              o.msg.expiresAt ?? null,
            );
            break;
          case 'retained.delete':
            s.retDel!.run(o.topic);
            break;
          case 'will.put':
            s.willPut!.run(...willRow(o.will));
            break;
          case 'will.delete':
            s.willDel!.run(o.clientId);
            break;
        }
      }
    });
  }

  load(): Promise<PersistedState> {
    const db = this.database.db;
    const sessions = (
      db.prepare('SELECT * FROM mqtt_sessions').all() as {
        client_id: string;
        expiry_interval: number;
        disconnected_at: number | null;
        protocol_version: number;
      }[]
    ).map((r): StoredSession => ({
      clientId: r.client_id,
      expiryInterval: r.expiry_interval,
      disconnectedAt: r.disconnected_at,
      protocolVersion: r.protocol_version as 3 | 4 | 5,
    }));
    const subscriptions = (
      db.prepare('SELECT * FROM mqtt_subscriptions').all() as {
        client_id: string;
        raw: string;
        qos: number;
        nl: number;
        rap: number;
        rh: number;
        sub_id: number | null;
      }[]
    ).map((r): StoredSubscription => ({
      clientId: r.client_id,
      raw: r.raw,
      qos: r.qos as QoS,
      nl: r.nl === 1,
      rap: r.rap === 1,
      rh: r.rh,
      subId: r.sub_id ?? undefined,
    }));
    const messages = (db.prepare('SELECT * FROM mqtt_messages ORDER BY seq').all() as MsgRow[]).map(
      (r): StoredMessage => ({
        clientId: r.client_id,
        seq: r.seq,
        topic: r.topic,
        payload: r.payload,
        qos: r.qos as QoS,
        retain: r.retain === 1,
        properties: decodeProps(r.properties),
        publisherId: r.publisher_id ?? undefined,
        expiresAt: r.expires_at ?? undefined,
        subIds: r.sub_ids ? (JSON.parse(r.sub_ids) as number[]) : undefined,
        packetId: r.packet_id,
        state: r.state as OutgoingState,
      }),
    );
    const incoming = (
      db.prepare('SELECT client_id, packet_id, msg_id FROM mqtt_incoming').all() as {
        client_id: string;
        packet_id: number;
        msg_id: string | null;
      }[]
    ).map((r) => ({
      clientId: r.client_id,
      packetId: r.packet_id,
      ...(r.msg_id !== null ? { msgId: r.msg_id } : {}),
    }));
    const delivered = (
      db.prepare('SELECT client_id, msg_id, at FROM mqtt_delivered ORDER BY at').all() as {
        client_id: string;
        msg_id: string;
        at: number;
      }[]
    ).map((r) => ({ clientId: r.client_id, msgId: r.msg_id, at: r.at }));
    const retained = (
      db.prepare('SELECT * FROM mqtt_retained').all() as {
        topic: string;
        payload: Buffer;
        qos: number;
        properties: string | null;
        expires_at: number | null;
      }[]
    ).map((r): StoredRetained => ({
      topic: r.topic,
      payload: r.payload,
      qos: r.qos as QoS,
      properties: decodeProps(r.properties),
      expiresAt: r.expires_at ?? undefined,
    }));
    const wills = (db.prepare('SELECT * FROM mqtt_wills').all() as Record<string, unknown>[]).map(rowToWill);
    return Promise.resolve({ sessions, subscriptions, messages, incoming, delivered, retained, wills });
  }

  apply(ops: readonly PersistOp[]): Promise<void> {
    if (!this.tx) return Promise.reject(new Error('SqlitePersistence.init() was not called'));
    try {
      this.tx(ops);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
