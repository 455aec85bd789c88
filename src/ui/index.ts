import { PlainReporter } from './plain-reporter.js';
import type { Reporter } from './reporter.js';
import { TtyReporter } from './tty-reporter.js';

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
}

/**
 * Spinners on a terminal, plain lines on logs; both on stderr so stdout carries only the result.
 * A terminal that reports no width (some pseudo-terminals) gets plain lines: redrawing needs the width.
 */
export function makeReporter(): Reporter {
  return process.stderr.isTTY && (process.stderr.columns ?? 0) > 0 && !process.env.CI ? new TtyReporter() : new PlainReporter();
}
