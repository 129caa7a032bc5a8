/**
 * Schedule definitions: CRUD with validation and audit (before/after), holiday import, preview,
 * and which devices a schedule targets in which zone. The executor (executor.ts) runs them.
 */
import { randomUUID } from 'node:crypto';
import type { Actor, Clock, DeviceDirectory, DeviceInfo, EventBus } from '../core/index.js';
import { ScheduleErrors } from './errors.js';
import type { Execution, Override } from './execution.js';
import { importHolidays, type HolidayImport } from './ics.js';
import { isValidZone } from './local-time.js';
import { Resolver } from './resolve.js';
import type { ExecutionQuery, SchedulesStore } from './schedules-store.js';
import type { Schedule, SlotWrite } from './types.js';
import { validateSchedule, type ScheduleInput } from './validate.js';

export const MAX_PREVIEW_DAYS = 400;

export interface SchedulesServiceDeps {
  store: SchedulesStore;
  directory: DeviceDirectory;
  bus: EventBus;
  clock: Clock;
  /** A schedule was created, changed or deleted (the executor re-arms; other nodes are told). */
  changed(id: string): void;
}

export interface Preview {
  scheduleId: string;
  zone: string;
  deviceId: string | null;
  from: number;
  to: number;
  writes: SlotWrite[];
}

export class SchedulesService {
  constructor(private readonly deps: SchedulesServiceDeps) {}

  private audit(actor: Actor, action: string, id: string, before: unknown, after: unknown): void {
    this.deps.bus.emit('audit', {
      at: this.deps.clock.now(),
      actor,
      action,
      resource: `schedules/${id}`,
      before: before ?? null,
      after: after ?? null,
    });
  }

  list(): Promise<Schedule[]> {
    return this.deps.store.list();
  }

  async get(id: string): Promise<Schedule> {
    const s = await this.deps.store.get(id);
    if (!s) throw ScheduleErrors.notFound(id);
    return s;
  }

  async create(body: unknown, actor: Actor): Promise<Schedule> {
    const input = validateSchedule(body);
    const now = this.deps.clock.now();
    const s: Schedule = { ...input, id: randomUUID(), version: 1, createdAt: now, updatedAt: now };
    await this.deps.store.create(s);
    this.audit(actor, 'schedule.create', s.id, null, s);
    this.deps.changed(s.id);
    return s;
  }

  /** Replace a schedule; `expectedVersion` (If-Match) refuses a stale edit. */
  async update(id: string, body: unknown, actor: Actor, expectedVersion?: number): Promise<Schedule> {
    const input = validateSchedule(body);
    const before = await this.get(id);
    if (expectedVersion !== undefined && expectedVersion !== before.version)
      throw ScheduleErrors.conflict(id, expectedVersion, before.version);
    const after: Schedule = {
      ...input,
      id,
      version: before.version + 1,
      createdAt: before.createdAt,
      updatedAt: this.deps.clock.now(),
    };
    if (!(await this.deps.store.update(after, before.version))) {
      const now = await this.get(id);
      throw ScheduleErrors.conflict(id, before.version, now.version);
    }
    this.audit(actor, 'schedule.update', id, before, after);
    this.deps.changed(id);
    return after;
  }

  async delete(id: string, actor: Actor): Promise<void> {
    const before = await this.get(id);
    if (!(await this.deps.store.delete(id))) throw ScheduleErrors.notFound(id);
    this.audit(actor, 'schedule.delete', id, before, null);
    this.deps.changed(id);
  }

  /** Every definition as users keep it in git: no id, version or timestamps (YAML export). */
  async exportAll(): Promise<ScheduleInput[]> {
    return (await this.list()).map(({ id: _i, version: _v, createdAt: _c, updatedAt: _u, ...def }) => def);
  }

  /**
   * Create or replace schedules by name (YAML import). Every definition is checked before any is
   * written, so a bad one (422 naming `schedules[i].<field>`) leaves all unchanged; a name held by
   * two stored schedules is refused rather than guessed.
   */
  async importMany(
    inputs: unknown[],
    actor: Actor,
    dryRun = false,
  ): Promise<{ created: string[]; updated: string[] }> {
    const checked = inputs.map((x, i) => {
      try {
        return validateSchedule(x);
      } catch (e) {
        const field = (e as { field?: unknown }).field;
        if (typeof field !== 'string') throw e;
        throw ScheduleErrors.invalid(
          `schedules[${i}].${field}`,
          (e as Error).message.replace(`${field}: `, ''),
        );
      }
    });
    const all = await this.list();
    const seen = new Set<string>();
    const plan = checked.map((input, i) => {
      if (seen.has(input.name))
        throw ScheduleErrors.invalid(`schedules[${i}].name`, `${input.name} appears twice`);
      seen.add(input.name);
      const same = all.filter((s) => s.name === input.name);
      if (same.length > 1)
        throw ScheduleErrors.invalid(
          `schedules[${i}].name`,
          `${same.length} stored schedules are named ${input.name}`,
        );
      return { input, prev: same[0] };
    });
    const out = { created: [] as string[], updated: [] as string[] };
    for (const { input, prev } of plan) {
      if (!dryRun) {
        if (prev) await this.update(prev.id, input, actor, prev.version);
        else await this.create(input, actor);
      }
      (prev ? out.updated : out.created).push(input.name);
    }
    return out;
  }

  /** Import an .ics file into holiday list `list` (replacing it), dates within [from, to]. */
  async importHolidays(
    id: string,
    list: string,
    ics: string,
    from: string,
    to: string,
    actor: Actor,
  ): Promise<{ schedule: Schedule; imported: HolidayImport }> {
    const imported = importHolidays(ics, from, to);
    const s = await this.get(id);
    const body = { ...s, holidays: { ...s.holidays, [list]: imported.dates } };
    const schedule = await this.update(id, body, actor, s.version);
    return { schedule, imported };
  }

  /** The zone a device's slots are read in: its own zone attribute when set and valid. */
  zoneFor(s: Schedule, device: DeviceInfo | undefined): string {
    const z = s.zoneAttribute && device ? device.attributes[s.zoneAttribute] : undefined;
    return typeof z === 'string' && isValidZone(z) ? z : s.timezone;
  }

  /** Devices the schedule targets (ids, models, tags: any match), enabled ones only. */
  async targets(s: Schedule): Promise<DeviceInfo[]> {
    const out = new Map<string, DeviceInfo>();
    const { directory } = this.deps;
    for (const id of s.targets.devices) {
      const d = await directory.getDevice(id);
      if (d?.enabled) out.set(d.id, d);
    }
    for (const model of s.targets.models)
      for await (const d of directory.listDevices({ model })) if (d.enabled) out.set(d.id, d);
    for (const tag of s.targets.tags)
      for await (const d of directory.listDevices({ tag })) if (d.enabled) out.set(d.id, d);
    return [...out.values()];
  }

  async preview(id: string, from: number, to: number, deviceId?: string): Promise<Preview> {
    if (!Number.isFinite(from)) throw ScheduleErrors.invalid('from', 'must be an ISO time or epoch ms');
    if (!Number.isFinite(to) || to <= from)
      throw ScheduleErrors.invalid('to', 'must be an ISO time or epoch ms after from');
    if (to - from > MAX_PREVIEW_DAYS * 86_400_000) throw ScheduleErrors.previewTooLong(MAX_PREVIEW_DAYS);
    const s = await this.get(id);
    let device: DeviceInfo | undefined;
    if (deviceId !== undefined) {
      device = await this.deps.directory.getDevice(deviceId);
      if (!device) throw ScheduleErrors.invalid('device', `device ${deviceId} not found`);
    }
    const zone = this.zoneFor(s, device);
    return {
      scheduleId: id,
      zone,
      deviceId: deviceId ?? null,
      from,
      to,
      writes: new Resolver(s, zone).writes(from, to),
    };
  }

  executions(q: ExecutionQuery): Promise<{ items: Execution[]; total: number }> {
    return this.deps.store.listExecutions(q);
  }

  async overrides(id: string): Promise<Override[]> {
    await this.get(id);
    return this.deps.store.listOverrides(id);
  }

  async clearOverride(id: string, deviceId: string, actor: Actor): Promise<void> {
    const before = await this.deps.store.getOverride(id, deviceId);
    if (!before || !(await this.deps.store.clearOverride(id, deviceId)))
      throw ScheduleErrors.overrideNotFound(id, deviceId);
    this.audit(actor, 'schedule.override.clear', id, before, null);
    this.deps.changed(id);
  }
}
