/**
 * The context manager tracing-sdk.ts registers (docs/observability.md, "What tracing costs").
 *
 * Why not the SDK's AsyncLocalStorageContextManager: on Node 20 an AsyncLocalStorage that has run
 * once turns on async hooks and promise hooks for the whole process, for good. Every promise,
 * `nextTick`, timer and socket write then pays an init hook and a before/after pair, whether or not
 * anything is traced: at a 1% sample ratio that doubled the broker's CPU per message.
 *
 * This manager keeps the same API behaviour for sampled work and makes everything else free:
 * - synchronous nesting (`with(ctx, fn)` while `fn` runs) is a plain stack, no hook: that is all an
 *   unsampled message or request needs, since nothing under it is recorded;
 * - a *sampled* context also goes into an AsyncLocalStorage for the `with()`, and stays there until
 *   the promise `fn` returned settles: awaits inside `fn` keep it, so children of a sampled span
 *   started after an await nest under it, as before;
 * - the AsyncLocalStorage (and with it every process-wide hook) is on only while such a `with()`
 *   is in flight. When the last one settles it is disabled; the next sampled `with()` turns it
 *   on again. A long-lived span (a command waiting for its device) does not keep it on: its
 *   owner hands its context on explicitly (`contextOf(span)`), and an HTTP handler runs in its
 *   request's context for its synchronous start only (`inContextSync`; a sampled request with
 *   `wait: true` held the hooks on for its whole wait, and at 1% such waits overlapped).
 *
 * What changes against the SDK's manager: (1) an *unsampled* context does not follow awaits, so
 * code that starts a span after an await takes its parent before the first await
 * (`activeContext()`) or from its own state (a command's span); the platform's spans do
 * (commands, shadows, jobs, HTTP routes through `requestContext`), so an unsampled caller keeps
 * its children unsampled (parent-based sampling). (2) Work a sampled `with()` left running without
 * returning it (a promise nobody awaits) keeps the context only while some sampled `with()` is
 * still in flight; after that it starts a new trace at the sample ratio.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  context,
  type Context,
  type ContextManager,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
} from '@opentelemetry/api';

/** Whether a context's span (local or remote) is sampled: its children will be recorded. */
function sampled(ctx: Context): boolean {
  const span = trace.getSpan(ctx);
  return span !== undefined && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** The manager tracing-sdk.ts registered, while it is registered (for `withContextSync`). */
let installed: SampledContextManager | undefined;

/**
 * `context.with(ctx, fn)` for work that is synchronous by contract (a broker delivery span: its
 * handlers enter the context themselves, `inMessageTrace`): active while `fn` runs, without turning
 * Node's hooks on and off for it. Turning them on and off costs about 20 µs, which at a 1% sample
 * ratio on the broker's hot path is more than the span itself.
 */
export function withContextSync<T>(ctx: Context, fn: () => T): T {
  return installed === undefined ? context.with(ctx, fn) : installed.withSync(ctx, fn);
}

/**
 * The active context, from the registered manager directly (the API's `context.active()` looks the
 * manager up in its global registry on every call): for the broker's per-message sampling check.
 */
export function activeContextFast(): Context {
  return installed === undefined ? context.active() : installed.active();
}

export class SampledContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  /** The innermost `with()` on the stack (undefined between event-loop turns). */
  private current: Context | undefined;
  /** `with()`s of a sampled context in flight (running, or their promise not settled yet). */
  private leases = 0;

  active(): Context {
    return this.current ?? this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const cb = thisArg == null ? fn : (fn.bind(thisArg) as F);
    const keep = sampled(ctx);
    const outer = this.current;
    this.current = ctx;
    // An unsampled context under a sampled one replaces it for the awaits inside too.
    if (!keep && this.storage.getStore() === undefined) {
      try {
        return cb(...args);
      } finally {
        this.current = outer;
      }
    }
    if (keep) this.retain();
    let result: ReturnType<F>;
    try {
      result = this.storage.run(ctx, cb, ...args);
    } catch (err) {
      if (keep) this.release();
      throw err;
    } finally {
      this.current = outer;
    }
    if (!keep) return result;
    if (!(result instanceof Promise)) {
      this.release();
      return result;
    }
    return result.then(
      (v: unknown) => {
        this.release();
        return v;
      },
      (err: unknown) => {
        this.release();
        throw err;
      },
    ) as ReturnType<F>;
  }

  /** `with()` without async propagation of its own (see `withContextSync`). */
  withSync<T>(ctx: Context, fn: () => T): T {
    const outer = this.current;
    this.current = ctx;
    try {
      // Under another context that follows awaits, this one replaces it for what `fn` starts.
      return this.storage.getStore() === undefined ? fn() : this.storage.run(ctx, fn);
    } finally {
      this.current = outer;
    }
  }

  /** Functions only: an EventEmitter is returned unchanged (nothing in the platform binds one). */
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as (...args: unknown[]) => unknown;
    const run = <R>(f: () => R): R => this.with(ctx, f);
    return function (this: unknown, ...args: unknown[]) {
      return run(() => fn.apply(this, args));
    } as T;
  }

  enable(): this {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the registered manager, for withContextSync
    installed = this;
    return this;
  }

  disable(): this {
    if (installed === this) installed = undefined;
    this.leases = 0;
    this.current = undefined;
    this.storage.disable();
    return this;
  }

  /** Whether a sampled context follows awaits right now (the AsyncLocalStorage and the process's hooks are on). */
  propagating(): boolean {
    return this.leases > 0;
  }

  private retain(): void {
    this.leases++;
  }

  private release(): void {
    if (this.leases === 0) return;
    // Off when nothing sampled is in flight; `storage.run` turns it on again (Node keeps the hooks
    // until the current microtask ends, so a promise between its before and after hook is safe).
    if (--this.leases === 0) this.storage.disable();
  }
}
