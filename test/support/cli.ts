import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/fargate-prom');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

// An empty HOME: no ~/.aws files of the machine leak into the tests.
const emptyHome = mkdtempSync(join(tmpdir(), 'fargate-prom-home-'));
process.on('exit', () => rmSync(emptyHome, { recursive: true, force: true }));

/** The environment of a CLI run against the local simulation: dummy credentials, shrunk waits, no TTY. */
export function simEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: emptyHome,
    CI: '1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    FARGATE_PROM_TIME_SCALE: '0.01',
    ...extra,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

export interface RunCliOptions {
  /** SIGKILL after this long (default 90 s): the process, or with `detached` its whole process group. */
  timeoutMs?: number;
  /** Called with the child's pid once it is spawned. */
  onSpawn?: (pid: number) => void;
  /** Called with all of stderr so far, each time more arrives. */
  onStderr?: (stderr: string) => void;
  /** Runs the CLI in a process group of its own (so the group can be killed, with what it started). */
  detached?: boolean;
  /** Called after the timeout's SIGKILL, to clean up anything else the run left. */
  onTimeout?: () => void;
}

/** SIGKILL to a process group; nothing if it is gone already. */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone, or not a group
  }
}

/** Runs the built CLI as a user would, capturing its output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = simEnv(), opts: RunCliOptions = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr);
    });
    if (child.pid) opts.onSpawn?.(child.pid);
    const timer = setTimeout(() => {
      if (opts.detached && child.pid) killGroup(child.pid);
      else child.kill('SIGKILL');
      opts.onTimeout?.();
    }, opts.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
  });
}
