import { spawn, type ChildProcess } from 'node:child_process';

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The last `max` characters `child` wrote to stderr (and why it could not start, if it could not). */
export function stderrTail(child: ChildProcess, max = 4000): () => string {
  let tail = '';
  child.once('error', (err) => { tail += `\n${err.message}`; });
  child.stderr?.on('data', (chunk: Buffer) => { tail = (tail + chunk.toString()).slice(-max); });
  return () => tail;
}

/** Polls `url` until it answers 2xx; rejects if `child` exits (or never started) first, or after `timeoutMs`. */
export async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // A child that could not start (no pid) gets its exit code (-errno) with its 'error' event, a tick later.
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer within ${timeoutMs} ms`);
}

export interface Collected {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd` with no stdin and collects its output. After `timeoutMs` (default: none) it is sent
 * `killSignal` (default SIGKILL). Rejects only when it cannot be started.
 */
export function spawnCollect(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; killSignal?: NodeJS.Signals; onSpawn?: (pid: number) => void } = {},
): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (child.pid) opts.onSpawn?.(child.pid);
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill(opts.killSignal ?? 'SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
