/**
 * Rule secrets are encrypted in the store and plain in memory, like notify's channel secrets: this
 * wraps a RulesStore so every action's secret fields (SECRET_FIELDS: the HTTP signing secret, the
 * PostgreSQL/AMQP/NATS connection URLs with their passwords) are sealed on write and opened on read.
 * `sealPlainRules` seals rows written before encryption existed (run once on start).
 */
import { SecretBox } from '../core/index.js';
import { SECRET_FIELDS } from './definition.js';
import type { RulesStore } from './rules-store.js';
import type { ActionDef, RuleDef } from './types.js';

function mapAction(a: ActionDef, f: (v: string) => string): ActionDef {
  const fields = SECRET_FIELDS[a.type] ?? [];
  if (fields.length === 0) return a;
  const out = { ...a } as Record<string, unknown>;
  for (const k of fields) {
    const v = out[k];
    if (typeof v === 'string' && v !== '') out[k] = f(v);
  }
  return out as unknown as ActionDef;
}

function mapRule<T extends RuleDef>(r: T, f: (v: string) => string): T {
  return {
    ...r,
    actions: r.actions.map((a) => mapAction(a, f)),
    ...(r.errorAction ? { errorAction: mapAction(r.errorAction, f) } : {}),
  };
}

export function sealedRulesStore(store: RulesStore, box: SecretBox): RulesStore {
  const open = <T extends RuleDef>(r: T): T => mapRule(r, (v) => box.open(v));
  // Explicit delegation (an adapter may be a class): only the rule methods carry secrets.
  return {
    listRules: async () => (await store.listRules()).map(open),
    getRule: async (name) => {
      const r = await store.getRule(name);
      return r && open(r);
    },
    putRule: async (def, now) => {
      const prev = await store.putRule(
        mapRule(def, (v) => box.seal(v)),
        now,
      );
      return prev && open(prev);
    },
    deleteRule: async (name) => {
      const r = await store.deleteRule(name);
      return r && open(r);
    },
    countRules: () => store.countRules(),
    enqueue: (ds) => store.enqueue(ds),
    due: (before, limit) => store.due(before, limit),
    claim: (id, claimant, now, until) => store.claim(id, claimant, now, until),
    settle: (d, claimant) => store.settle(d, claimant),
    settleAndEnqueue: (d, claimant, next) => store.settleAndEnqueue(d, claimant, next),
    listDeliveries: (rule, status, limit) => store.listDeliveries(rule, status, limit),
    pendingByRule: () => store.pendingByRule(),
    purgeDelivered: (before) => store.purgeDelivered(before),
  };
}

/** Seal every rule still holding a plain secret; returns how many rules changed. */
export async function sealPlainRules(raw: RulesStore, box: SecretBox): Promise<number> {
  let changed = 0;
  for (const r of await raw.listRules()) {
    let plain = false;
    const sealed = mapRule(r, (v) => {
      if (SecretBox.isSealed(v)) return v;
      plain = true;
      return box.seal(v);
    });
    if (!plain) continue;
    const { createdAt: _created, updatedAt, ...def } = sealed;
    await raw.putRule(def, updatedAt); // a re-encoding, not an edit: the rule keeps its time

    changed++;
  }
  return changed;
}
