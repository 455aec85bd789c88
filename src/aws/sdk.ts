import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
 * The built CLI carries the clients in one bundle with only the commands it sends (scripts/bundle.mjs):
 * about half the load time of the packages' own files, which hold every command of their service.
 * Running from source (the tests), there is no bundle and the packages are used.
 */
const BUNDLE = fileURLToPath(new URL('./sdk-bundle/index.cjs', import.meta.url));
let bundle: Record<string, unknown> | undefined;

let prepared = false;
const loadSdk = <T>(key: string, id: string): T => {
  if (!prepared) {
    prepared = true;
    useCompileCache();
    if (existsSync(BUNDLE)) bundle = load(BUNDLE) as Record<string, unknown>;
  }
  return (bundle?.[key] ?? load(id)) as T;
};

/** Each SDK client package (and the SDK pieces used beside them), loaded on first use. */
export const sdk = {
  acm: () => loadSdk<typeof import('@aws-sdk/client-acm')>('acm', '@aws-sdk/client-acm'),
  amp: () => loadSdk<typeof import('@aws-sdk/client-amp')>('amp', '@aws-sdk/client-amp'),
  ec2: () => loadSdk<typeof import('@aws-sdk/client-ec2')>('ec2', '@aws-sdk/client-ec2'),
  ecs: () => loadSdk<typeof import('@aws-sdk/client-ecs')>('ecs', '@aws-sdk/client-ecs'),
  efs: () => loadSdk<typeof import('@aws-sdk/client-efs')>('efs', '@aws-sdk/client-efs'),
  elbv2: () => loadSdk<typeof import('@aws-sdk/client-elastic-load-balancing-v2')>('elbv2', '@aws-sdk/client-elastic-load-balancing-v2'),
  iam: () => loadSdk<typeof import('@aws-sdk/client-iam')>('iam', '@aws-sdk/client-iam'),
  logs: () => loadSdk<typeof import('@aws-sdk/client-cloudwatch-logs')>('logs', '@aws-sdk/client-cloudwatch-logs'),
  route53: () => loadSdk<typeof import('@aws-sdk/client-route-53')>('route53', '@aws-sdk/client-route-53'),
  secrets: () => loadSdk<typeof import('@aws-sdk/client-secrets-manager')>('secrets', '@aws-sdk/client-secrets-manager'),
  tagging: () => loadSdk<typeof import('@aws-sdk/client-resource-groups-tagging-api')>('tagging', '@aws-sdk/client-resource-groups-tagging-api'),
  /** Regions and partitions as the SDK knows them. */
  core: () => loadSdk<typeof import('@aws-sdk/core/client')>('core', '@aws-sdk/core/client'),
  /** SigV4 for AMP's query API, which has no SDK command. */
  signing: () => loadSdk<typeof import('@smithy/signature-v4')>('signing', '@smithy/signature-v4'),
  http: () => loadSdk<typeof import('@smithy/protocol-http')>('http', '@smithy/protocol-http'),
  sha256: () => loadSdk<typeof import('@aws-crypto/sha256-js')>('sha256', '@aws-crypto/sha256-js'),
};
