/**
 * Device models and devices as YAML, for definitions kept in git. Export writes every model and
 * device (no credentials, no connectivity); import validates the whole document first (errors name
 * the entry, e.g. `devices[3].id`), then creates or updates in one batch per kind.
 */
import { stringify } from 'yaml';
import { TsunaguError } from '../core/index.js';
import { parseYaml } from '../http/index.js';
import { RegistryErrors } from './errors.js';
import type { ApiActor, RegistryService } from './service.js';
import type { Device, DeviceModel } from './types.js';
import { checkDevice, checkModel, type DeviceInput, type ModelInput } from './validate.js';

export const API_VERSION = 'tsunagu/v1';
const PAGE = 1000;

const exportModel = (m: DeviceModel): Record<string, unknown> => {
  const { createdAt: _c, updatedAt: _u, ...rest } = m;
  return rest;
};

const exportDevice = (d: Device): Record<string, unknown> => ({
  id: d.id,
  ...(d.model !== null ? { model: d.model } : {}),
  name: d.name,
  tags: d.tags,
  attributes: d.attributes,
  enabled: d.enabled,
});

export async function exportYaml(registry: RegistryService): Promise<string> {
  const models = (await registry.listModels()).map(exportModel);
  const devices: Record<string, unknown>[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await registry.deps.store.queryDevices({ sort: 'id', order: 'asc', limit: PAGE, offset });
    devices.push(...page.items.map(exportDevice));
    if (page.items.length < PAGE) break;
  }
  return stringify({ apiVersion: API_VERSION, models, devices });
}

export interface ImportResult {
  models: { created: number; updated: number };
  devices: { created: number; updated: number };
}

function parseDocument(text: string): { models: unknown[]; devices: unknown[] } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    if (err instanceof TsunaguError && err.statusCode !== 422) throw err;
    throw RegistryErrors.badYaml(`not valid YAML: ${(err as Error).message.replace(/^YAML: /, '')}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw RegistryErrors.badYaml('the document must be a mapping with "models" and/or "devices"');
  const d = doc as Record<string, unknown>;
  if (d.apiVersion !== undefined && d.apiVersion !== API_VERSION)
    throw RegistryErrors.invalid('apiVersion', `must be ${API_VERSION}`);
  for (const k of Object.keys(d))
    if (!['apiVersion', 'models', 'devices'].includes(k))
      throw RegistryErrors.invalid(k, 'is not an import key');
  const list = (k: 'models' | 'devices'): unknown[] => {
    const v = d[k] ?? [];
    if (!Array.isArray(v)) throw RegistryErrors.invalid(k, 'must be a list');
    return v;
  };
  return { models: list('models'), devices: list('devices') };
}

export async function importYaml(
  registry: RegistryService,
  text: string,
  actor: ApiActor,
): Promise<ImportResult> {
  const doc = parseDocument(text);
  const models: ModelInput[] = doc.models.map((m, i) => checkModel(m, `models[${i}]`));
  const devices: DeviceInput[] = doc.devices.map((d, i) => checkDevice(d, `devices[${i}]`));
  const seen = new Set<string>();
  models.forEach((m, i) => {
    if (seen.has(m.name)) throw RegistryErrors.invalid(`models[${i}].name`, `"${m.name}" appears twice`);
    seen.add(m.name);
  });
  const ids = new Set<string>();
  for (const [i, d] of devices.entries()) {
    if (ids.has(d.id)) throw RegistryErrors.invalid(`devices[${i}].id`, `"${d.id}" appears twice`);
    ids.add(d.id);
    await registry.checkModelExists(d.model, `devices[${i}].model`, seen);
  }

  const store = registry.deps.store;
  const result: ImportResult = { models: { created: 0, updated: 0 }, devices: { created: 0, updated: 0 } };
  const builtModels: DeviceModel[] = [];
  for (const m of models) {
    const existing = await store.getModel(m.name);
    result.models[existing ? 'updated' : 'created']++;
    builtModels.push(registry.buildModel(m, existing));
  }
  await store.putModels(builtModels);
  for (const m of builtModels) registry.modelChanged(m.name);

  const built: { device: Device; created: boolean }[] = [];
  const disabled: string[] = [];
  // One read per `DEVICE_BATCH` ids: 100,000 devices on PostgreSQL were 100,000 round trips here.
  const stored = await store.getDevices(devices.map((d) => d.id));
  for (const d of devices) {
    const existing = stored.get(d.id);
    built.push({ device: registry.buildDevice(d, existing), created: !existing });
    if (existing?.enabled && d.enabled === false) disabled.push(d.id);
  }
  for (let i = 0; i < built.length; i += PAGE)
    await store.putDevices(built.slice(i, i + PAGE).map((b) => b.device));
  for (const id of disabled) registry.kick(id, 'device disabled');
  for (const b of built) {
    result.devices[b.created ? 'created' : 'updated']++;
    registry.deviceChanged(b.device, b.created ? 'created' : 'updated');
  }
  await registry.audit(actor, 'registry.import', 'import', null, {
    ...result,
    modelNames: builtModels.map((m) => m.name),
    deviceIds: built.length <= 100 ? built.map((b) => b.device.id) : `${built.length} devices`,
  });
  return result;
}
