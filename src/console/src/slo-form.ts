/** The SLO form's model and its mapping to an SLO definition (docs/slo.md); unit-tested. */
import type { SloDefinition, SliType } from './api-types';

export interface SloForm {
  name: string;
  displayName: string;
  description: string;
  sliType: SliType;
  /** command name for command-success / command-latency; '' = every command */
  command: string;
  thresholdMs: string;
  model: string;
  tag: string;
  /** percent, e.g. "99.5" */
  targetPercent: string;
  windowDays: string;
}

export const SLI_TYPES: readonly SliType[] = [
  'availability',
  'heartbeat',
  'command-success',
  'command-latency',
  'hardware-health',
  'decode-health',
];

export const EMPTY_FORM: SloForm = {
  name: '',
  displayName: '',
  description: '',
  sliType: 'availability',
  command: '',
  thresholdMs: '2000',
  model: '',
  tag: '',
  targetPercent: '99.5',
  windowDays: '28',
};

/**
 * Form → request body, or an error naming the field. Alerting and budgeting are left out so the
 * server applies its defaults (multi-window burn-rate tiers) or keeps the edited SLO's own.
 */
export function formToDefinition(
  f: SloForm,
  keep?: Pick<SloDefinition, 'alerting' | 'budgeting'>,
): { ok: true; body: Record<string, unknown> } | { ok: false; field: string; message: string } {
  const name = f.name.trim();
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name))
    return { ok: false, field: 'name', message: 'lower-case letters, digits and dashes (up to 63)' };
  // Rounded so 99.9 becomes 0.999, not 0.9990000000000001.
  const target = Math.round(Number(f.targetPercent) * 1e6) / 1e8;
  if (!(target > 0 && target < 1))
    return { ok: false, field: 'target', message: 'a percentage between 0 and 100' };
  const days = Number(f.windowDays);
  if (!Number.isInteger(days) || days < 1 || days > 400)
    return { ok: false, field: 'window', message: 'whole days between 1 and 400' };
  const sli: Record<string, unknown> = { type: f.sliType };
  if ((f.sliType === 'command-success' || f.sliType === 'command-latency') && f.command.trim())
    sli.command = f.command.trim();
  if (f.sliType === 'command-latency') {
    const ms = Number(f.thresholdMs);
    if (!(ms > 0)) return { ok: false, field: 'thresholdMs', message: 'a positive number of milliseconds' };
    sli.thresholdMs = ms;
    sli.latency = 'reply';
  }
  const selector: Record<string, string> = {};
  if (f.model.trim()) selector.model = f.model.trim();
  if (f.tag.trim()) selector.tag = f.tag.trim();
  sli.selector = selector;
  const body: Record<string, unknown> = {
    name,
    sli,
    target,
    window: { rolling: `${days}d` },
    ...(keep ? { alerting: keep.alerting, budgeting: keep.budgeting } : {}),
  };
  if (f.displayName.trim()) body.displayName = f.displayName.trim();
  if (f.description.trim()) body.description = f.description.trim();
  return { ok: true, body };
}

/** Whole days of a rolling window (`28d`, `4w`), or undefined for anything else. */
export function rollingDays(w: SloDefinition['window']): number | undefined {
  if (!('rolling' in w)) return undefined;
  const m = /^(\d+)([dw])$/.exec(w.rolling);
  return m ? Number(m[1]) * (m[2] === 'w' ? 7 : 1) : undefined;
}

/** An existing definition → form (for editing). Ratio SLIs and calendar windows are edited as JSON. */
export function definitionToForm(d: SloDefinition): SloForm | undefined {
  const days = rollingDays(d.window);
  if (d.sli.type === 'ratio' || days === undefined) return undefined;
  return {
    name: d.name,
    displayName: d.displayName ?? '',
    description: d.description ?? '',
    sliType: d.sli.type,
    command: typeof d.sli.command === 'string' ? d.sli.command : '',
    thresholdMs: typeof d.sli.thresholdMs === 'number' ? String(d.sli.thresholdMs) : '2000',
    model: d.sli.selector?.model ?? '',
    tag: d.sli.selector?.tag ?? '',
    targetPercent: String(Math.round(d.target * 1e6) / 1e4),
    windowDays: String(days),
  };
}

/** "in 3h 20m" for the status's exhaustionInMs. */
export function formatExhaustion(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return 'not burning';
  if (ms <= 0) return 'exhausted';
  const m = Math.round(ms / 60_000);
  if (m < 60) return `in ${m}m`;
  if (m < 2880) return `in ${Math.floor(m / 60)}h ${m % 60}m`;
  return `in ${Math.round(m / 1440)}d`;
}
