/**
 * Per-rule figures (API and /metrics): messages evaluated, matched (WHERE passed), evaluation
 * errors, skipped (payload over the limit), rate-limited action deliveries, action outcomes, and
 * evaluation latency in log-spaced buckets (p50/p99 from the buckets, no per-sample storage).
 * Counts are this node's since start; `retrying` comes from the queue in the store.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** Bucket upper bounds in microseconds: 1, 2, 4 … ~16.8 s. */
const BOUNDS_US = Array.from({ length: 25 }, (_, i) => 2 ** i);

export class RuleFigures {
  evaluated = 0;
  matched = 0;
  errors = 0;
  skipped = 0;
  rateLimited = 0;
  succeeded = 0;
  failed = 0;
  retries = 0;
  /** Messages dropped by loop protection (too many rule hops). */
  loops = 0;
  /** Outcomes of commands this rule sent (`command.finished` status → count). */
  readonly commands: Record<string, number> = {};
  lastError: string | null = null;
  latencyUsSum = 0;
  readonly buckets = new Array<number>(BOUNDS_US.length + 1).fill(0);

  observe(us: number): void {
    this.latencyUsSum += us;
    let i = 0;
    while (i < BOUNDS_US.length && us > BOUNDS_US[i]!) i++;
    this.buckets[i]!++;
  }

  quantileUs(q: number): number | null {
    const n = this.buckets.reduce((a, b) => a + b, 0);
    if (n === 0) return null;
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= q * n) return BOUNDS_US[i] ?? Infinity;
    }
    return null;
  }
}

export interface RuleMetricsView {
  evaluated: number;
  matched: number;
  errors: number;
  skipped: number;
  rateLimited: number;
  loops: number;
  actions: { succeeded: number; failed: number; retries: number; retrying: number };
  commands: Record<string, number>;
  latency: { meanUs: number | null; p50Us: number | null; p99Us: number | null };
  lastError: string | null;
}

export class RulesMetrics {
  private readonly byRule = new Map<string, RuleFigures>();
  readonly evalSeconds: Histogram;

  constructor(registry: Registry) {
    const byRule = this.byRule;
    const counter = (
      name: string,
      help: string,
      labelNames: string[],
      fill: (c: Counter, f: RuleFigures, rule: string) => void,
    ): void => {
      new Counter({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          for (const [rule, f] of byRule) fill(this, f, rule);
        },
      });
    };
    counter(
      'tsunagu_rules_messages_total',
      'Messages per rule by outcome (evaluated, matched, error, skipped, loop)',
      ['rule', 'result'],
      (c, f, rule) => {
        c.inc({ rule, result: 'evaluated' }, f.evaluated);
        c.inc({ rule, result: 'matched' }, f.matched);
        c.inc({ rule, result: 'error' }, f.errors);
        c.inc({ rule, result: 'skipped' }, f.skipped);
        c.inc({ rule, result: 'loop' }, f.loops);
      },
    );
    counter(
      'tsunagu_rules_actions_total',
      'Action attempts per rule by outcome (succeeded, retry, failed, rate_limited)',
      ['rule', 'result'],
      (c, f, rule) => {
        c.inc({ rule, result: 'succeeded' }, f.succeeded);
        c.inc({ rule, result: 'retry' }, f.retries);
        c.inc({ rule, result: 'failed' }, f.failed);
        c.inc({ rule, result: 'rate_limited' }, f.rateLimited);
      },
    );
    counter(
      'tsunagu_rules_commands_total',
      'Commands sent by rule actions, by final status',
      ['rule', 'status'],
      (c, f, rule) => {
        for (const [status, n] of Object.entries(f.commands)) c.inc({ rule, status }, n);
      },
    );
    this.evalSeconds = new Histogram({
      name: 'tsunagu_rules_evaluation_seconds',
      help: 'Time to evaluate one rule against one message (all rules)',
      buckets: [1e-6, 5e-6, 2e-5, 1e-4, 5e-4, 2e-3, 1e-2, 5e-2, 0.25, 1],
      registers: [registry],
    });
  }

  of(rule: string): RuleFigures {
    let f = this.byRule.get(rule);
    if (!f) this.byRule.set(rule, (f = new RuleFigures()));
    return f;
  }

  drop(rule: string): void {
    this.byRule.delete(rule);
  }

  view(rule: string, retrying: number): RuleMetricsView {
    const f = this.of(rule);
    const n = f.buckets.reduce((a, b) => a + b, 0);
    return {
      evaluated: f.evaluated,
      matched: f.matched,
      errors: f.errors,
      skipped: f.skipped,
      rateLimited: f.rateLimited,
      loops: f.loops,
      actions: { succeeded: f.succeeded, failed: f.failed, retries: f.retries, retrying },
      commands: { ...f.commands },
      latency: {
        meanUs: n === 0 ? null : f.latencyUsSum / n,
        p50Us: f.quantileUs(0.5),
        p99Us: f.quantileUs(0.99),
      },
      lastError: f.lastError,
    };
  }
}
