import { PlainReporter } from './plain-reporter.js';
import type { Reporter } from './reporter.js';

// The spinner (ora and its dependencies, ~75 ms to load) is loaded only where it is shown: a terminal.
let terminalUi: typeof import('./tty-reporter.js') | undefined;

/** A question with a free-text answer; `validate` returns true or what is wrong with the answer. */
export interface TextQuestion {
  message: string;
  validate?: (answer: string) => true | string;
}

/**
 * Everything a command says or asks goes through this: the result on `stdout`, progress, failures and
 * prompts on `stderr`. The CLI uses the process's streams and terminal; tests and the sandbox pass their own.
 */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Whether a prompt can be answered (a terminal on both ends, not CI). */
  interactive: boolean;
  ask(question: TextQuestion): Promise<string>;
  /** Progress: plain lines with --json (the result owns stdout), else what the terminal supports. */
  reporter(json: boolean): Reporter;
  /** Shrinks waits and poll intervals for this run only (the sandbox's AWS answers in milliseconds). */
  timeScale?: number;
}

/** The process's streams, terminal and prompts (inquirer, loaded only when something is asked). */
export function processIo(): CommandIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI,
    async ask({ message, validate }) {
      const { default: inquirer } = await import('inquirer');
      const { answer } = await inquirer.prompt<{ answer: string }>([{ type: 'input', name: 'answer', message, ...(validate ? { validate } : {}) }]);
      return answer;
    },
    reporter: (json) => (json ? new PlainReporter() : makeReporter()),
  };
}

/**
 * Spinners on a terminal, plain lines on logs; both on stderr so stdout carries only the result.
 * A terminal that reports no width (some pseudo-terminals) gets plain lines: redrawing needs the width.
 */
const showsSpinner = () => Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env.CI;

/** Loads the spinner when stderr is a terminal; the CLI awaits it before a command runs. */
export async function prepareTerminal(): Promise<void> {
  if (showsSpinner()) terminalUi ??= await import('./tty-reporter.js');
}

export function makeReporter(): Reporter {
  return showsSpinner() && terminalUi ? new terminalUi.TtyReporter() : new PlainReporter();
}
