/**
 * Customers and the device scope of a customer's principal. A customer owns a device when the
 * device's id, model or one of its tags is listed. The list is small and read on every scoped
 * request: cached, re-read after `CACHE_MS` (changes on this node apply at once).
 */
import type { Clock, DeviceDirectory, DeviceInfo } from '../core/index.js';
import type { AuthStore } from './auth-store.js';
import { AuthErrors } from './errors.js';
import type { Customer } from './types.js';

const CACHE_MS = 10_000;
const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface CustomerInput {
  name?: string;
  devices?: string[];
  models?: string[];
  tags?: string[];
}

export function ownsDevice(c: Customer, d: Pick<DeviceInfo, 'id' | 'model' | 'tags'>): boolean {
  return (
    c.devices.includes(d.id) ||
    (d.model !== null && c.models.includes(d.model)) ||
    d.tags.some((t) => c.tags.includes(t))
  );
}

export class CustomerService {
  private cache: { at: number; byId: Map<string, Customer> } | undefined;

  constructor(
    private readonly store: AuthStore,
    private readonly clock: Clock,
    private readonly directory: DeviceDirectory,
  ) {}

  async list(): Promise<Customer[]> {
    return [...(await this.all()).values()];
  }

  async get(id: string): Promise<Customer> {
    const c = (await this.all()).get(id);
    if (!c) throw AuthErrors.customerNotFound(id);
    return c;
  }

  async put(id: string, input: CustomerInput): Promise<{ before: Customer | null; after: Customer }> {
    if (!ID.test(id))
      throw AuthErrors.invalid('params.id', 'lower-case letters, digits, - and _, at most 64');
    const before = (await this.store.getCustomer(id)) ?? null;
    const now = this.clock.now();
    const after: Customer = {
      id,
      name: input.name ?? before?.name ?? id,
      devices: input.devices ?? before?.devices ?? [],
      models: input.models ?? before?.models ?? [],
      tags: input.tags ?? before?.tags ?? [],
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
    };
    await this.store.putCustomer(after);
    this.cache = undefined;
    return { before, after };
  }

  async remove(id: string): Promise<Customer> {
    const before = await this.get(id);
    await this.store.deleteCustomer(id);
    this.cache = undefined;
    return before;
  }

  /** Does the customer own the device? Unknown devices and unknown customers: no. */
  async owns(customerId: string, deviceId: string): Promise<boolean> {
    const c = (await this.all()).get(customerId);
    if (!c) return false;
    const d = await this.directory.getDevice(deviceId);
    return d !== undefined && ownsDevice(c, d);
  }

  /** A predicate over devices for list routes (synchronous once the customer is loaded). */
  async scope(customerId: string): Promise<(d: Pick<DeviceInfo, 'id' | 'model' | 'tags'>) => boolean> {
    const c = (await this.all()).get(customerId);
    return c ? (d) => ownsDevice(c, d) : () => false;
  }

  private async all(): Promise<Map<string, Customer>> {
    const now = this.clock.now();
    if (!this.cache || now - this.cache.at >= CACHE_MS)
      this.cache = { at: now, byId: new Map((await this.store.listCustomers()).map((c) => [c.id, c])) };
    return this.cache.byId;
  }
}
