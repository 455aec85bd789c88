import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCollect } from '@fargate-prom/aws-sim/util/process';
import { sdk } from '../src/aws/sdk.js';

// How src/aws/sdk.ts loads the SDK (start-up speed, BENCHMARKS.md): a V8 code cache in a per-user temp
// directory, and a bundle of the commands used. These check behaviour and files, never times.
const BIN = resolve(import.meta.dirname, '../bin/fargate-prom');
let server: Server;
let endpoint: string;
const dirs: string[] = [];

beforeAll(async () => {
  // Every AWS call is refused the same way: status stops at its first call, with the same error each run.
  server = createServer((_req, res) => {
    res.statusCode = 403;
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'denied by the test' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function status(tmp: string, extraEnv: Record<string, string> = {}) {
  return spawnCollect(process.execPath, [BIN, 'status', '--name', 'cache-test', '--endpoint-url', endpoint, '--json'], {
    env: {
      PATH: process.env.PATH, HOME: tmp, TMPDIR: tmp, CI: '1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_MAX_ATTEMPTS: '1', ...extraEnv,
    },
    timeoutMs: 60_000,
  });
}
const fresh = () => { const d = mkdtempSync(join(tmpdir(), 'fp-sdk-load-')); dirs.push(d); return d; };
const cacheRoot = (tmp: string) => join(tmp, `fargate-prom-compile-cache-${process.getuid!()}`);
// Every file under the cache (Node >= 22.1 keeps its own layout inside the same directory).
const cached = (tmp: string) => (existsSync(cacheRoot(tmp)) ? (readdirSync(cacheRoot(tmp), { recursive: true }) as string[]).filter((f) => statSync(join(cacheRoot(tmp), f)).isFile()) : []);

// Node's own compile cache (>= 22.1); on Node 20 there is none to test.
const hasCompileCache = typeof (Module as unknown as { enableCompileCache?: unknown }).enableCompileCache === 'function';

describe.skipIf(!process.getuid || !hasCompileCache)('SDK code cache', () => {
  it('is written by a first run, private to the user, and a cached run behaves the same', async () => {
    const tmp = fresh();
    const first = await status(tmp);
    expect(first.stderr).toContain('denied by the test');
    const files = cached(tmp);
    expect(files.length).toBeGreaterThan(5);
    expect(statSync(cacheRoot(tmp)).mode & 0o777).toBe(0o700);
    const second = await status(tmp);
    expect(second.code).toBe(first.code);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr.replace(/\d+(\.\d+)?s/g, '')).toBe(first.stderr.replace(/\d+(\.\d+)?s/g, ''));
    // Nothing new to cache on the second run.
    expect(cached(tmp).sort()).toEqual(files.sort());
  }, 120_000);

  it('is not used when turned off, nor in a directory others can write to', async () => {
    const off = fresh();
    const run = await status(off, { FARGATE_PROM_NO_COMPILE_CACHE: '1' });
    expect(run.stderr).toContain('denied by the test');
    expect(existsSync(cacheRoot(off))).toBe(false);

    const shared = fresh();
    mkdirSync(cacheRoot(shared));
    chmodSync(cacheRoot(shared), 0o777);
    const refused = await status(shared);
    expect(refused.stderr).toContain('denied by the test');
    expect(cached(shared)).toEqual([]);

    // A link in its place (to a directory of ours) is not followed.
    const linked = fresh();
    const elsewhere = join(linked, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, cacheRoot(linked));
    expect((await status(linked)).stderr).toContain('denied by the test');
    expect(readdirSync(elsewhere)).toEqual([]);
  }, 120_000);
});

describe('the SDK bundle (scripts/bundle.mjs)', () => {
  it('holds every name the source takes from each SDK package, as the package has it', async () => {
    const script = '../scripts/bundle.mjs';
    const { BUNDLE, namesUsed, sdkPackages } = (await import(script)) as {
      BUNDLE: string; namesUsed(): Record<string, string[]>; sdkPackages(): Record<string, string>;
    };
    const used = namesUsed();
    // The scan finds the clients every command needs (a scan that finds nothing would pass anything).
    expect(used.ecs).toEqual(expect.arrayContaining(['ECSClient', 'CreateServiceCommand', 'RegisterTaskDefinitionCommand']));
    expect(used.core).toEqual(['partition']);
    const bundle = createRequire(import.meta.url)(BUNDLE) as Record<string, Record<string, unknown>>;
    const packages = sdkPackages();
    for (const [key, names] of Object.entries(used)) {
      const original = (sdk as unknown as Record<string, () => Record<string, unknown>>)[key]();
      for (const name of names) {
        expect(typeof bundle[key]?.[name], `${key}.${name}`).toBe(typeof original[name]);
        expect(typeof original[name], `${packages[key]} exports ${name}`).not.toBe('undefined');
      }
    }
  });
});
