import { CliError, TimeoutError } from '../errors.js';
import { describeError } from './errors.js';
import { formatDuration, scaled, sleep } from '../util/time.js';

export interface RetryOptions {
  /** Returns a reason when the error is worth waiting out (IAM propagation, an ENI still attached…). */
  retryWhen: (err: unknown) => string | undefined;
  /** Total time to keep trying, in real-world milliseconds. */
  budgetMs: number;
  what: string;
  signal?: AbortSignal;
  onRetry?: (reason: string, elapsedMs: number) => void;
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** What to tell the user when the budget runs out, instead of the last error. */
  explain?: (err: unknown) => string;
}

/**
 * Retries an operation that AWS refuses for a reason time fixes, with capped exponential backoff,
 * and gives up with an honest message when the budget runs out.
 */
export async function retryWhile<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const start = Date.now();
  const budget = scaled(opts.budgetMs);
  let delay = scaled(opts.firstDelayMs ?? 2_000);
  const maxDelay = scaled(opts.maxDelayMs ?? 15_000);
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const reason = opts.retryWhen(err);
      const elapsed = Date.now() - start;
      if (!reason) throw err;
      if (elapsed + delay > budget) {
        throw new CliError(`${opts.what}: still failing after ${formatDuration(elapsed / scaleOf(opts.budgetMs, budget))}: ${(opts.explain ?? describeError)(err)}`, 'RETRIES_EXHAUSTED');
      }
      opts.onRetry?.(reason, elapsed);
      await sleep(delay, opts.signal);
      delay = Math.min(maxDelay, Math.round(delay * 1.7));
    }
  }
}

export interface PollOptions<T> {
  what: string;
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal;
  /** Called after each poll that is not done yet (progress display). */
  onPoll?: (value: T, elapsedMs: number) => void;
  /** Explains a timeout with the last value seen. */
  explain?: (value: T) => string;
}

/** Polls until `done` says so, or fails with a TimeoutError naming what it waited for and the last state seen. */
export async function pollUntil<T>(check: () => Promise<T>, done: (v: T) => boolean, opts: PollOptions<T>): Promise<T> {
  const start = Date.now();
  const timeout = scaled(opts.timeoutMs);
  const interval = scaled(opts.intervalMs);
  for (;;) {
    const value = await check();
    if (done(value)) return value;
    const elapsed = Date.now() - start;
    if (elapsed + interval > timeout) {
      const last = opts.explain ? `; last seen: ${opts.explain(value)}` : '';
      throw new TimeoutError(opts.what, opts.timeoutMs, last);
    }
    opts.onPoll?.(value, elapsed);
    await sleep(interval, opts.signal);
  }
}

// Reports durations in real-world terms even when the local simulation shrinks time.
function scaleOf(real: number, scaledValue: number): number {
  return scaledValue / real || 1;
}
