/**
 * Management forms: labelled fields that show the API's validation error beside the field it
 * names (`error.field`, e.g. `body.heartbeat.intervalMs`), a one-time secret dialog, and a
 * confirm-before-delete button.
 */
import { useEffect, useRef, useState, type InputHTMLAttributes, type ReactNode } from 'react';
import { ApiError } from '../api';

/** The API's failure split into a field error (when it names a field) and a general one. */
export interface FormError {
  field?: string;
  message: string;
}

export function formError(e: unknown): FormError {
  if (e instanceof ApiError)
    return { message: `${e.message} (${e.code})`, ...(e.field ? { field: stripBody(e.field) } : {}) };
  return { message: String(e) };
}

/** `body.heartbeat.intervalMs` → `heartbeat.intervalMs`; `/heartbeat/intervalMs` → the same. */
export function stripBody(field: string): string {
  return field
    .replace(/^\/+/, '')
    .replace(/\//g, '.')
    .replace(/^body\./, '');
}

/** Does the error belong to this field (or one inside it: `fields[2].unit` belongs to `fields`)? */
export function errorFor(err: FormError | undefined, name: string): string | undefined {
  if (!err?.field) return undefined;
  return err.field === name || err.field.startsWith(`${name}.`) || err.field.startsWith(`${name}[`)
    ? err.message
    : undefined;
}

/** The general error: shown above the buttons unless a field shows it. */
export function FormErrorText({
  err,
  fields,
}: {
  err: FormError | undefined;
  fields: string[];
}): JSX.Element | null {
  if (!err) return null;
  if (fields.some((f) => errorFor(err, f))) return null;
  return (
    <p role="alert" className="error">
      {err.message}
    </p>
  );
}

export function Field({
  label,
  name,
  err,
  hint,
  children,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  name: string;
  err?: FormError | undefined;
  hint?: string;
  children?: ReactNode;
}): JSX.Element {
  const why = errorFor(err, name);
  const id = `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const described = why ? `${id}-err` : hint ? `${id}-hint` : undefined;
  // The hint and the error sit outside the label (so the field's name stays its label) and are
  // tied to the input with aria-describedby.
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children ?? (
        <input
          id={id}
          name={name}
          aria-invalid={why ? true : undefined}
          aria-describedby={described}
          {...input}
        />
      )}
      {hint && !why && (
        <span id={`${id}-hint`} className="muted hint">
          {hint}
        </span>
      )}
      {why && (
        <span id={`${id}-err`} role="alert" className="error field-error">
          {why}
        </span>
      )}
    </div>
  );
}

/**
 * A secret the server returns once (device password, API token): shown in a modal dialog with a
 * copy button. Closing it forgets the secret; the console cannot show it again.
 */
export function SecretDialog({
  title,
  secret,
  note,
  onClose,
}: {
  title: string;
  secret: string;
  note?: string;
  onClose: () => void;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      // No clipboard permission (plain http, a locked-down browser): select it for Ctrl+C.
      const el = ref.current?.querySelector<HTMLInputElement>('input');
      el?.select();
    }
  };
  return (
    <dialog ref={ref} className="secret-dialog" aria-labelledby="secret-h" onClose={onClose}>
      <h2 id="secret-h">{title}</h2>
      <p>
        {note ?? 'Copy it now and keep it somewhere safe.'} <strong>It is shown only this once.</strong>
      </p>
      <label>
        Secret
        <input
          readOnly
          value={secret}
          data-testid="one-time-secret"
          onFocus={(e) => e.target.select()}
          size={48}
        />
      </label>
      <p className="row">
        <button type="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="secondary" onClick={() => ref.current?.close()}>
          I have stored it — close
        </button>
      </p>
    </dialog>
  );
}

/** A delete (or revoke) button that asks once more inline before acting. */
export function ConfirmButton({
  label,
  confirm,
  onConfirm,
  disabled,
}: {
  label: string;
  confirm: string;
  onConfirm: () => void;
  disabled?: boolean;
}): JSX.Element {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className="danger" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  return (
    <span role="group" aria-label={confirm} className="row">
      <span>{confirm}</span>
      <button
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" className="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** Comma-separated text ↔ a list. */
export const splitList = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
