/** The rules API's shapes as the console reads them (docs/rules.md). */
export interface RuleMetrics {
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

export interface RuleAction {
  type: string;
  [k: string]: unknown;
}

export interface Rule {
  name: string;
  description?: string;
  sql: string;
  enabled: boolean;
  actions: RuleAction[];
  errorAction?: RuleAction;
  metrics?: RuleMetrics;
  updatedAt?: number;
}

export interface RuleTestResult {
  topicMatches: boolean;
  where: unknown;
  matched: boolean;
  output: unknown;
  actions: {
    index: number;
    type: string;
    request: { target: string; body?: string; [k: string]: unknown };
  }[];
}

/** `FROM '<filter>'` of a statement, for the list (display only; the server parses the SQL). */
export function fromOf(sql: string): string {
  return /\bFROM\s+'([^']*)'/i.exec(sql)?.[1] ?? '';
}

export function latency(us: number | null | undefined): string {
  if (us === null || us === undefined) return '—';
  return us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${Math.round(us)} µs`;
}
