// The region and profile a command will use, checked before any AWS call: a region the SDK does not
// know would only fail after retries against a host that does not exist, and a missing profile as
// "no credentials found".
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { sdk } from '../aws/sdk.js';
import { InputError } from '../errors.js';

const REGION_FIX = 'pass one such as --region us-east-1';

/**
 * Whether the AWS SDK knows this region. Its endpoint table lists every region of every partition
 * (aws, aws-cn, aws-us-gov, …) with a description; a name it does not list gets the aws partition's
 * defaults without one. Pseudo-regions such as aws-global are not places a stack can run.
 */
export function isKnownRegion(region: string): boolean {
  if (region.endsWith('-global')) return false;
  return (sdk.core().partition(region) as { description?: string }).description !== undefined;
}

/** Throws an input error naming --region unless the SDK knows the region; `from` says where it came from. */
export function checkRegion(region: string, from: 'flag' | 'env' | { profile: string }): void {
  if (isKnownRegion(region)) return;
  const what = from === 'flag' ? `"${region}"` : from === 'env' ? `AWS_REGION is "${region}", which` : `"${region}" (the region of profile ${from.profile})`;
  const fix = from === 'flag' ? REGION_FIX : from === 'env' ? `${REGION_FIX} or fix AWS_REGION` : `${REGION_FIX} or fix the profile's region`;
  throw new InputError(`--region: ${what} is not an AWS region; ${fix}`);
}

/** The shared config and credentials files, where the SDK looks for them. */
export function sharedFiles(env: NodeJS.ProcessEnv = process.env): { home: string; config: string; credentials: string } {
  const home = env.HOME || env.USERPROFILE || (env.HOMEPATH ? `${env.HOMEDRIVE ?? 'C:\\'}${env.HOMEPATH}` : homedir());
  const expand = (p: string) => (p.startsWith('~/') ? join(home, p.slice(2)) : p);
  return {
    home,
    config: expand(env.AWS_CONFIG_FILE || join(home, '.aws', 'config')),
    credentials: expand(env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials')),
  };
}

// `[prefix name]` sections, parsed as the SDK parses them; in the config file only `profile` ones are profiles.
const PREFIXED_SECTION = /^([\w-]+)\s(["'])?([\w@+.%:/-]+)\2$/;
const SECTION_PREFIXES = ['profile', 'sso-session', 'services'];

function iniSections(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.split(/(^|\s)[;#]/)[0].trim())
    .filter((line) => line.startsWith('[') && line.endsWith(']'))
    .map((line) => line.slice(1, -1));
}

/** Profile names the SDK can use: `[default]` and `[profile x]` in the config file, `[x]` in the credentials file. */
export function sharedProfileNames(env: NodeJS.ProcessEnv = process.env): Set<string> {
  const files = sharedFiles(env);
  const names = new Set<string>();
  for (const section of iniSections(files.config)) {
    const m = PREFIXED_SECTION.exec(section);
    if (section === 'default') names.add(section);
    else if (m?.[1] === 'profile') names.add(m[3]);
  }
  for (const section of iniSections(files.credentials)) {
    const m = PREFIXED_SECTION.exec(section);
    if (!m || !SECTION_PREFIXES.includes(m[1])) names.add(section);
  }
  return names;
}

/** Throws an input error naming --profile unless the profile is in the shared files; `from` says where it came from. */
export function checkProfile(profile: string, from: 'flag' | 'env', env: NodeJS.ProcessEnv = process.env): void {
  if (sharedProfileNames(env).has(profile)) return;
  const files = sharedFiles(env);
  const show = (p: string) => (p.startsWith(`${files.home}/`) ? `~/${p.slice(files.home.length + 1)}` : p);
  const what = from === 'flag' ? `"${profile}" is not` : `AWS_PROFILE is "${profile}", which is not`;
  const fix = from === 'flag' ? '' : ', or unset AWS_PROFILE';
  throw new InputError(
    `--profile: ${what} a profile in ${show(files.config)} or ${show(files.credentials)}; ` +
      `pass one that \`aws configure list-profiles\` lists, or create it with \`aws configure --profile ${profile}\`${fix}`,
  );
}
