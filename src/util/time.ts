import { AsyncLocalStorage } from 'node:async_hooks';

// Poll intervals and wait limits are real-world values; FARGATE_PROM_TIME_SCALE (the CLI's input) shrinks
// them for the local simulation (tests) where AWS's minutes are milliseconds.
let scale = (() => {
  const raw = process.env.FARGATE_PROM_TIME_SCALE;
  const n = raw === undefined ? 1 : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : 1;
})();

/** For unit tests: AWS's minutes become the simulation's milliseconds for the whole process. */
export function setTimeScale(n: number): void {
  if (Number.isFinite(n) && n > 0) scale = n;
}

// A scale for one run and what it calls (the in-process sandbox), leaving the process's own alone.
const runScale = new AsyncLocalStorage<number>();

/** Runs `fn` with waits scaled by `n` (when given) instead of the process's scale. */
export function withTimeScale<T>(n: number | undefined, fn: () => T): T {
  return n !== undefined && Number.isFinite(n) && n > 0 ? runScale.run(n, fn) : fn();
}

export function scaled(ms: number): number {
  return Math.max(1, Math.round(ms * (runScale.getStore() ?? scale)));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
