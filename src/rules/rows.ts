/** Row ↔ object mapping shared by both store adapters. */
import type { Delivery, DeliveryStatus, RuleDef, StoredRule } from './types.js';

export interface RuleRow {
  name: string;
  definition: string;
  created_at: number | string;
  updated_at: number | string;
}

export interface DeliveryRow {
  id: string;
  rule: string;
  action: number;
  action_type: string;
  request: string;
  origin: string;
  status: string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: number | string;
  last_error: string | null;
  claim_owner: string | null;
  claim_until: number | string;
  created_at: number | string;
  updated_at: number | string;
}

export function toRule(r: RuleRow): StoredRule {
  return {
    ...(JSON.parse(r.definition) as RuleDef),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function ruleDefinition(def: RuleDef): string {
  const { name, description, sql, enabled, actions, errorAction } = def;
  return JSON.stringify({ name, description, sql, enabled, actions, errorAction });
}

export function toDelivery(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    rule: r.rule,
    action: Number(r.action),
    actionType: r.action_type as Delivery['actionType'],
    request: JSON.parse(r.request) as Delivery['request'],
    origin: JSON.parse(r.origin) as Delivery['origin'],
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: r.last_error,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Insert parameters, in the column order of DELIVERY_COLUMNS. */
export const DELIVERY_COLUMNS =
  'id, rule, action, action_type, request, origin, status, attempts, max_attempts, next_attempt_at, last_error, created_at, updated_at';

export function deliveryParams(d: Delivery): unknown[] {
  return [
    d.id,
    d.rule,
    d.action,
    d.actionType,
    JSON.stringify(d.request),
    JSON.stringify(d.origin),
    d.status,
    d.attempts,
    d.maxAttempts,
    d.nextAttemptAt,
    d.lastError,
    d.createdAt,
    d.updatedAt,
  ];
}

/** Settle parameters: status, attempts, next_attempt_at, last_error, updated_at, then id and claimant. */
export function settleParams(d: Delivery, claimant: string): unknown[] {
  return [d.status, d.attempts, d.nextAttemptAt, d.lastError, d.updatedAt, d.id, claimant];
}

/** What a claim attempt saw, as one decision for both adapters. */
export function claimOutcome(
  row: DeliveryRow | undefined,
  claimant: string,
  now: number,
): 'claim' | 'gone' | number {
  if (!row || row.status !== 'pending') return 'gone';
  const until = Number(row.claim_until);
  if (row.claim_owner && row.claim_owner !== claimant && until > now) return until;
  return 'claim';
}
