import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as createTar } from 'tar';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureMoto, ensurePrometheus, MOTO_VERSION, PROMETHEUS_BASE_URL_ENV, PROMETHEUS_VERSION, prometheusTarget, sandboxTools, toolCacheDir, type Host,
} from '../src/sandbox/tools.js';
import type { Reporter } from '../src/ui/reporter.js';
import { runCli, simEnv } from './support/cli.js';

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `fargate-prom-${prefix}-`));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A directory holding executable scripts, to put on a PATH of its own. */
function binDir(scripts: Record<string, string>): string {
  const dir = tempDir('bin');
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

/** What a reporter was told, in order. */
function recordingReporter() {
  const lines: string[] = [];
  const reporter: Reporter = {
    phase: (t) => lines.push(`phase ${t}`),
    resource: () => undefined,
    waiting: (_k, t) => lines.push(`waiting ${t}`),
    service: () => undefined,
    info: (t) => lines.push(`info ${t}`),
    warn: (t) => lines.push(`warn ${t}`),
    block: () => undefined,
    stop: () => undefined,
  };
  return { reporter, lines };
}

const target = prometheusTarget(process);
const release = `prometheus-${PROMETHEUS_VERSION}.${target.os}-${target.arch}`;

/** A release archive as upstream lays it out (<release>/prometheus), with a stand-in binary that prints its version. */
async function buildReleaseArchive(): Promise<Buffer> {
  const dir = tempDir('release');
  mkdirSync(join(dir, release));
  writeFileSync(join(dir, release, 'prometheus'), `#!/bin/sh\necho "prometheus, version ${PROMETHEUS_VERSION} (stand-in)"\necho "stand-in prometheus from the release archive: $1" >&2\n`);
  chmodSync(join(dir, release, 'prometheus'), 0o755);
  writeFileSync(join(dir, release, 'LICENSE'), 'Apache-2.0\n');
  const file = join(dir, `${release}.tar.gz`);
  await createTar({ gzip: true, cwd: dir, file, portable: true }, [release]);
  return readFileSync(file);
}

/** The download host: serves files by path and counts every request. */
class FileServer {
  readonly requests: string[] = [];
  files = new Map<string, Buffer | string>();
  private server?: Server;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? '');
      const body = this.files.get(req.url ?? '');
      if (body === undefined) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}`;
  }
  stop() {
    return new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('Prometheus for the sandbox', () => {
  let server: FileServer;
  let archive: Buffer;
  beforeAll(async () => {
    archive = await buildReleaseArchive();
  });
  afterEach(() => server?.stop());

  async function releaseHost(sumOf: Buffer): Promise<Host> {
    server = new FileServer();
    await server.start();
    const other = `prometheus-${PROMETHEUS_VERSION}.windows-amd64.zip`;
    server.files.set(`/v${PROMETHEUS_VERSION}/sha256sums.txt`, `${'0'.repeat(64)}  ${other}\n${sha256(sumOf)}  ${release}.tar.gz\n`);
    server.files.set(`/v${PROMETHEUS_VERSION}/${release}.tar.gz`, archive);
    return { env: { PATH: binDir({}), [PROMETHEUS_BASE_URL_ENV]: `${server.url}/` }, platform: process.platform, arch: process.arch };
  }

  it('downloads the release archive, checks its published SHA-256, installs it in the cache, then reuses it', async () => {
    const host = await releaseHost(archive);
    const cache = join(tempDir('cache'), 'fargate-prom');
    const { reporter, lines } = recordingReporter();

    const binary = await ensurePrometheus(cache, reporter, host);
    expect(binary).toBe(join(cache, release, 'prometheus'));
    expect(execFileSync(binary, ['--version']).toString()).toContain(`prometheus, version ${PROMETHEUS_VERSION}`);
    expect(server.requests).toEqual([`/v${PROMETHEUS_VERSION}/sha256sums.txt`, `/v${PROMETHEUS_VERSION}/${release}.tar.gz`]);
    expect(lines.some((l) => l.startsWith(`waiting downloading ${server.url}/v${PROMETHEUS_VERSION}/${release}.tar.gz`))).toBe(true);
    expect(lines.at(-1)).toBe(`info installed Prometheus ${PROMETHEUS_VERSION} (SHA-256 checked) in ${join(cache, release)}`);
    // Only the install is left in the cache: no archive, no scratch directory.
    expect(readdirSync(cache)).toEqual([release]);

    const again = recordingReporter();
    expect(await ensurePrometheus(cache, again.reporter, host)).toBe(binary);
    expect(server.requests).toHaveLength(2);
    expect(again.lines).toEqual([]);
  });

  it('refuses an archive whose SHA-256 is not the published one and installs nothing', async () => {
    const host = await releaseHost(Buffer.from('some other archive'));
    const cache = join(tempDir('cache'), 'fargate-prom');
    const { reporter } = recordingReporter();

    const failure = await ensurePrometheus(cache, reporter, host).then(() => undefined, (err: Error) => err);
    expect(failure?.name).toBe('CliError');
    expect(failure?.message).toBe(
      `the Prometheus archive from ${server.url}/v${PROMETHEUS_VERSION}/${release}.tar.gz has SHA-256 ${sha256(archive)}, not the published ${sha256(Buffer.from('some other archive'))}; refused it (nothing was installed)`,
    );
    expect(server.requests).toHaveLength(2);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('refuses a release whose sha256sums.txt does not list the archive', async () => {
    const host = await releaseHost(archive);
    server.files.set(`/v${PROMETHEUS_VERSION}/sha256sums.txt`, `${sha256(archive)}  prometheus-${PROMETHEUS_VERSION}.plan9-amd64.tar.gz\n`);
    const cache = join(tempDir('cache'), 'fargate-prom');
    await expect(ensurePrometheus(cache, recordingReporter().reporter, host)).rejects.toThrow(`lists no checksum for ${release}.tar.gz`);
    // The archive itself was never fetched.
    expect(server.requests).toEqual([`/v${PROMETHEUS_VERSION}/sha256sums.txt`]);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('says which download failed when the host does not have the release', async () => {
    const host = await releaseHost(archive);
    server.files.clear();
    const cache = join(tempDir('cache'), 'fargate-prom');
    await expect(ensurePrometheus(cache, recordingReporter().reporter, host)).rejects.toThrow(
      `could not download ${server.url}/v${PROMETHEUS_VERSION}/sha256sums.txt: HTTP 404`,
    );
    expect(readdirSync(cache)).toEqual([]);
  });

  it('takes moto_server and prometheus from PATH first, fetching nothing', async () => {
    const host = await releaseHost(archive);
    const path = binDir({ moto_server: 'exit 0', prometheus: 'exit 0' });
    const tools = await sandboxTools(recordingReporter().reporter, { ...host, env: { ...host.env, PATH: path, XDG_CACHE_HOME: tempDir('xdg') } });
    expect(tools).toEqual({ motoServer: join(path, 'moto_server'), prometheus: join(path, 'prometheus'), prometheusSigns: false });
    expect(server.requests).toEqual([]);
  });

  it('fetches into $XDG_CACHE_HOME/fargate-prom what PATH lacks; that upstream build signs its remote writes', async () => {
    const host = await releaseHost(archive);
    const path = binDir({ moto_server: 'exit 0' });
    const xdg = tempDir('xdg');
    const tools = await sandboxTools(recordingReporter().reporter, { ...host, env: { ...host.env, PATH: path, XDG_CACHE_HOME: xdg } });
    expect(tools).toEqual({ motoServer: join(path, 'moto_server'), prometheus: join(xdg, 'fargate-prom', release, 'prometheus'), prometheusSigns: true });
    expect(server.requests).toHaveLength(2);
  });

  it('up --sandbox --json without prometheus on PATH fetches it with progress on stderr, then runs the cached one', async () => {
    const host = await releaseHost(archive);
    // This machine's PATH, less prometheus.
    const path = tempDir('path');
    for (const dir of (process.env.PATH ?? '').split(':').filter((d) => d && existsSync(d))) {
      for (const name of readdirSync(dir)) {
        if (name !== 'prometheus' && !existsSync(join(path, name))) symlinkSync(join(dir, name), join(path, name));
      }
    }
    // The stand-in binary is no Prometheus: the local AMP data plane fails to start and shows its output.
    const xdg = tempDir('xdg');
    const run = await runCli(['up', '--sandbox', '--once', '--json'], simEnv({
      // moto_server may be a pyenv shim, which needs the real HOME; the sandbox reads no AWS settings from it.
      PATH: path, HOME: process.env.HOME, XDG_CACHE_HOME: xdg, [PROMETHEUS_BASE_URL_ENV]: host.env[PROMETHEUS_BASE_URL_ENV],
    }));
    expect(run.stdout).toBe('');
    expect(server.requests).toEqual([`/v${PROMETHEUS_VERSION}/sha256sums.txt`, `/v${PROMETHEUS_VERSION}/${release}.tar.gz`]);
    expect(run.stderr).toMatch(new RegExp(`\\] waiting: downloading ${server.url}/v${PROMETHEUS_VERSION}/${release}\\.tar\\.gz`));
    expect(run.stderr).toContain(`] installed Prometheus ${PROMETHEUS_VERSION} (SHA-256 checked) in ${join(xdg, 'fargate-prom', release)}\n`);
    expect(run.stderr).toContain('prometheus did not start');
    expect(run.stderr).toContain('stand-in prometheus from the release archive: --config.file=');
    expect(run.code).toBe(1);
  });

  it('names release archives as Prometheus does and puts the cache where each OS keeps caches', () => {
    expect(prometheusTarget({ platform: 'linux', arch: 'x64' })).toEqual({ os: 'linux', arch: 'amd64' });
    expect(prometheusTarget({ platform: 'darwin', arch: 'arm64' })).toEqual({ os: 'darwin', arch: 'arm64' });
    expect(() => prometheusTarget({ platform: 'linux', arch: 'ia32' })).toThrow('no Prometheus release archive for linux/ia32');
    expect(() => prometheusTarget({ platform: 'win32', arch: 'x64' })).toThrow('not supported on Windows');
    const host = (platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Host => ({ platform, arch: 'x64', env });
    expect(toolCacheDir(host('linux', { HOME: '/home/u' }))).toBe('/home/u/.cache/fargate-prom');
    expect(toolCacheDir(host('linux', { HOME: '/home/u', XDG_CACHE_HOME: '/var/cache/u' }))).toBe('/var/cache/u/fargate-prom');
    expect(toolCacheDir(host('darwin', { HOME: '/Users/u' }))).toBe('/Users/u/Library/Caches/fargate-prom');
    expect(toolCacheDir(host('win32', { HOME: '/home/u', LOCALAPPDATA: '/appdata/local' }))).toBe('/appdata/local/fargate-prom');
  });
});

describe('moto for the sandbox', () => {
  it('without moto_server or python3 on PATH, up --sandbox says so in one line, exit 2, before starting anything', async () => {
    const home = tempDir('home');
    const run = await runCli(['up', '--sandbox', '--once', '--json'], simEnv({ PATH: binDir({}), HOME: home, XDG_CACHE_HOME: undefined }));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const venv = join(home, '.cache', 'fargate-prom', `moto-${MOTO_VERSION}`);
    expect(run.stderr).toBe(`error: --sandbox needs moto_server: it is not on PATH, and python3, which would install it into ${venv}, is not either; install Python 3, or moto with "pip install 'moto[server]==${MOTO_VERSION}'"\n`);
    expect(existsSync(venv)).toBe(false);
  });

  // A stand-in python3: `-m venv DIR` makes DIR/bin/python, whose `-m pip install` logs its arguments and
  // PIP_INDEX_URL, then installs a moto_server (or fails like pip when FAKE_PIP_FAILS is set).
  const fakePython = binDir({
    python3: [
      'echo "python3 $*" >> "$FAKE_LOG"',
      '[ "$1 $2" = "-m venv" ] || exit 9',
      'mkdir -p "$3/bin"',
      'cat > "$3/bin/python" <<\'EOF\'',
      '#!/bin/sh',
      'echo "venv-python $* index=$PIP_INDEX_URL" >> "$FAKE_LOG"',
      'if [ -n "$FAKE_PIP_FAILS" ]; then echo "Looking in indexes: $PIP_INDEX_URL"; echo "ERROR: Could not find a version that satisfies the requirement $6" >&2; echo "ERROR: No matching distribution found for $6" >&2; exit 1; fi',
      'printf \'#!/bin/sh\\necho moto\\n\' > "$(dirname "$0")/moto_server"; chmod +x "$(dirname "$0")/moto_server"',
      'EOF',
      'chmod +x "$3/bin/python"',
    ].join('\n'),
  });

  it('creates a virtual environment with python3, pip-installs the pinned moto[server] into it, then reuses it', async () => {
    const log = join(tempDir('log'), 'calls');
    const cache = join(tempDir('cache'), 'fargate-prom');
    const host: Host = { env: { PATH: `${fakePython}:/usr/bin:/bin`, FAKE_LOG: log, PIP_INDEX_URL: 'http://127.0.0.1:9/simple/' }, platform: process.platform, arch: process.arch };
    const venv = join(cache, `moto-${MOTO_VERSION}`);
    const { reporter, lines } = recordingReporter();

    const bin = await ensureMoto(cache, reporter, host);
    expect(bin).toBe(join(venv, 'bin', 'moto_server'));
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      `python3 -m venv ${venv}`,
      `venv-python -m pip install --disable-pip-version-check --no-input moto[server]==${MOTO_VERSION} index=http://127.0.0.1:9/simple/`,
    ]);
    expect(lines).toContain(`waiting installing moto[server]==${MOTO_VERSION} with pip`);
    expect(lines.at(-1)).toBe(`info installed moto ${MOTO_VERSION} in ${venv}`);

    expect(await ensureMoto(cache, recordingReporter().reporter, host)).toBe(bin);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('when pip fails, shows its last lines and leaves no virtual environment behind', async () => {
    const log = join(tempDir('log'), 'calls');
    const cache = join(tempDir('cache'), 'fargate-prom');
    const host: Host = { env: { PATH: `${fakePython}:/usr/bin:/bin`, FAKE_LOG: log, FAKE_PIP_FAILS: '1', PIP_INDEX_URL: 'http://127.0.0.1:9/simple/' }, platform: process.platform, arch: process.arch };
    const pin = `moto[server]==${MOTO_VERSION}`;
    await expect(ensureMoto(cache, recordingReporter().reporter, host)).rejects.toThrow(
      `pip install '${pin}' failed (exit 1); its last lines:\n  Looking in indexes: http://127.0.0.1:9/simple/\n  ERROR: Could not find a version that satisfies the requirement ${pin}\n  ERROR: No matching distribution found for ${pin}`,
    );
    expect(readdirSync(cache)).toEqual([]);
  });

  // The real python3's venv and pip, against a local package index that has no moto: proves the venv is made,
  // pip asks PIP_INDEX_URL for moto, and its failure is reported with nothing left behind. (A successful
  // install needs PyPI, which these machines cannot reach.)
  it('with the real python3, asks PIP_INDEX_URL for moto and reports pip refusing', async (ctx) => {
    const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
    if (!python || execFileSync(python, ['-c', 'import ensurepip, venv; print(1)']).toString().trim() !== '1') return ctx.skip();
    const index = new FileServer();
    await index.start();
    try {
      const path = binDir({});
      execFileSync('ln', ['-s', python, join(path, 'python3')]);
      const cache = join(tempDir('cache'), 'fargate-prom');
      const env = { PATH: `${path}:/usr/bin:/bin`, HOME: tempDir('home'), PIP_INDEX_URL: `${index.url}/simple/`, PIP_CONFIG_FILE: '/dev/null', PIP_NO_CACHE_DIR: '1', PIP_RETRIES: '0' };
      const failure = await ensureMoto(cache, recordingReporter().reporter, { env, platform: process.platform, arch: process.arch }).then(() => undefined, (err: Error) => err);
      expect(failure?.message).toMatch(new RegExp(`^pip install 'moto\\[server\\]==${MOTO_VERSION.replace(/\./g, '\\.')}' failed \\(exit 1\\); its last lines:\\n`));
      expect(failure?.message).toContain(`No matching distribution found for moto[server]==${MOTO_VERSION}`);
      expect(index.requests).toContain('/simple/moto/');
      expect(readdirSync(cache)).toEqual([]);
    } finally {
      await index.stop();
    }
  });
});
