import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

// The AWS SDK clients ship as CommonJS bundles (EC2's is 2 MB). An ESM `import` of one first scans its
// whole source for export names (Node's cjs-module-lexer) before running it; require() skips that scan,
// which saves about 0.3 s of every command's start here (BENCHMARKS.md). Same modules, same classes: an
// `import` elsewhere (the tests' aws-sdk-client-mock) gets these very objects from Node's module cache.
const load = createRequire(import.meta.url);

/**
 * V8 compiles every SDK bundle from source on every run: EC2's alone takes ~200 ms to parse, ~35 ms
 * with V8's code cache. Node ≥ 22.1 keeps such a cache itself (module.enableCompileCache); on Node 20
 * the CommonJS modules under node_modules are compiled here with a code cache kept in a directory of
 * the temp dir that only this user owns. Any doubt (no such directory, a foreign owner, data V8
 * rejects, a module whose size or mtime changed) falls back to Node's own compile: the cache can make
 * a start faster, never different. FARGATE_PROM_NO_COMPILE_CACHE=1 turns it off.
 */
function useCompileCache(): void {
  if (process.env.FARGATE_PROM_NO_COMPILE_CACHE === '1') return;
  const dir = join(tmpdir(), `fargate-prom-compile-cache-${process.getuid?.() ?? 'user'}`, `${process.version}-${process.arch}`);
  try {
    const root = dirname(dir);
    mkdirSync(root, { recursive: true, mode: 0o700 });
    // Our own directory, not a link someone placed there, and writable by no one else: checked before
    // anything is created or read inside it.
    const st = lstatSync(root);
    if (!st.isDirectory() || (process.getuid && (st.uid !== process.getuid() || (st.mode & 0o022) !== 0))) return;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return;
  }
  const builtIn = (Module as unknown as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (builtIn) {
    builtIn(dir);
    return;
  }
  type Compilable = { _compile(content: string, filename: string, ...rest: unknown[]): unknown; exports: unknown; require(id: string): unknown };
  const proto = (Module as unknown as { prototype: Compilable }).prototype;
  const nodeCompile = proto._compile;
  const fresh: { file: string; script: Script }[] = [];
  proto._compile = function (this: Compilable, content: string, filename: string, ...rest: unknown[]) {
    // Only CommonJS under node_modules (Node may pass a format: an ES module stays Node's to compile).
    if (!filename.includes('/node_modules/') || (rest[0] !== undefined && rest[0] !== 'commonjs')) return nodeCompile.call(this, content, filename, ...rest);
    let file: string;
    let cachedData: Buffer | undefined;
    try {
      const st = statSync(filename);
      file = join(dir, createHash('sha1').update(`${filename}\0${st.size}\0${st.mtimeMs}`).digest('hex'));
      try { cachedData = readFileSync(file); } catch { /* not cached yet */ }
    } catch {
      return nodeCompile.call(this, content, filename, ...rest);
    }
    const script = new Script((Module as unknown as { wrap(s: string): string }).wrap(content), { filename, cachedData });
    if (!cachedData || script.cachedDataRejected) fresh.push({ file, script });
    const mod = this;
    const require = Object.assign((id: string) => mod.require(id), {
      resolve: (request: string, options?: { paths?: string[] }) => (Module as unknown as { _resolveFilename(r: string, m: unknown, main: boolean, o?: unknown): string })._resolveFilename(request, mod, false, options),
      cache: (Module as unknown as { _cache: unknown })._cache,
      main: load.main,
    });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(mod.exports, mod.exports, require, mod, filename, dirname(filename));
  };
  // Written once the command is over, with the functions it ran compiled in (a faster next start).
  process.once('exit', () => {
    for (const { file, script } of fresh) {
      try {
        writeFileSync(`${file}.${process.pid}`, script.createCachedData(), { mode: 0o600 });
        renameSync(`${file}.${process.pid}`, file);
      } catch { /* a cache we cannot write is only a slower next start */ }
    }
  });
}

/**
 * Each client package also builds, as it loads, an "aggregated" client class (`EC2`, `ECS`) with one
 * method per command — ~60 ms for the clients `status` loads, for classes this CLI never uses (it
 * sends commands through `EC2Client`, `ECSClient`). The aggregation is deferred until something
 * reads a property of such a class's instances: behaviour is unchanged, only the cost moves to the
 * first use, which here never comes.
 */
const DEFERRED = Symbol.for('fargate-prom.deferredAggregation');
type Aggregate = (commands: object, Client: { prototype: object }, options?: object) => void;
function deferAggregatedClient(id: string): void {
  let core: { createAggregatedClient?: Aggregate & { [DEFERRED]?: true } };
  try {
    core = createRequire(load.resolve(id))('@smithy/core/client');
  } catch {
    return;
  }
  const aggregate = core.createAggregatedClient;
  if (typeof aggregate !== 'function' || aggregate[DEFERRED]) return;
  core.createAggregatedClient = Object.assign((commands: object, Client: { prototype: object }, options?: object) => {
    const base = Object.getPrototypeOf(Client.prototype) as object;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      Object.setPrototypeOf(Client.prototype, base);
      aggregate(commands, Client, options);
    };
    Object.setPrototypeOf(Client.prototype, new Proxy(base, {
      get: (_t, prop, receiver) => (finish(), Reflect.get(Client.prototype, prop, receiver)),
      has: (_t, prop) => (finish(), Reflect.has(Client.prototype, prop)),
    }));
  }, { [DEFERRED]: true as const });
}

let prepared = false;
const loadSdk = <T>(id: string): T => {
  if (!prepared) {
    prepared = true;
    useCompileCache();
  }
  deferAggregatedClient(id);
  return load(id) as T;
};

/** Each SDK client package, loaded on first use. */
export const sdk = {
  acm: () => loadSdk<typeof import('@aws-sdk/client-acm')>('@aws-sdk/client-acm'),
  amp: () => loadSdk<typeof import('@aws-sdk/client-amp')>('@aws-sdk/client-amp'),
  ec2: () => loadSdk<typeof import('@aws-sdk/client-ec2')>('@aws-sdk/client-ec2'),
  ecs: () => loadSdk<typeof import('@aws-sdk/client-ecs')>('@aws-sdk/client-ecs'),
  elbv2: () => loadSdk<typeof import('@aws-sdk/client-elastic-load-balancing-v2')>('@aws-sdk/client-elastic-load-balancing-v2'),
  iam: () => loadSdk<typeof import('@aws-sdk/client-iam')>('@aws-sdk/client-iam'),
  logs: () => loadSdk<typeof import('@aws-sdk/client-cloudwatch-logs')>('@aws-sdk/client-cloudwatch-logs'),
  route53: () => loadSdk<typeof import('@aws-sdk/client-route-53')>('@aws-sdk/client-route-53'),
  secrets: () => loadSdk<typeof import('@aws-sdk/client-secrets-manager')>('@aws-sdk/client-secrets-manager'),
  tagging: () => loadSdk<typeof import('@aws-sdk/client-resource-groups-tagging-api')>('@aws-sdk/client-resource-groups-tagging-api'),
};
