// Poll intervals and wait limits are real-world values; FARGATE_PROM_TIME_SCALE shrinks them for the
// local simulation (tests, sandbox) where AWS's minutes are milliseconds.
let scale = (() => {
  const raw = process.env.FARGATE_PROM_TIME_SCALE;
  const n = raw === undefined ? 1 : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : 1;
})();

/** For the in-process sandbox and unit tests: AWS's minutes become the simulation's milliseconds. */
export function setTimeScale(n: number): void {
  if (Number.isFinite(n) && n > 0) scale = n;
}

export function scaled(ms: number): number {
  return Math.max(1, Math.round(ms * scale));
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
