/**
 * The registry store: one interface, implemented once over `Sql` (sql.ts) so the SQLite and the
 * PostgreSQL adapters run the same statements; `registry-store.contract.test.ts` runs the contract suite on both.
 */
import { migrate, type Database } from '../store/index.js';
import { registryMigrations } from './migrations.js';
import { pgSql } from './pg-registry-store.js';
import type { Param, Sql, Stmt } from './sql.js';
import { sqliteSql } from './sqlite-registry-store.js';
import type { DeviceLastSeen } from '../core/index.js';
import {
  connectivityFromRow,
  credentialFromRow,
  deviceFromRow,
  lastSeenFromRow,
  modelFromRow,
  num,
} from './store-rows.js';
import type {
  ConnectivityRow,
  Credential,
  Device,
  DeviceModel,
  DeviceQuery,
  DeviceRecord,
  Page,
  StatusUpdate,
} from './types.js';

export interface RegistryStore {
  listModels(): Promise<DeviceModel[]>;
  getModel(name: string): Promise<DeviceModel | undefined>;
  /** Insert or replace (by name). */
  putModels(models: DeviceModel[]): Promise<void>;
  deleteModel(name: string): Promise<boolean>;
  countDevicesOfModel(name: string): Promise<number>;

  getDevice(id: string): Promise<DeviceRecord | undefined>;
  /** Many devices by id, `DEVICE_BATCH` to a statement (ids not registered are absent from the map). */
  getDevices(ids: readonly string[]): Promise<Map<string, DeviceRecord>>;
  /**
   * Insert or replace (by id); connectivity status columns are left as they are. One transaction,
   * multi-row statements of `DEVICE_BATCH` devices; an id given twice keeps its last entry.
   */
  putDevices(devices: Device[]): Promise<void>;
  deleteDevice(id: string): Promise<boolean>;
  queryDevices(q: DeviceQuery): Promise<Page<DeviceRecord>>;
  fleetCounts(): Promise<{ total: number; online: number }>;
  /** Everyone offline (at start of a single node: no connection survives a restart). */
  resetOnline(): Promise<void>;

  listCredentials(deviceId: string): Promise<Credential[]>;
  putCredential(c: Credential): Promise<void>;
  /** Compare-and-set of a credential's secret hash (hash migration); false when `from` no longer matches. */
  replaceSecretHash(credentialId: string, from: string, to: string): Promise<boolean>;
  findCertificate(fingerprint: string): Promise<Credential | undefined>;

  /** One transaction: connectivity rows and status updates from the batch writer. */
  writeBatch(rows: ConnectivityRow[], status: StatusUpdate[]): Promise<void>;
  /** Presence's stored last-seen records (every node's batches): one device, or every device ever seen. */
  readLastSeen(deviceId?: string): Promise<Map<string, DeviceLastSeen>>;
  listConnectivity(deviceId: string, limit: number, offset: number): Promise<Page<ConnectivityRow>>;
}

const SORT_COLUMN = {
  id: 'id',
  name: 'name',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  lastSeenAt: 'last_seen_at',
} as const;

/**
 * Devices per multi-row statement: 9 parameters × 400 stays under both engines' limits. An import
 * of 100,000 devices on PostgreSQL is then a few hundred round trips, not one per device and tag.
 */
export const DEVICE_BATCH = 400;
/** Tag rows per INSERT (2 parameters each). */
const TAG_BATCH = 2000;

const marks = (n: number, row = '?'): string => Array.from({ length: n }, () => row).join(', ');

const DEVICE_ROW = `(${marks(9)})`;

const deviceParams = (d: Device): Param[] => [
  d.id,
  d.model,
  d.name,
  JSON.stringify(d.tags),
  JSON.stringify(d.attributes),
  d.enabled,
  d.createdAt,
  d.updatedAt,
  `${d.id}\n${d.name}`.toLowerCase(),
];

const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => '\\' + c);

class SqlRegistryStore implements RegistryStore {
  constructor(private readonly sql: Sql) {}

  async listModels(): Promise<DeviceModel[]> {
    return (await this.sql.all('SELECT * FROM registry_models ORDER BY name')).map(modelFromRow);
  }

  async getModel(name: string): Promise<DeviceModel | undefined> {
    const r = await this.sql.get('SELECT * FROM registry_models WHERE name = ?', [name]);
    return r ? modelFromRow(r) : undefined;
  }

  async putModels(models: DeviceModel[]): Promise<void> {
    await this.sql.batch(
      models.map((m) => {
        const { heartbeat, acl, decoder, decoders, shadow, outOfServiceCommands, fields } = m;
        const spec = { heartbeat, acl, decoder, decoders, shadow, outOfServiceCommands, fields };
        return {
          sql: `INSERT INTO registry_models (name, description, spec, attributes, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET description = excluded.description, spec = excluded.spec,
                  attributes = excluded.attributes, updated_at = excluded.updated_at`,
          params: [
            m.name,
            m.description,
            JSON.stringify(spec),
            JSON.stringify(m.attributes),
            m.createdAt,
            m.updatedAt,
          ],
        };
      }),
    );
  }

  async deleteModel(name: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM registry_models WHERE name = ?', [name])) > 0;
  }

  async countDevicesOfModel(name: string): Promise<number> {
    const r = await this.sql.get('SELECT COUNT(*) AS n FROM registry_devices WHERE model = ?', [name]);
    return num(r?.n ?? 0);
  }

  async getDevice(id: string): Promise<DeviceRecord | undefined> {
    const r = await this.sql.get('SELECT * FROM registry_devices WHERE id = ?', [id]);
    return r ? deviceFromRow(r) : undefined;
  }

  async getDevices(ids: readonly string[]): Promise<Map<string, DeviceRecord>> {
    const out = new Map<string, DeviceRecord>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += DEVICE_BATCH) {
      const chunk = unique.slice(i, i + DEVICE_BATCH);
      const rows = await this.sql.all(
        `SELECT * FROM registry_devices WHERE id IN (${marks(chunk.length)})`,
        chunk,
      );
      for (const r of rows) {
        const d = deviceFromRow(r);
        out.set(d.id, d);
      }
    }
    return out;
  }

  async putDevices(devices: Device[]): Promise<void> {
    // One multi-row upsert cannot touch a row twice (PostgreSQL refuses it): the last entry wins,
    // as it did one statement at a time. Sorted by id so two overlapping imports lock rows in one order.
    const unique = [...new Map(devices.map((d) => [d.id, d])).values()].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    const stmts: Stmt[] = [];
    for (let i = 0; i < unique.length; i += DEVICE_BATCH) {
      const chunk = unique.slice(i, i + DEVICE_BATCH);
      stmts.push(
        {
          sql: `INSERT INTO registry_devices (id, model, name, tags, attributes, enabled, created_at, updated_at, search)
                VALUES ${marks(chunk.length, DEVICE_ROW)}
                ON CONFLICT (id) DO UPDATE SET model = excluded.model, name = excluded.name, tags = excluded.tags,
                  attributes = excluded.attributes, enabled = excluded.enabled, updated_at = excluded.updated_at,
                  search = excluded.search`,
          params: chunk.flatMap(deviceParams),
        },
        {
          sql: `DELETE FROM registry_device_tags WHERE device_id IN (${marks(chunk.length)})`,
          params: chunk.map((d) => d.id),
        },
      );
      const tags = chunk.flatMap((d) => d.tags.map((tag): Param[] => [tag, d.id]));
      for (let j = 0; j < tags.length; j += TAG_BATCH) {
        const rows = tags.slice(j, j + TAG_BATCH);
        stmts.push({
          sql: `INSERT INTO registry_device_tags (tag, device_id) VALUES ${marks(rows.length, '(?, ?)')}`,
          params: rows.flat(),
        });
      }
    }
    await this.sql.batch(stmts);
  }

  async deleteDevice(id: string): Promise<boolean> {
    const existed = await this.sql.get('SELECT id FROM registry_devices WHERE id = ?', [id]);
    await this.sql.batch([
      { sql: 'DELETE FROM registry_device_tags WHERE device_id = ?', params: [id] },
      { sql: 'DELETE FROM registry_credentials WHERE device_id = ?', params: [id] },
      { sql: 'DELETE FROM registry_devices WHERE id = ?', params: [id] },
    ]);
    return existed !== undefined;
  }

  async queryDevices(q: DeviceQuery): Promise<Page<DeviceRecord>> {
    const where: string[] = [];
    const params: Param[] = [];
    if (q.model !== undefined) {
      where.push('model = ?');
      params.push(q.model);
    }
    if (q.tag !== undefined) {
      where.push('id IN (SELECT device_id FROM registry_device_tags WHERE tag = ?)');
      params.push(q.tag);
    }
    if (q.online !== undefined) {
      where.push('online = ?');
      params.push(q.online ? 1 : 0);
    }
    if (q.q !== undefined && q.q !== '') {
      where.push("search LIKE ? ESCAPE '\\'");
      params.push(`%${likeEscape(q.q.toLowerCase())}%`);
    }
    // Id sets travel as one JSON parameter, so a set of thousands is not thousands of placeholders.
    const idSet =
      this.sql.kind === 'postgres'
        ? '(SELECT jsonb_array_elements_text(?::jsonb))'
        : '(SELECT value FROM json_each(?))';
    if (q.idIn !== undefined) {
      where.push(`id IN ${idSet}`);
      params.push(JSON.stringify(q.idIn));
    }
    if (q.idNotIn !== undefined && q.idNotIn.length > 0) {
      where.push(`id NOT IN ${idSet}`);
      params.push(JSON.stringify(q.idNotIn));
    }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const col = SORT_COLUMN[q.sort];
    const dir = q.order === 'desc' ? 'DESC' : 'ASC';
    const order = col === 'id' ? `id ${dir}` : `${col} ${dir}, id ${dir}`;
    const [rows, count] = await Promise.all([
      this.sql.all(`SELECT * FROM registry_devices ${w} ORDER BY ${order} LIMIT ? OFFSET ?`, [
        ...params,
        q.limit,
        q.offset,
      ]),
      this.sql.get(`SELECT COUNT(*) AS n FROM registry_devices ${w}`, params),
    ]);
    return { items: rows.map(deviceFromRow), total: num(count?.n ?? 0) };
  }

  async fleetCounts(): Promise<{ total: number; online: number }> {
    const r = await this.sql.get(
      'SELECT COUNT(*) AS total, COALESCE(SUM(online), 0) AS online FROM registry_devices',
    );
    return { total: num(r?.total ?? 0), online: num(r?.online ?? 0) };
  }

  async resetOnline(): Promise<void> {
    await this.sql.run('UPDATE registry_devices SET online = 0 WHERE online = 1');
  }

  async listCredentials(deviceId: string): Promise<Credential[]> {
    return (
      await this.sql.all('SELECT * FROM registry_credentials WHERE device_id = ? ORDER BY created_at, id', [
        deviceId,
      ])
    ).map(credentialFromRow);
  }

  async putCredential(c: Credential): Promise<void> {
    await this.sql.run(
      `INSERT INTO registry_credentials (id, device_id, kind, username, secret_hash, fingerprint, created_at, expires_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, revoked_at = excluded.revoked_at`,
      [
        c.id,
        c.deviceId,
        c.kind,
        c.username,
        c.secretHash,
        c.fingerprint,
        c.createdAt,
        c.expiresAt,
        c.revokedAt,
      ],
    );
  }

  async replaceSecretHash(credentialId: string, from: string, to: string): Promise<boolean> {
    const n = await this.sql.run(
      'UPDATE registry_credentials SET secret_hash = ? WHERE id = ? AND secret_hash = ? AND revoked_at IS NULL',
      [to, credentialId, from],
    );
    return n === 1;
  }

  async findCertificate(fingerprint: string): Promise<Credential | undefined> {
    const r = await this.sql.get(
      'SELECT * FROM registry_credentials WHERE fingerprint = ? AND revoked_at IS NULL',
      [fingerprint],
    );
    return r ? credentialFromRow(r) : undefined;
  }

  async writeBatch(rows: ConnectivityRow[], status: StatusUpdate[]): Promise<void> {
    const stmts: Stmt[] = [
      ...rows.map((r) => ({
        sql: `INSERT INTO registry_connectivity (device_id, event, at, remote_address, protocol_version, keepalive, reason, refused, detail)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [
          r.deviceId,
          r.event,
          r.at,
          r.remoteAddress,
          r.protocolVersion,
          r.keepalive,
          r.reason,
          r.refused,
          r.detail,
        ],
      })),
      ...status.map(({ online, lastSeen: l, deviceId }) => ({
        // Last-seen never moves back: with several nodes a node that did not see the latest message
        // (or a sweep of a dead node's devices) writes an older value. Every right-hand side reads
        // the row as it was, so the kind is compared against the old message time.
        sql: `UPDATE registry_devices SET online = ?,
                last_seen_at = CASE WHEN last_seen_at > ? THEN last_seen_at ELSE ? END,
                last_message_kind = CASE WHEN last_message_at > ? THEN last_message_kind ELSE ? END,
                last_message_at = CASE WHEN last_message_at > ? THEN last_message_at ELSE ? END,
                last_heartbeat_at = CASE WHEN last_heartbeat_at > ? THEN last_heartbeat_at ELSE ? END
              WHERE id = ?`,
        params: [
          online,
          l.at,
          l.at,
          l.messageAt,
          l.messageKind,
          l.messageAt,
          l.messageAt,
          l.heartbeatAt,
          l.heartbeatAt,
          deviceId,
        ],
      })),
    ];
    await this.sql.batch(stmts);
  }

  async readLastSeen(deviceId?: string): Promise<Map<string, DeviceLastSeen>> {
    const rows = await this.sql.all(
      `SELECT id, last_seen_at, last_message_at, last_message_kind, last_heartbeat_at FROM registry_devices
       WHERE last_seen_at > 0${deviceId === undefined ? '' : ' AND id = ?'}`,
      deviceId === undefined ? [] : [deviceId],
    );
    return new Map(rows.map((r) => [String(r.id), lastSeenFromRow(r)]));
  }

  async listConnectivity(deviceId: string, limit: number, offset: number): Promise<Page<ConnectivityRow>> {
    const [rows, count] = await Promise.all([
      this.sql.all(
        'SELECT * FROM registry_connectivity WHERE device_id = ? ORDER BY id DESC LIMIT ? OFFSET ?',
        [deviceId, limit, offset],
      ),
      this.sql.get('SELECT COUNT(*) AS n FROM registry_connectivity WHERE device_id = ?', [deviceId]),
    ]);
    return { items: rows.map(connectivityFromRow), total: num(count?.n ?? 0) };
  }
}

/** Migrate the registry's tables and return the store for this database. */
export async function openRegistryStore(db: Database): Promise<RegistryStore> {
  await migrate(db, 'registry', registryMigrations);
  return new SqlRegistryStore(db.kind === 'sqlite' ? sqliteSql(db.db) : pgSql(db.pool));
}
