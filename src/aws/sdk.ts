import { lstatSync, mkdirSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// The AWS SDK clients ship as CommonJS bundles (EC2's is 2 MB). An ESM `import` of one first scans its
// whole source for export names (Node's cjs-module-lexer) before running it; require() skips that scan,
// which saves about 0.3 s of every command's start here (BENCHMARKS.md). Same modules, same classes: an
// `import` elsewhere (the tests' aws-sdk-client-mock) gets these very objects from Node's module cache.
const load = createRequire(import.meta.url);

/**
 * V8 compiles every SDK bundle from source on every run: EC2's alone takes ~200 ms to parse. Node ≥ 22.1
 * keeps a code cache itself (module.enableCompileCache); it is used here in a directory of the temp dir
 * that only this user owns, checked before anything is created or read in it. Node 20 has no such API,
 * and a hand-made one (wrapping module sources for vm.Script) broke modules Node compiles differently,
 * so there the SDK compiles as usual. FARGATE_PROM_NO_COMPILE_CACHE=1 turns the cache off.
 * https://nodejs.org/api/module.html#moduleenablecompilecachecachedir
 */
function useCompileCache(): void {
  const builtIn = (Module as unknown as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (!builtIn || process.env.FARGATE_PROM_NO_COMPILE_CACHE === '1') return;
  const dir = join(tmpdir(), `fargate-prom-compile-cache-${process.getuid?.() ?? 'user'}`, `${process.version}-${process.arch}`);
  try {
    const root = dirname(dir);
    mkdirSync(root, { recursive: true, mode: 0o700 });
    // Our own directory, not a link someone placed there, and writable by no one else.
    const st = lstatSync(root);
    if (!st.isDirectory() || (process.getuid && (st.uid !== process.getuid() || (st.mode & 0o022) !== 0))) return;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return;
  }
  builtIn(dir);
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
  efs: () => loadSdk<typeof import('@aws-sdk/client-efs')>('@aws-sdk/client-efs'),
  elbv2: () => loadSdk<typeof import('@aws-sdk/client-elastic-load-balancing-v2')>('@aws-sdk/client-elastic-load-balancing-v2'),
  iam: () => loadSdk<typeof import('@aws-sdk/client-iam')>('@aws-sdk/client-iam'),
  logs: () => loadSdk<typeof import('@aws-sdk/client-cloudwatch-logs')>('@aws-sdk/client-cloudwatch-logs'),
  route53: () => loadSdk<typeof import('@aws-sdk/client-route-53')>('@aws-sdk/client-route-53'),
  secrets: () => loadSdk<typeof import('@aws-sdk/client-secrets-manager')>('@aws-sdk/client-secrets-manager'),
  tagging: () => loadSdk<typeof import('@aws-sdk/client-resource-groups-tagging-api')>('@aws-sdk/client-resource-groups-tagging-api'),
};
