import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BIN, simEnv } from './support/cli.js';
import { freeClosedPort } from './support/ports.js';

/** The modules a CLI run loads (imported or required), recorded by module-resolution hooks. */
async function modulesLoadedBy(args: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fargate-prom-modules-'));
  writeFileSync(join(dir, 'hooks.mjs'), `
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  process.stderr.write('LOADED ' + result.url + '\\n');
  return result;
}`);
  // ESM imports go through the resolve hook; require() (the CLI loads the SDK with it, src/aws/sdk.ts) through Module._resolveFilename.
  writeFileSync(join(dir, 'register.mjs'), `import Module, { register } from 'node:module';
register(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)});
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  process.stderr.write('LOADED file://' + file + '\\n');
  return file;
};
`);
  const { stderr } = await promisify(execFile)(process.execPath, ['--import', join(dir, 'register.mjs'), BIN, ...args], { env: simEnv() })
    .finally(() => rmSync(dir, { recursive: true, force: true }));
  return stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
}

const HELPS = [['--help'], ['up', '--help'], ['status', '--help'], ['destroy', '--help'], ['agent-config', '--help'], ['load', '--help']];

describe('cold start', () => {
  it.each(HELPS.map((args) => [args]))('%j loads commander and the CLI, not the AWS SDK, zod, ora or inquirer', async (args) => {
    const loaded = await modulesLoadedBy(args);
    // A library is its package's files, or its chunk of the bundle (dist/bundle/zod-<hash>.js).
    expect(loaded.some((u) => /\/commander[/-]/.test(u))).toBe(true);
    expect(loaded.filter((u) => /@aws-sdk|@smithy|\/sdk-bundle\/|\/(zod|ora|inquirer|yaml|autocannon|asciichart)[/-]/.test(u))).toEqual([]);
  });

  it('the hook does see the SDK when a command runs (guards the test itself), from the bundle the build makes', async () => {
    const loaded = await modulesLoadedBy(['status', '--endpoint-url', `http://127.0.0.1:${await freeClosedPort()}`]).catch((err: { stderr: string }) =>
      err.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length)));
    expect(loaded.some((u) => u.endsWith('/dist/bundle/sdk-bundle/index.cjs'))).toBe(true);
    // It sees the libraries' chunks of the bundle too (what the --help tests look for).
    expect(loaded.some((u) => /\/dist\/bundle\/zod-[^/]+\.js$/.test(u))).toBe(true);
    // Not the packages' own files, which hold every command of their service (scripts/bundle.mjs).
    expect(loaded.filter((u) => /node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//.test(u))).toEqual([]);
    // Off a terminal (stderr is a pipe here) the spinner is never shown, so ora is never loaded.
    expect(loaded.filter((u) => /\/ora\//.test(u))).toEqual([]);
  });

  it.each(HELPS.map((args) => [args]))('%j exits 0 and shows examples', async (args) => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...args], { env: simEnv() });
    expect(stdout).toMatch(/^Usage: fargate-prom/);
    expect(stdout).toMatch(/\nExamples:\n {2}\$ fargate-prom /);
  });
});
