import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  /** HTTP status of the failed request (404: the thing does not exist). */
  errorStatus?: number | undefined;
  loading: boolean;
  reload: () => void;
}

/** Run an async loader when `deps` change; keeps the last data while reloading. */
export function useLoad<T>(loader: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [errorStatus, setErrorStatus] = useState<number>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setLoading(true);
    loader().then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(undefined);
        setErrorStatus(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setError(e instanceof ApiError ? `${e.message} (${e.code})` : String(e));
        setErrorStatus(e instanceof ApiError ? e.status : undefined);
        setLoading(false);
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, errorStatus, loading, reload };
}

/** Re-run `fn` every `ms` while mounted. */
export function useInterval(fn: () => void, ms: number): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const t = setInterval(() => ref.current(), ms);
    return () => clearInterval(t);
  }, [ms]);
}
