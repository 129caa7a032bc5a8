/**
 * Edit mode for one widget: its place on the grid (arrow buttons and number fields, so it works
 * from the keyboard) and the fields its kind uses. Changes apply to the draft; Save writes them.
 */
import { COLUMNS, MAX_H, moved, resized } from './layout';
import { KIND_LABEL, type ModelField, type Widget } from './types';

interface Props {
  widget: Widget;
  fields: readonly ModelField[];
  /** A fleet dashboard: device-bound widgets name their device. */
  fleet: boolean;
  onChange: (w: Widget) => void;
  onRemove: () => void;
}

const splitKeys = (s: string): string[] =>
  s
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);

export function PlacementControls({
  widget: w,
  onChange,
  onRemove,
}: Omit<Props, 'fields' | 'fleet'>): JSX.Element {
  const label = w.title ?? `${KIND_LABEL[w.kind]} ${w.id}`;
  const btn = (text: string, aria: string, next: Widget) => (
    <button
      type="button"
      className="secondary small"
      aria-label={`${aria} ${label}`}
      onClick={() => onChange(next)}
    >
      {text}
    </button>
  );
  return (
    <div className="dash-controls" role="group" aria-label={`Layout of ${label}`}>
      {btn('←', 'Move left', moved(w, -1, 0))}
      {btn('→', 'Move right', moved(w, 1, 0))}
      {btn('↑', 'Move up', moved(w, 0, -1))}
      {btn('↓', 'Move down', moved(w, 0, 1))}
      {/* Words, not "−W": a visible label must be part of the accessible name (WCAG 2.5.3). */}
      {btn('Narrower', 'Narrower', resized(w, -1, 0))}
      {btn('Wider', 'Wider', resized(w, 1, 0))}
      {btn('Shorter', 'Shorter', resized(w, 0, -1))}
      {btn('Taller', 'Taller', resized(w, 0, 1))}
      <button type="button" className="secondary small" aria-label={`Remove ${label}`} onClick={onRemove}>
        ✕
      </button>
    </div>
  );
}

function Num({
  label,
  value,
  min,
  max,
  onChange,
}: {
  label: string;
  value: number | undefined;
  min?: number;
  max?: number;
  onChange: (n: number) => void;
}): JSX.Element {
  return (
    <label>
      {label}
      <input
        type="number"
        value={value ?? ''}
        {...(min !== undefined ? { min } : {})}
        {...(max !== undefined ? { max } : {})}
        onChange={(e) => {
          const n = Number(e.target.value);
          if (e.target.value !== '' && Number.isFinite(n)) onChange(n);
        }}
      />
    </label>
  );
}

export function WidgetEditor({ widget: w, fields, fleet, onChange }: Props): JSX.Element {
  const set = (patch: Partial<Widget>): void => onChange({ ...w, ...patch });
  const listId = `keys-${w.id}`;
  const deviceBound =
    w.kind === 'time_series' || w.kind === 'latest_value' || w.kind === 'gauge' || w.mode === 'device';
  return (
    <fieldset className="dash-editor">
      <legend>
        {KIND_LABEL[w.kind]} {w.id}
      </legend>
      <datalist id={listId}>
        {fields.map((f) => (
          <option key={f.key} value={f.key}>
            {f.unit ? `${f.key} (${f.unit})` : f.key}
          </option>
        ))}
      </datalist>
      <div className="form-grid">
        <label>
          Title
          <input value={w.title ?? ''} onChange={(e) => onChange(withOptional(w, 'title', e.target.value))} />
        </label>
        <Num
          label="Column (x)"
          value={w.x}
          min={0}
          max={COLUMNS - 1}
          onChange={(x) => set({ x: Math.min(x, COLUMNS - w.w) })}
        />
        <Num label="Row (y)" value={w.y} min={0} onChange={(y) => set({ y })} />
        <Num label="Width (w)" value={w.w} min={1} max={COLUMNS - w.x} onChange={(n) => set({ w: n })} />
        <Num label="Height (h)" value={w.h} min={1} max={MAX_H} onChange={(h) => set({ h })} />
        {(deviceBound || w.kind === 'service_state' || w.kind === 'alarm_list') && (
          <label>
            Device{fleet ? '' : ' (empty: the one viewed)'}
            <input
              value={w.device ?? ''}
              onChange={(e) => onChange(withOptional(w, 'device', e.target.value))}
            />
          </label>
        )}
        {(w.kind === 'time_series' || w.kind === 'table') && (
          <label className="wide">
            Keys (comma-separated)
            <input
              list={listId}
              value={(w.keys ?? []).join(', ')}
              onChange={(e) => set({ keys: splitKeys(e.target.value) })}
            />
          </label>
        )}
        {w.kind === 'time_series' && (
          <label>
            Range
            <select value={w.range ?? '1h'} onChange={(e) => set({ range: e.target.value })}>
              {['15m', '1h', '6h', '24h', '7d', '30d', 'data'].map((r) => (
                <option key={r} value={r}>
                  {r === 'data' ? 'fit to data' : r}
                </option>
              ))}
            </select>
          </label>
        )}
        {(w.kind === 'latest_value' || w.kind === 'gauge') && (
          <label>
            Key
            <input list={listId} value={w.key ?? ''} onChange={(e) => set({ key: e.target.value.trim() })} />
          </label>
        )}
        {w.kind === 'gauge' && (
          <>
            <Num label="Min" value={w.min} onChange={(min) => set({ min })} />
            <Num label="Max" value={w.max} onChange={(max) => set({ max })} />
            <label className="wide">
              Thresholds (from:tone, e.g. 70:warn, 90:bad)
              <input
                value={(w.thresholds ?? []).map((t) => `${t.from}:${t.tone}`).join(', ')}
                onChange={(e) => set({ thresholds: parseThresholds(e.target.value) })}
              />
            </label>
          </>
        )}
        {w.kind === 'service_state' && (
          <label>
            Show
            <select
              value={w.mode ?? 'counts'}
              onChange={(e) => set({ mode: e.target.value as 'counts' | 'device' })}
            >
              <option value="counts">counts by state</option>
              <option value="device">one device&apos;s state</option>
            </select>
          </label>
        )}
        {w.kind === 'slo_budget' && (
          <label>
            SLO name
            <input value={w.slo ?? ''} onChange={(e) => set({ slo: e.target.value.trim() })} />
          </label>
        )}
      </div>
    </fieldset>
  );
}

function withOptional(w: Widget, key: 'title' | 'device', value: string): Widget {
  const next = { ...w };
  const v = value.trim();
  if (v) next[key] = v;
  else delete next[key];
  return next;
}

/** `70:warn, 90:bad` → thresholds (entries that do not parse are dropped; the server checks the rest). */
export function parseThresholds(s: string): NonNullable<Widget['thresholds']> {
  return s.split(',').flatMap((part) => {
    const [from, tone] = part.split(':').map((x) => x.trim());
    const n = Number(from);
    return from && Number.isFinite(n) && (tone === 'ok' || tone === 'warn' || tone === 'bad')
      ? [{ from: n, tone }]
      : [];
  });
}
