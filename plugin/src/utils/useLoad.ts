import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/datasource';

export interface Loaded<T> {
  loading: boolean;
  error?: string;
  value?: T;
  reload: () => void;
}

/** Runs `load` whenever `deps` (compared by value) change or `reload` is called; keeps loading,
 * error (one readable sentence) and value. A result that arrives for old deps is ignored. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [attempt, setAttempt] = useState(0);
  const key = JSON.stringify([...deps, attempt]);
  const [result, setResult] = useState<{ key: string; error?: string; value?: T }>();
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });
  useEffect(() => {
    let cancelled = false;
    loadRef.current().then(
      (value) => {
        if (!cancelled) {
          setResult({ key, value });
        }
      },
      (error) => {
        if (!cancelled) {
          setResult({ key, error: errorMessage(error) });
        }
      }
    );
    return () => {
      cancelled = true;
    };
  }, [key]);
  const current = result?.key === key ? result : undefined;
  return { loading: !current, error: current?.error, value: current?.value, reload: () => setAttempt((n) => n + 1) };
}
