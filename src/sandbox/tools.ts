import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, accessSync, constants, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { x as untar } from 'tar';
import { CliError } from '../errors.js';
import type { CommandIo } from '../ui/io.js';
import type { Reporter } from '../ui/reporter.js';

/** The moto the simulation is written against (docs/simulation.md). */
export const MOTO_VERSION = '5.2.1';
/**
 * Prometheus for the sandbox when none is on PATH: the LTS release the deployed agent image pins
 * (src/templates/agent.ts), https://github.com/prometheus/prometheus/releases/tag/v3.13.3
 */
export const PROMETHEUS_VERSION = '3.13.3';
/** Where release archives are fetched from; the environment variable replaces it (tests, mirrors). */
export const PROMETHEUS_BASE_URL_ENV = 'FARGATE_PROM_PROMETHEUS_BASE_URL';
const PROMETHEUS_BASE_URL = 'https://github.com/prometheus/prometheus/releases/download';
/** A pip install that has not finished by then is stopped (pip's own network timeouts retry within it). */
const PIP_TIMEOUT_MS = 10 * 60_000;
const COMPLETE_MARKER = '.fargate-prom-complete';

/** The machine the tools are looked for or installed on; defaults to this process's. */
export interface Host {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  arch: string;
}

export interface SandboxTools {
  motoServer: string;
  prometheus: string;
  /**
   * Whether that Prometheus SigV4-signs remote writes itself: the upstream release does; a `prometheus` on
   * PATH may be Debian 12's 2.42, which does not (README), so it gets the sandbox's signing proxy.
   */
  prometheusSigns: boolean;
}

function thisHost(): Host {
  return { env: process.env, platform: process.platform, arch: process.arch };
}

/**
 * `moto_server` and `prometheus` for the sandbox: from PATH first (what the README's set-up installs),
 * else from the cache, else installed there — moto into a Python virtual environment, Prometheus from
 * its checksummed release archive — with progress on `reporter`.
 */
export async function sandboxTools(reporter: Reporter, host: Host = thisHost()): Promise<SandboxTools> {
  const motoOnPath = findOnPath('moto_server', host);
  const promOnPath = findOnPath('prometheus', host);
  const cache = toolCacheDir(host);
  const motoServer = motoOnPath ?? (await ensureMoto(cache, reporter, host));
  const prometheus = promOnPath ?? (await ensurePrometheus(cache, reporter, host));
  return { motoServer, prometheus, prometheusSigns: promOnPath === undefined };
}

/**
 * `$XDG_CACHE_HOME/fargate-prom` when set (absolute, per the XDG Base Directory spec), else the OS's own:
 * ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows, ~/.cache elsewhere.
 */
export function toolCacheDir(host: Host): string {
  const { env, platform } = host;
  const home = env.HOME || env.USERPROFILE || homedir();
  if (env.XDG_CACHE_HOME?.startsWith('/')) return join(env.XDG_CACHE_HOME, 'fargate-prom');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'fargate-prom');
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'fargate-prom');
  return join(home, '.cache', 'fargate-prom');
}

/** The first executable `bin` in the directories of PATH (with PATHEXT's extensions on Windows). */
export function findOnPath(bin: string, host: Host): string | undefined {
  const exts = host.platform === 'win32' ? (host.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (host.env.PATH ?? '').split(host.platform === 'win32' ? ';' : delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, bin + ext.toLowerCase());
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- Prometheus

/** Prometheus's names for the host, as in its release archives' names (prometheus-<v>.<os>-<arch>.tar.gz). */
export function prometheusTarget(host: Pick<Host, 'platform' | 'arch'>): { os: string; arch: string } {
  const os = ({ linux: 'linux', darwin: 'darwin', win32: 'windows' } as Partial<Record<NodeJS.Platform, string>>)[host.platform];
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[host.arch];
  if (!os || !arch) {
    throw new CliError(`--sandbox: no Prometheus release archive for ${host.platform}/${host.arch} here; install prometheus on PATH yourself`, 'INVALID_INPUT');
  }
  // The sandbox runs the agent's start script under /bin/sh, and Windows releases ship as .zip.
  if (os === 'windows') throw new CliError('--sandbox: fetching Prometheus is not supported on Windows (the sandbox needs a POSIX shell); run it under WSL', 'INVALID_INPUT');
  return { os, arch };
}

/** The cached Prometheus binary, downloaded and verified first if it is not there yet. */
export async function ensurePrometheus(cache: string, reporter: Reporter, host: Host): Promise<string> {
  const { os, arch } = prometheusTarget(host);
  const release = `prometheus-${PROMETHEUS_VERSION}.${os}-${arch}`;
  const installed = join(cache, release);
  const binary = join(installed, 'prometheus');
  if (isExecutable(binary)) return binary;

  const base = (host.env[PROMETHEUS_BASE_URL_ENV] || PROMETHEUS_BASE_URL).replace(/\/+$/, '');
  const archiveName = `${release}.tar.gz`;
  const releaseUrl = `${base}/v${PROMETHEUS_VERSION}`;
  mkdirSync(cache, { recursive: true });
  // Everything happens in a scratch directory beside the install, renamed into place only when complete.
  const scratch = mkdtempSync(join(cache, '.download-'));
  try {
    reporter.waiting('prometheus', `fetching Prometheus ${PROMETHEUS_VERSION}'s checksums from ${releaseUrl}`);
    const expected = publishedSha256(await fetchText(`${releaseUrl}/sha256sums.txt`), archiveName, releaseUrl);
    const archive = join(scratch, archiveName);
    const actual = await download(`${releaseUrl}/${archiveName}`, archive, (text) => reporter.waiting('prometheus', text));
    if (actual !== expected) {
      throw new CliError(`the Prometheus archive from ${releaseUrl}/${archiveName} has SHA-256 ${actual}, not the published ${expected}; refused it (nothing was installed)`);
    }
    reporter.waiting('prometheus', `unpacking ${archiveName}`);
    const unpacked = join(scratch, 'unpacked');
    mkdirSync(unpacked);
    await untar({ file: archive, cwd: unpacked });
    if (!isExecutable(join(unpacked, release, 'prometheus'))) {
      throw new CliError(`${archiveName} from ${releaseUrl} holds no executable ${release}/prometheus; refused it (nothing was installed)`);
    }
    // A directory left without its binary (removed by hand, say) is replaced.
    if (!isExecutable(binary)) rmSync(installed, { recursive: true, force: true });
    try {
      renameSync(join(unpacked, release), installed);
    } catch (err) {
      // Another sandbox finished the same install first: use it.
      if (!isExecutable(binary)) throw err;
    }
    reporter.info(`installed Prometheus ${PROMETHEUS_VERSION} (SHA-256 checked) in ${installed}`);
    return binary;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The archive's line of the release's sha256sums.txt (`<hex>  <file name>`, as sha256sum writes it). */
function publishedSha256(sums: string, archiveName: string, releaseUrl: string): string {
  for (const line of sums.split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)\s*$/i.exec(line.trim());
    if (m && m[2] === archiveName) return m[1].toLowerCase();
  }
  throw new CliError(`${releaseUrl}/sha256sums.txt lists no checksum for ${archiveName}; refused to install it`);
}

/** A download stalled this long (no answer, or no new bytes) is abandoned; a slow one that moves is not. */
const STALL_MS = 60_000;

/** GET `url` (following GitHub's redirect to its file host); `alive()` restarts the stall timer. */
async function get(url: string): Promise<{ res: Response; alive: () => void; done: () => void }> {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), STALL_MS);
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), STALL_MS);
  };
  const done = () => clearTimeout(timer);
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', signal: controller.signal });
  } catch (err) {
    done();
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = controller.signal.aborted ? `no answer within ${STALL_MS / 1000}s` : cause?.code ?? cause?.message ?? (err as Error).message;
    throw new CliError(`could not download ${url}: ${why}`);
  }
  if (!res.ok || !res.body) {
    done();
    throw new CliError(`could not download ${url}: HTTP ${res.status}`);
  }
  alive();
  return { res, alive, done };
}

async function fetchText(url: string): Promise<string> {
  const { res, done } = await get(url);
  try {
    return await res.text();
  } catch (err) {
    throw new CliError(`could not download ${url}: ${(err as Error).message}`);
  } finally {
    done();
  }
}

/** Streams `url` into `file`; returns the SHA-256 of what was written. Progress in tenths of the size. */
async function download(url: string, file: string, progress: (text: string) => void): Promise<string> {
  const { res, alive, done } = await get(url);
  const total = Number(res.headers.get('content-length')) || 0;
  const hash = createHash('sha256');
  const mb = (n: number) => (n / 1e6).toFixed(1);
  let received = 0;
  let shown = -1;
  progress(`downloading ${url}`);
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      alive();
      hash.update(chunk);
      received += chunk.length;
      const step = total ? Math.floor((received / total) * 10) : Math.floor(received / 10e6);
      if (step !== shown) {
        shown = step;
        progress(`downloading ${url}: ${mb(received)}${total ? ` of ${mb(total)}` : ''} MB`);
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), count, createWriteStream(file));
  } catch (err) {
    throw new CliError(`could not download ${url}: ${(err as Error).message}`);
  } finally {
    done();
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------- moto

/** moto_server of the cached virtual environment, created with python3 and pip first if need be. */
export async function ensureMoto(cache: string, reporter: Reporter, host: Host): Promise<string> {
  const venv = join(cache, `moto-${MOTO_VERSION}`);
  const bin = host.platform === 'win32' ? join(venv, 'Scripts', 'moto_server.exe') : join(venv, 'bin', 'moto_server');
  if (existsSync(join(venv, COMPLETE_MARKER)) && isExecutable(bin)) return bin;

  const python = findOnPath('python3', host) ?? (host.platform === 'win32' ? findOnPath('python', host) : undefined);
  const pin = `moto[server]==${MOTO_VERSION}`;
  if (!python) {
    throw new CliError(`--sandbox needs moto_server: it is not on PATH, and python3, which would install it into ${venv}, is not either; install Python 3, or moto with "pip install '${pin}'"`, 'INVALID_INPUT');
  }
  // A venv cannot be moved (its scripts name their interpreter by absolute path): it is built in place
  // and counts as installed only once the marker is written; a half-built one is removed and redone.
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  try {
    reporter.waiting('moto', `creating a Python virtual environment in ${venv}`);
    await runTool(python, ['-m', 'venv', venv], host.env, `${python} -m venv ${venv}`);
    const venvPython = host.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python');
    reporter.waiting('moto', `installing ${pin} with pip`);
    await runTool(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', pin], host.env, `pip install '${pin}'`, (line) => {
      const step = /^\s*(Collecting|Downloading|Installing collected packages)\b.*/.exec(line);
      if (step) reporter.waiting('moto', `installing ${pin} with pip: ${step[0].trim().slice(0, 100)}`);
    });
    if (!isExecutable(bin)) throw new CliError(`pip installed '${pin}' into ${venv} but it holds no ${bin}`);
    writeFileSync(join(venv, COMPLETE_MARKER), `${pin}\n`);
    reporter.info(`installed moto ${MOTO_VERSION} in ${venv}`);
    return bin;
  } catch (err) {
    rmSync(venv, { recursive: true, force: true });
    throw err;
  }
}

/** Runs a set-up step; on failure a CliError naming it, with the last lines it printed. */
function runTool(command: string, args: string[], env: NodeJS.ProcessEnv, what: string, onLine?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let partial = '';
    const take = (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > 5) lines.shift();
        onLine?.(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), PIP_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CliError(`${what} could not run: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partial.trim()) lines.push(partial);
      if (code === 0) return resolve();
      const how = signal ? `was stopped (${signal})` : `failed (exit ${code})`;
      reject(new CliError(`${what} ${how}${lines.length ? `; its last lines:\n${lines.slice(-5).map((l) => `  ${l}`).join('\n')}` : ''}`));
    });
  });
}

/**
 * sandboxTools with the command's progress reporter (plain lines on stderr with --json), made only when
 * something is installed: a TTY reporter starts its spinner as soon as it exists.
 */
export async function sandboxToolsFor(io: CommandIo, json: boolean): Promise<SandboxTools> {
  let made: Reporter | undefined;
  const get = () => (made ??= io.reporter(json));
  const reporter: Reporter = {
    phase: (t) => get().phase(t),
    resource: (e) => get().resource(e),
    waiting: (k, t) => get().waiting(k, t),
    service: (r) => get().service(r),
    info: (t) => get().info(t),
    warn: (t) => get().warn(t),
    block: (t) => get().block(t),
    stop: () => made?.stop(),
  };
  try {
    return await sandboxTools(reporter);
  } finally {
    reporter.stop();
  }
}
