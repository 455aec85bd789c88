#!/usr/bin/env node
// Bundles the compiled CLI (dist/) into what bin/fargate-prom runs, dist/bundle/:
//
// - cli.js and its chunks: the CLI's own modules and the libraries it imports (commander, zod, yaml),
//   a few files instead of a hundred and more, one chunk per command loaded only when it runs
//   (`--help` loads commander and the CLI only); each library in a chunk named after it.
// - sdk-bundle/: the AWS SDK clients with only the commands this CLI sends.
//
// Each client package ships one CommonJS file with every command of its service (EC2's is 2 MB) that
// V8 parses on every run. Bundled from the packages' ES modules, unused commands drop out and the
// clients share one copy of the SDK core: loading all of them takes about half as long (BENCHMARKS.md).
// src/aws/sdk.ts uses it when it sits beside the code (the bundled CLI) and the packages otherwise
// (the tests that import src/ directly, the benchmark's own use of dist/).
//
// What goes in is read from the source: every `const { A, B } = sdk.key();` and `sdk.key().A`.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_BUNDLE_DIR = join(ROOT, 'dist/bundle');
export const BUNDLE_DIR = join(CLI_BUNDLE_DIR, 'sdk-bundle');
export const BUNDLE = join(BUNDLE_DIR, 'index.cjs');

// Loaded from node_modules at run time: the simulation package (spawns processes, ships its own dist),
// what only a terminal or `load` needs (and may load itself by path), and the SDK (sdk-bundle/).
const EXTERNAL = [/^node:/, /^@fargate-prom\//, /^@aws-sdk\//, /^@smithy\//, /^@aws-crypto\//, 'ora', 'inquirer', 'autocannon'];

/** The CLI from its compiled entry: chunks for the dynamic imports, each library in one named after it. */
export async function bundleCli(dir = CLI_BUNDLE_DIR) {
  rmSync(dir, { recursive: true, force: true });
  await build({
    input: { cli: join(ROOT, 'dist/cli.js') },
    platform: 'node',
    external: EXTERNAL,
    output: {
      dir,
      format: 'esm',
      chunkFileNames: '[name]-[hash].js',
      codeSplitting: { groups: [{ debugName: 'one chunk per library', name: (id) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(id)?.[1].replace('/', '-') ?? null }] },
    },
    logLevel: 'warn',
  });
}

/** The `sdk` keys and their packages, as src/aws/sdk.ts declares them. */
export function sdkPackages(root = ROOT) {
  const source = readFileSync(join(root, 'src/aws/sdk.ts'), 'utf8');
  return Object.fromEntries([...source.matchAll(/^\s*(\w+): \(\) => loadSdk<[^>]*>\('\w+', '(@[\w-]+\/[\w/-]+)'\)/gm)].map((m) => [m[1], m[2]]));
}

/** Every name the source takes from each `sdk` key. */
export function namesUsed(root = ROOT) {
  const used = {};
  const add = (key, name) => (used[key] ??= new Set()).add(name);
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  for (const file of walk(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/const \{([^}]*)\} = sdk\.(\w+)\(\);/g)) {
      for (const part of m[1].split(',').map((s) => s.trim()).filter(Boolean)) add(m[2], part.split(':')[0].trim());
    }
    for (const m of text.matchAll(/sdk\.(\w+)\(\)\.(\w+)/g)) add(m[1], m[2]);
    if (/sdk\.\w+\(\)(?!\.\w)/.test(text.replace(/const \{[^}]*\} = sdk\.\w+\(\);/g, '')) && !file.endsWith(join('aws', 'sdk.ts'))) {
      throw new Error(`${relative(root, file)}: use sdk.key() as \`const { A } = sdk.key();\` or \`sdk.key().A\` so the bundle knows what it needs`);
    }
  }
  return Object.fromEntries(Object.entries(used).map(([k, v]) => [k, [...v].sort()]));
}

/** The SDK packages' exports the source uses, in one CommonJS bundle with chunks for the SDK's own dynamic imports. */
export async function bundleSdk(dir = BUNDLE_DIR) {
  const packages = sdkPackages();
  const used = namesUsed();
  const lines = [];
  for (const [key, names] of Object.entries(used)) {
    if (!packages[key]) throw new Error(`sdk.${key}() is used but src/aws/sdk.ts declares no such client`);
    lines.push(`import { ${names.map((n) => `${n} as ${key}_${n}`).join(', ')} } from '${packages[key]}';`);
    lines.push(`export const ${key} = { ${names.map((n) => `${n}: ${key}_${n}`).join(', ')} };`);
  }
  // The entry sits in the project so that its imports resolve from node_modules.
  rmSync(dir, { recursive: true, force: true });
  const entry = join(ROOT, '.sdk-bundle-entry.mjs');
  writeFileSync(entry, lines.join('\n'));
  try {
    await build({
      input: entry,
      platform: 'node',
      // The packages' ES modules (not their CommonJS builds), so unused commands can be dropped.
      resolve: { mainFields: ['module', 'main'] },
      // The SDK's own dynamic imports (credential providers a run may not need) stay chunks of their own.
      output: { dir, format: 'cjs', minify: true, entryFileNames: 'index.cjs', chunkFileNames: (chunk) => (chunk.name.startsWith('.sdk-bundle-entry') ? 'sdk-[hash].cjs' : '[name]-[hash].cjs') },
      logLevel: 'warn',
    });
  } finally {
    rmSync(entry, { force: true });
  }
  return used;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // The CLI first: it clears dist/bundle/, where the SDK's bundle goes next.
  await bundleCli();
  const used = await bundleSdk();
  const count = Object.values(used).reduce((n, names) => n + names.length, 0);
  console.log(`${relative(ROOT, CLI_BUNDLE_DIR)}: the CLI; ${relative(ROOT, BUNDLE)}: ${Object.keys(used).length} SDK packages, ${count} names`);
}
