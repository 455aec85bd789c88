import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freeLoopbackPort } from './util/ports.js';
import { stderrTail, waitUntilAnswering } from './util/process.js';

const LOOPBACK = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;

export interface MotoProcess {
  endpoint: string;
  pid: number;
  /** Kills the whole process group; resolves once moto has exited. Idempotent. */
  stop(): Promise<void>;
}

function motoOnPath(): boolean {
  const probe = spawnSync('/bin/sh', ['-c', 'command -v moto_server'], { stdio: 'ignore' });
  return probe.status === 0;
}

/**
 * Starts `moto_server` in its own process group and waits until it answers HTTP. `motoServer`: the
 * binary to run (default: `moto_server` on PATH), e.g. one the sandbox installed into a virtual environment.
 */
export async function startMoto(opts: { survivesSignals?: boolean; motoServer?: string } = {}): Promise<MotoProcess> {
  if (opts.motoServer === undefined && !motoOnPath()) {
    throw new Error("moto_server is not on PATH. Install it with: pip install 'moto[server]'  (moto 5.x)");
  }
  const port = await freeLoopbackPort();
  const child = spawn(opts.motoServer ?? 'moto_server', ['-H', LOOPBACK, '-p', String(port)], {
    // Managed policies must exist for AttachRolePolicy; running counts are modelled by the proxy instead.
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', MOTO_ACM_VALIDATION_WAIT: '0', MOTO_ECS_SERVICE_RUNNING: undefined },
    detached: true, // own process group, so stop() can kill moto and its children together
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = stderrTail(child);
  const stop = killerFor(child, opts.survivesSignals === true);
  const endpoint = `http://${LOOPBACK}:${port}`;
  try {
    await waitUntilAnswering(`${endpoint}/moto-api/data.json`, child, READY_TIMEOUT_MS);
  } catch (err) {
    await stop();
    throw new Error(`moto_server did not start: ${(err as Error).message}\n${stderr()}`);
  }
  return { endpoint, pid: child.pid ?? -1, stop };
}

/** Process groups of motos still running, killed if this process exits or is interrupted. */
const liveGroups = new Set<number>();
/** Groups whose owner tears them down itself on Ctrl-C (the sandbox destroys its stack first). */
const signalSurvivors = new Set<number>();

function killGroup(pid: number): void {
  try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
}

function killAllOnExit(): void {
  for (const pid of liveGroups) killGroup(pid);
  liveGroups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  for (const pid of liveGroups) {
    if (signalSurvivors.has(pid)) continue;
    killGroup(pid);
    liveGroups.delete(pid);
  }
  // Keep the default behaviour (terminate) unless someone else handles this signal.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

let exitHooksInstalled = false;
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllOnExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function killerFor(child: ChildProcess, survivesSignals: boolean): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const pid = child.pid;
  if (pid === undefined) return () => exited;
  // A crashed or interrupted run must not leave moto behind.
  installExitHooks();
  liveGroups.add(pid);
  if (survivesSignals) signalSurvivors.add(pid);
  return async () => {
    liveGroups.delete(pid);
    signalSurvivors.delete(pid);
    killGroup(pid);
    await exited;
  };
}
