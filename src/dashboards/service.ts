/**
 * Dashboards as the routes and other code use them: CRUD with strict validation and reference
 * checks, who sees what (a customer's users see their customer's dashboards and the unassigned ones
 * that show none of another customer's devices), the model fields and default dashboard, and YAML
 * export/import by name. Time from the injected clock.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, DeviceDirectory } from '../core/index.js';
import { defaultDashboard } from './default-dashboard.js';
import type { DashboardsStore } from './dashboards-store.js';
import { DashboardErrors } from './errors.js';
import { decoderFields, mergeFields, type DecoderLike, type ModelField } from './model-fields.js';
import { scopeModel, type Dashboard, type DashboardSpec } from './types.js';
import { validateDashboard } from './validate.js';

type DeviceRef = { id: string; model: string | null; tags: string[] };

/** Who is asking: staff (no customer) see everything; a customer's user only what is theirs. */
export interface Viewer {
  customer?: string | undefined;
  /** The customer's device scope (set by the access check for customer principals). */
  devices?: ((d: DeviceRef) => boolean) | undefined;
}

export interface DashboardsDeps {
  store: DashboardsStore;
  clock: Clock;
  directory: DeviceDirectory;
  /** A telemetry decoder definition by id (undefined when missing). */
  decoder?: (id: string) => Promise<DecoderLike | undefined>;
  /** The keys the given devices have reported, with whether the latest value is a number. */
  reportedKeys?: (deviceIds: string[]) => Promise<{ key: string; kind: 'number' | 'text' }[]>;
  /** Whether an SLO exists (slo_budget widgets); without it SLO ids are checked for shape only. */
  sloExists?: (id: string) => Promise<boolean>;
}

/** Devices of a model whose reported keys are read for the default dashboard. */
const SAMPLE_DEVICES = 50;

export class DashboardsService {
  constructor(private readonly d: DashboardsDeps) {}

  /** Every dashboard the viewer may see, by name. */
  async list(viewer: Viewer = {}): Promise<Dashboard[]> {
    const all = await this.d.store.list();
    if (viewer.customer === undefined) return all;
    const shown = await Promise.all(all.map((x) => this.visible(x, viewer)));
    return all.filter((_, i) => shown[i]);
  }

  /** The dashboard, or 404 when missing or not the viewer's to see. */
  async get(id: string, viewer: Viewer = {}): Promise<Dashboard> {
    const found = await this.d.store.get(id);
    if (!found || !(await this.visible(found, viewer))) throw DashboardErrors.notFound(id);
    return found;
  }

  async create(body: unknown, viewer: Viewer = {}): Promise<Dashboard> {
    const spec = await this.check(body, viewer);
    const now = this.d.clock.now();
    const dash: Dashboard = {
      ...spec,
      id: `dsh_${randomBytes(6).toString('hex')}`,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    if ((await this.d.store.create(dash)) === 'name_taken') throw DashboardErrors.nameTaken(spec.name);
    return dash;
  }

  /** Replace a dashboard's spec; `expected` (If-Match) refuses a stale edit with 409. */
  async update(id: string, body: unknown, viewer: Viewer = {}, expected?: number): Promise<Dashboard> {
    const prev = await this.get(id, viewer);
    if (expected !== undefined && expected !== prev.version)
      throw DashboardErrors.conflict(id, expected, prev.version);
    const spec = await this.check(body, viewer);
    const next: Dashboard = {
      ...spec,
      id,
      version: prev.version + 1,
      createdAt: prev.createdAt,
      updatedAt: this.d.clock.now(),
    };
    const r = await this.d.store.update(next);
    if (r === 'name_taken') throw DashboardErrors.nameTaken(spec.name);
    if (r === 'conflict') {
      const now = await this.d.store.get(id);
      if (!now) throw DashboardErrors.notFound(id);
      throw DashboardErrors.conflict(id, prev.version, now.version);
    }
    return next;
  }

  async delete(id: string, viewer: Viewer = {}): Promise<void> {
    await this.get(id, viewer);
    if (!(await this.d.store.delete(id))) throw DashboardErrors.notFound(id);
  }

  /** The fields a model's devices send (decoder declarations first, then reported keys). */
  async fields(model: string): Promise<ModelField[]> {
    const m = await this.d.directory.getModel(model);
    if (!m) throw DashboardErrors.modelNotFound(model);
    const ids = [...(m.decoders ?? []).map((r) => r.decoder), ...(m.decoder ? [m.decoder] : [])];
    const declared = await Promise.all(
      [...new Set(ids)].map(async (id) => {
        const def = await this.d.decoder?.(id).catch(() => undefined);
        return def ? decoderFields(def) : [];
      }),
    );
    const devices: string[] = [];
    for await (const dev of this.d.directory.listDevices({ model })) {
      devices.push(dev.id);
      if (devices.length >= SAMPLE_DEVICES) break;
    }
    const reported = devices.length && this.d.reportedKeys ? await this.d.reportedKeys(devices) : [];
    return mergeFields(declared, reported);
  }

  /** A model's generated default dashboard (not stored). */
  async defaultFor(model: string): Promise<Dashboard> {
    return defaultDashboard(model, await this.fields(model), this.d.clock.now());
  }

  /** Every dashboard as written (no ids, versions or times), for YAML export. */
  async exportAll(): Promise<DashboardSpec[]> {
    return (await this.d.store.list()).map(
      ({ id: _i, version: _v, createdAt: _c, updatedAt: _u, ...spec }) => spec,
    );
  }

  /**
   * Create or replace dashboards by name (YAML import). Every document is checked before any is
   * written, so a bad one (422 naming `dashboards[i].<field>`) leaves all unchanged.
   */
  async importMany(
    inputs: unknown[],
    viewer: Viewer = {},
    dryRun = false,
  ): Promise<{ created: string[]; updated: string[] }> {
    const seen = new Set<string>();
    const plan: { spec: DashboardSpec; prev: Dashboard | undefined }[] = [];
    for (const [i, x] of inputs.entries()) {
      let spec: DashboardSpec;
      try {
        spec = await this.check(x, viewer);
      } catch (e) {
        const field = (e as { field?: unknown }).field;
        if (typeof field !== 'string') throw e;
        throw DashboardErrors.invalid(
          `dashboards[${i}].${field}`,
          (e as Error).message.replace(`${field}: `, ''),
        );
      }
      if (seen.has(spec.name))
        throw DashboardErrors.invalid(`dashboards[${i}].name`, `${spec.name} appears twice`);
      seen.add(spec.name);
      const prev = await this.d.store.getByName(spec.name);
      if (prev && !(await this.visible(prev, viewer))) throw DashboardErrors.nameTaken(spec.name);
      plan.push({ spec, prev });
    }
    const out = { created: [] as string[], updated: [] as string[] };
    for (const { spec, prev } of plan) {
      if (!dryRun) {
        if (prev) await this.update(prev.id, spec, viewer);
        else await this.create(spec, viewer);
      }
      (prev ? out.updated : out.created).push(spec.name);
    }
    return out;
  }

  /** Validate, then check what the dashboard names exists and is the viewer's to name. */
  private async check(body: unknown, viewer: Viewer): Promise<DashboardSpec> {
    const spec = validateDashboard(body);
    if (viewer.customer !== undefined) {
      if (spec.customer !== undefined && spec.customer !== viewer.customer)
        throw DashboardErrors.invalid('customer', `must be your customer (${viewer.customer})`);
      spec.customer = viewer.customer;
    }
    const model = scopeModel(spec.scope);
    if (model !== undefined && !(await this.d.directory.getModel(model)))
      throw DashboardErrors.invalid('scope', `device model ${model} not found`);
    for (const [i, w] of spec.widgets.entries()) {
      if (w.device !== undefined) {
        const dev = await this.d.directory.getDevice(w.device);
        const theirs = dev && (viewer.customer === undefined || viewer.devices?.(dev) === true);
        if (!dev || !theirs)
          throw DashboardErrors.invalid(`widgets[${i}].device`, `device ${w.device} not found`);
        if (model !== undefined && dev.model !== model)
          throw DashboardErrors.invalid(`widgets[${i}].device`, `device ${w.device} is not a ${model}`);
      }
      if (w.slo !== undefined && this.d.sloExists && !(await this.d.sloExists(w.slo)))
        throw DashboardErrors.invalid(`widgets[${i}].slo`, `SLO ${w.slo} not found`);
    }
    return spec;
  }

  private async visible(dash: Dashboard, viewer: Viewer): Promise<boolean> {
    if (viewer.customer === undefined) return true;
    if (dash.customer !== undefined) return dash.customer === viewer.customer;
    // Unassigned: shown when every device it pins is the customer's (the data in its widgets comes
    // from APIs that already show a customer only their own devices).
    for (const w of dash.widgets) {
      if (w.device === undefined) continue;
      const dev = await this.d.directory.getDevice(w.device);
      if (!dev || viewer.devices?.(dev) !== true) return false;
    }
    return true;
  }
}
