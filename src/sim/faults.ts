/**
 * The `--faults` and `--inject` option grammars.
 *
 *   --faults battery=2,burst=1,drop=0.5,flap=0.1,slow=0.2,malformed=0.05,dropDownS=30
 *     battery|burst|drop|flap = events per device per simulated hour; slow|malformed = shares (0-1);
 *     any other field of the profile's `faults:` section by its own name.
 *   --inject drop:100@30   at 30 s (real) into the run, drop 100 online devices (count defaults to all).
 */
import type { FaultKind } from './device.js';
import { FAULT_KINDS } from './device.js';
import { SimErrors } from './errors.js';
import type { FaultSettings } from './profile.js';

const ALIASES: Record<string, keyof FaultSettings> = {
  battery: 'batteryPerHour',
  burst: 'burstPerHour',
  drop: 'dropPerHour',
  flap: 'flapPerHour',
  slow: 'slowReplyShare',
  malformed: 'malformedShare',
};
const FIELDS: readonly (keyof FaultSettings)[] = [
  'batteryPerHour',
  'burstPerHour',
  'burstSize',
  'dropPerHour',
  'dropDownS',
  'flapPerHour',
  'flapCycles',
  'flapPeriodS',
  'slowReplyShare',
  'slowReplyExtraMs',
  'malformedShare',
];
const SHARES = new Set<keyof FaultSettings>(['slowReplyShare', 'malformedShare']);
const INTEGERS = new Set<keyof FaultSettings>(['burstSize', 'flapCycles']);

export function parseFaults(text: string): Partial<FaultSettings> {
  const out: Partial<FaultSettings> = {};
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [rawKey = '', rawValue, ...extra] = part.split('=');
    const key =
      ALIASES[rawKey] ??
      (FIELDS.includes(rawKey as keyof FaultSettings) ? (rawKey as keyof FaultSettings) : undefined);
    if (!key)
      throw SimErrors.optionInvalid(
        '--faults',
        `unknown fault "${rawKey}" (expected ${Object.keys(ALIASES).join(', ')} or one of ${FIELDS.join(', ')})`,
      );
    const value = Number(rawValue);
    if (rawValue === undefined || rawValue === '' || extra.length > 0 || !Number.isFinite(value) || value < 0)
      throw SimErrors.optionInvalid('--faults', `${rawKey}: expected ${rawKey}=<number ≥ 0>, got "${part}"`);
    if (SHARES.has(key) && value > 1)
      throw SimErrors.optionInvalid('--faults', `${rawKey}: a share between 0 and 1, got ${value}`);
    if (INTEGERS.has(key) && (!Number.isInteger(value) || value < 1))
      throw SimErrors.optionInvalid('--faults', `${rawKey}: a whole number ≥ 1, got ${value}`);
    out[key] = value;
  }
  return out;
}

export interface InjectPlan {
  kind: FaultKind;
  /** How many online devices (undefined = every one where it applies). */
  count: number | undefined;
  atS: number;
}

export function parseInject(text: string): InjectPlan {
  const m = /^([a-z]+)(?::(\d+))?@(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m)
    throw SimErrors.optionInvalid(
      '--inject',
      `expected kind[:count]@seconds (e.g. drop:100@30), got "${text}"`,
    );
  const kind = m[1] as FaultKind;
  if (!FAULT_KINDS.includes(kind))
    throw SimErrors.optionInvalid('--inject', `unknown fault "${m[1]}" (expected ${FAULT_KINDS.join(', ')})`);
  return { kind, count: m[2] === undefined ? undefined : Number(m[2]), atS: Number(m[3]) };
}
