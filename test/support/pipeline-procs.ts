import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A process the pipeline tests started: its output so far and its exit. */
export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the output once it matches, rejects when the process exits first or time runs out. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<string>;
}

/**
 * Every process and temp dir of a test file, so afterEach/afterAll can end all of them. Processes
 * run in their own process group: the start script's children (wget, the prometheus it execs) die
 * with it.
 */
export class Tracker {
  private procs = new Set<Proc>();
  private dirs = new Set<string>();

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), `fargate-prom-${prefix}-`));
    this.dirs.add(dir);
    return dir;
  }

  spawn(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Proc {
    const child = spawn(command, args, { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const listeners = new Set<() => void>();
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const l of listeners) l();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('error', (err) => {
        out += `\n[spawn error] ${err.message}\n`;
        resolve({ code: -1, signal: null });
      });
      // 'close': the output is complete too.
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const proc: Proc = {
      name,
      child,
      pid: child.pid ?? -1,
      output: () => out,
      exited,
      waitForOutput(pattern, timeoutMs) {
        return new Promise((resolve, reject) => {
          const done = (fn: () => void) => {
            clearTimeout(timer);
            listeners.delete(check);
            fn();
          };
          const check = () => {
            if (pattern.test(out)) done(() => resolve(out));
          };
          const timer = setTimeout(() => done(() => reject(new Error(`${name}: no output matching ${pattern} within ${timeoutMs} ms; output:\n${out.slice(-3000)}`))), timeoutMs);
          listeners.add(check);
          void exited.then(({ code, signal }) => {
            if (!pattern.test(out)) done(() => reject(new Error(`${name} exited (${code ?? signal}) without output matching ${pattern}; output:\n${out.slice(-3000)}`)));
          });
          check();
        });
      },
    };
    this.procs.add(proc);
    return proc;
  }

  /** Stops one process (and its group) now. */
  async stop(proc: Proc, graceMs = 3000): Promise<void> {
    this.procs.delete(proc);
    if (proc.pid > 0 && proc.child.exitCode === null && proc.child.signalCode === null) {
      killGroup(proc.pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(proc.pid, 'SIGKILL'), graceMs);
      await proc.exited;
      clearTimeout(timer);
    }
    killGroup(proc.pid, 'SIGKILL');
  }

  /** SIGTERM each process group, SIGKILL what is left after a grace period, and wait for the exits. */
  async stopAll(graceMs = 3000): Promise<void> {
    await Promise.all([...this.procs].map((p) => this.stop(p, graceMs)));
  }

  removeTempDirs(): void {
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
  }

  async cleanup(): Promise<void> {
    await this.stopAll();
    this.removeTempDirs();
  }
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** An instant query against a Prometheus HTTP API; the result vector. */
export async function promQuery(baseUrl: string, query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
  if (body.status !== 'success') throw new Error(`query ${query} failed: ${body.error ?? res.status}`);
  if (body.data!.resultType === 'scalar') {
    return [{ metric: {}, value: body.data!.result as [number, string] }];
  }
  return body.data!.result as Array<{ metric: Record<string, string>; value: [number, string] }>;
}
