/**
 * One dashboard: its widgets on a 12-column CSS grid, refreshed every 10 s. A model dashboard is
 * opened for one of the model's devices (picked here, kept in the URL). Edit mode moves and resizes
 * widgets (drag the handles, arrow keys on them, or the step buttons), adds, configures and removes
 * them in a draft; Save writes it (a default dashboard is saved as a new one).
 */
import { useEffect, useRef, useState } from 'react';
import { ApiError, call } from '../../api';
import { ErrorText } from '../../components/bits';
import { useInterval, useLoad } from '../../hooks';
import { Link, navigate } from '../../router';
import { newWidget, ROW_PX } from './layout';
import { KINDS, KIND_LABEL, type Dashboard, type Widget, type WidgetKind } from './types';
import { modelFields, RENDERERS } from './widgets';
import { PlacementControls, WidgetEditor } from './WidgetEditor';
import { GridHandles } from './GridHandles';
import './dashboards.css';

interface Props {
  /** A stored dashboard's id, or undefined for a model's default dashboard. */
  id?: string | undefined;
  model?: string | undefined;
  device?: string | undefined;
  canEdit: boolean;
}

const scopeModel = (scope: string): string | undefined =>
  scope.startsWith('model:') ? scope.slice('model:'.length) : undefined;

/** What PUT/POST take: the dashboard without its server-kept fields. */
function specOf(d: Dashboard): Omit<Dashboard, 'id' | 'version' | 'createdAt' | 'updatedAt'> {
  const { id: _i, version: _v, createdAt: _c, updatedAt: _u, ...spec } = d;
  return spec;
}

export function DashboardView({ id, model, device, canEdit }: Props): JSX.Element {
  const loaded = useLoad(
    () =>
      id !== undefined
        ? call('/dashboards/:id', 'get', { params: { id } })
        : call('/dashboards/default', 'get', { query: { model: model ?? '' } }),
    [id, model],
  );
  const [draft, setDraft] = useState<Dashboard>();
  const [selected, setSelected] = useState<string>();
  const [saveError, setSaveError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const [tick, setTick] = useState(0);
  const [addKind, setAddKind] = useState<WidgetKind>('latest_value');
  const grid = useRef<HTMLDivElement>(null);
  useInterval(() => setTick((t) => t + 1), 10_000);
  const dash = draft ?? loaded.data;
  const dashModel = dash ? scopeModel(dash.scope) : model;
  const fields = useLoad(() => (dashModel ? modelFields(dashModel) : Promise.resolve([])), [dashModel]);
  const devices = useLoad(
    () =>
      dashModel
        ? call('/devices', 'get', { query: { model: dashModel, limit: 1000, sort: 'id' } })
        : Promise.resolve(undefined),
    [dashModel],
  );
  const deviceList = devices.data?.items ?? [];
  const viewed = dashModel ? (device ?? deviceList[0]?.id) : undefined;
  useEffect(() => setDraft(undefined), [id, model]);

  if (loaded.errorStatus === 404)
    return (
      <>
        <h1>No such dashboard</h1>
        <p>
          {loaded.error} <Link to="/dashboards">Back to dashboards</Link>
        </p>
      </>
    );
  if (loaded.error) return <ErrorText error={loaded.error} />;
  if (!dash) return <p className="muted">Loading dashboard…</p>;

  const editing = draft !== undefined;
  const fleet = dash.scope === 'fleet';
  const update = (w: Widget): void =>
    setDraft((d) => d && { ...d, widgets: d.widgets.map((x) => (x.id === w.id ? w : x)) });
  const remove = (wid: string): void =>
    setDraft((d) => d && { ...d, widgets: d.widgets.filter((x) => x.id !== wid) });
  const setDevice = (dev: string): void => {
    const q = new URLSearchParams(window.location.search);
    q.set('device', dev);
    navigate(`${window.location.pathname}?${q.toString()}`);
  };
  const save = async (): Promise<void> => {
    if (!draft) return;
    setSaving(true);
    setSaveError(undefined);
    try {
      if (id === undefined) {
        const created = await call('/dashboards', 'post', { body: specOf(draft) });
        setDraft(undefined);
        navigate(
          `/dashboards/${encodeURIComponent(created.id)}${viewed ? `?device=${encodeURIComponent(viewed)}` : ''}`,
        );
      } else {
        await call('/dashboards/:id', 'put', { params: { id }, body: specOf(draft) });
        setDraft(undefined);
        loaded.reload();
      }
    } catch (e) {
      setSaveError(e instanceof ApiError ? `${e.message}${e.field ? ` (field ${e.field})` : ''}` : String(e));
    } finally {
      setSaving(false);
    }
  };
  const sel = dash.widgets.find((w) => w.id === selected);
  const labelOf = (w: Widget): string => w.title ?? `${KIND_LABEL[w.kind]} ${w.id}`;
  return (
    <>
      <h1>{dash.name}</h1>
      <p className="muted">
        {fleet ? 'Fleet dashboard' : `Model dashboard · ${dashModel}`}
        {dash.customer ? ` · customer ${dash.customer}` : ''}
        {dash.description ? ` · ${dash.description}` : ''} · <Link to="/dashboards">All dashboards</Link>
      </p>
      <div className="filters">
        {dashModel && (
          <label>
            Device{' '}
            <select
              value={viewed ?? ''}
              onChange={(e) => setDevice(e.target.value)}
              aria-label="Device shown"
            >
              {deviceList.length === 0 && <option value="">no devices of this model</option>}
              {deviceList.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name && d.name !== d.id ? `${d.name} (${d.id})` : d.id}
                </option>
              ))}
            </select>
          </label>
        )}
        {canEdit && !editing && (
          <button type="button" onClick={() => setDraft(structuredClone(dash))}>
            {id === undefined ? 'Customize and save' : 'Edit'}
          </button>
        )}
        {editing && (
          <>
            <label>
              Name <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
            </label>
            <label>
              Add{' '}
              <select
                value={addKind}
                onChange={(e) => setAddKind(e.target.value as WidgetKind)}
                aria-label="Widget kind"
              >
                {KINDS.map((k) => (
                  <option key={k} value={k}>
                    {KIND_LABEL[k]}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                const w = newWidget(addKind, draft.widgets, {
                  fields: fields.data ?? [],
                  device: viewed,
                  fleet,
                });
                setDraft({ ...draft, widgets: [...draft.widgets, w] });
                setSelected(w.id);
              }}
            >
              Add widget
            </button>
            <button type="button" onClick={() => void save()} disabled={saving}>
              {saving ? 'Saving…' : 'Save'}
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => (setDraft(undefined), setSaveError(undefined))}
            >
              Cancel
            </button>
          </>
        )}
      </div>
      <ErrorText error={saveError} />
      {editing && (
        <p className="muted" role="status" data-testid="placement">
          {sel
            ? `${labelOf(sel)}: column ${sel.x + 1}, row ${sel.y + 1}, ${sel.w} wide, ${sel.h} high`
            : 'Drag a widget by ⠿ to move it and by ◢ to resize it, or focus either and use the arrow keys.'}
        </p>
      )}
      {dash.widgets.length === 0 ? (
        <div className="panel">
          <p className="muted">
            This dashboard has no widgets yet.{canEdit && !editing ? ' Choose Edit to add some.' : ''}
          </p>
        </div>
      ) : (
        <div className="dash-grid" style={{ gridAutoRows: `${ROW_PX}px` }} ref={grid}>
          {dash.widgets.map((w) => {
            const Render = RENDERERS[w.kind];
            return (
              <section
                key={w.id}
                className={`panel dash-widget${editing ? ' editing' : ''}${selected === w.id && editing ? ' selected' : ''}`}
                style={{ gridColumn: `${w.x + 1} / span ${w.w}`, gridRow: `${w.y + 1} / span ${w.h}` }}
                aria-label={w.title ?? KIND_LABEL[w.kind]}
                data-widget={w.kind}
              >
                <h2>
                  {w.title ?? (w.key ? w.key : w.keys ? w.keys.join(', ') : KIND_LABEL[w.kind])}
                  {editing && (
                    <button
                      type="button"
                      className="link"
                      onClick={() => setSelected(w.id)}
                      style={{ marginLeft: 8 }}
                    >
                      Configure
                    </button>
                  )}
                </h2>
                {editing && (
                  <GridHandles
                    widget={w}
                    grid={grid}
                    label={labelOf(w)}
                    onChange={update}
                    onStart={() => setSelected(w.id)}
                  />
                )}
                {editing && <PlacementControls widget={w} onChange={update} onRemove={() => remove(w.id)} />}
                <Render widget={w} device={w.device ?? viewed} model={dashModel} tick={tick} />
              </section>
            );
          })}
        </div>
      )}
      {editing && sel && (
        <WidgetEditor
          widget={sel}
          fields={fields.data ?? []}
          fleet={fleet}
          onChange={update}
          onRemove={() => remove(sel.id)}
        />
      )}
    </>
  );
}
