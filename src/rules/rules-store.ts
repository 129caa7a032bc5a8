/**
 * The rules module's storage: rule definitions and the persisted action-delivery queue. Two
 * adapters (SQLite, PostgreSQL) implement the SQL; row mapping lives once in rows.ts and the claim
 * protocol (compare-and-set on claim_owner/claim_until) is the same statement shape in both.
 */
import type { Delivery, DeliveryStatus, RuleDef, StoredRule } from './types.js';

export type ClaimResult = { claimed: Delivery } | { busyUntil: number } | { gone: true };

export interface RulesStore {
  listRules(): Promise<StoredRule[]>;
  getRule(name: string): Promise<StoredRule | undefined>;
  /** Insert or replace; returns the previous version. */
  putRule(def: RuleDef, now: number): Promise<StoredRule | undefined>;
  /** Returns the deleted rule. Its queued deliveries stay until they finish (and then fail: no rule). */
  deleteRule(name: string): Promise<StoredRule | undefined>;
  countRules(): Promise<number>;

  /** Durably queue deliveries (one transaction). */
  enqueue(ds: Delivery[]): Promise<void>;
  /** Pending deliveries due before `before`, oldest first. */
  due(before: number, limit: number): Promise<Delivery[]>;
  /** Take a pending delivery for an attempt (held until `until`), unless another claimant holds it. */
  claim(id: string, claimant: string, now: number, until: number): Promise<ClaimResult>;
  /** Write an attempt's outcome while the claim is held (false: the claim ended first). */
  settle(d: Delivery, claimant: string): Promise<boolean>;
  /** Settle one delivery and queue its follow-up (the error action) in one transaction. */
  settleAndEnqueue(d: Delivery, claimant: string, next: Delivery[]): Promise<boolean>;
  listDeliveries(rule: string, status: DeliveryStatus | undefined, limit: number): Promise<Delivery[]>;
  /** Pending deliveries per rule (the `retrying` figure). */
  pendingByRule(): Promise<Map<string, number>>;
  /** Drop delivered rows older than `before`; returns how many. */
  purgeDelivered(before: number): Promise<number>;
}
