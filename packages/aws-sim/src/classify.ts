import type { IncomingHttpHeaders } from 'node:http';
import type { Protocol } from './wire.js';

/** What an incoming AWS API request is: which service, which action, and its parsed input. */
export interface ClassifiedCall {
  service: string;
  action: string;
  protocol: Protocol;
  region: string;
  mutating: boolean;
  /** awsJson: the JSON body. awsQuery/ec2Query: the form fields. restJson: the JSON body (or {}). */
  input: Record<string, any>;
  /** restJson only: path segments, e.g. ['workspaces', 'ws-123']. */
  pathSegments: string[];
  query: URLSearchParams;
}

const SCOPE = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

// FilterLogEvents reads too (status looks for the agent's errors); everything else changes something.
const READ_PREFIXES = ['Describe', 'List', 'Get', 'Filter'];

export function isMutating(action: string): boolean {
  return !READ_PREFIXES.some((prefix) => action.startsWith(prefix));
}

/** Returns undefined for requests that are not signed AWS API calls (e.g. /moto-api). */
export function classify(method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): ClassifiedCall | undefined {
  const scope = SCOPE.exec(String(headers.authorization ?? ''));
  if (!scope) return undefined;
  const [, region, service] = scope;
  const parsedUrl = new URL(url, 'http://sim.invalid');
  const base = { service, region, query: parsedUrl.searchParams, pathSegments: [] as string[] };
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const action = target.slice(target.lastIndexOf('.') + 1);
    return { ...base, action, protocol: 'awsJson', mutating: isMutating(action), input: parseJson(body) };
  }
  const contentType = String(headers['content-type'] ?? '');
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const input = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    const action = input.Action ?? 'Unknown';
    return { ...base, action, protocol: service === 'ec2' ? 'ec2Query' : 'awsQuery', mutating: isMutating(action), input };
  }
  const pathSegments = parsedUrl.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (service === 'route53') {
    // Route 53 speaks REST with XML bodies: the rules read the body themselves (see rules/route53.ts).
    const action = route53Action(method, pathSegments);
    return { ...base, pathSegments, action, protocol: 'restXml', mutating: isMutating(action), input: { xml: body.toString('utf8') } };
  }
  const action = service === 'elasticfilesystem' ? efsAction(method, pathSegments) : restAction(method, pathSegments);
  // REST verbs say it directly: only GET/HEAD read.
  const mutating = method !== 'GET' && method !== 'HEAD';
  return { ...base, pathSegments, action, protocol: 'restJson', mutating, input: parseJson(body) };
}

/** AMP (restJson1) operations the CLI uses, named as in the API reference. */
function restAction(method: string, segments: string[]): string {
  const [root, id, sub] = segments;
  if (root === 'workspaces') {
    if (!id) return method === 'POST' ? 'CreateWorkspace' : 'ListWorkspaces';
    if (!sub) return ({ GET: 'DescribeWorkspace', DELETE: 'DeleteWorkspace' } as Record<string, string>)[method] ?? `${method}Workspace`;
    if (sub === 'alias') return 'UpdateWorkspaceAlias';
    const resource = sub.charAt(0).toUpperCase() + sub.slice(1);
    return `${({ GET: 'Describe', DELETE: 'Delete', PUT: 'Put', POST: 'Create' } as Record<string, string>)[method] ?? method}${resource}`;
  }
  if (root === 'tags') {
    return ({ GET: 'ListTagsForResource', POST: 'TagResource', DELETE: 'UntagResource' } as Record<string, string>)[method] ?? `${method}Tags`;
  }
  return `${method} /${root ?? ''}`;
}

const EFS_RESOURCES: Record<string, string> = {
  'file-systems': 'FileSystem',
  'mount-targets': 'MountTarget',
  'access-points': 'AccessPoint',
};

/** EFS (restJson1, paths under /2015-02-01/) operations, named as in the API reference. */
function efsAction(method: string, segments: string[]): string {
  const [, root, id, sub] = segments;
  if (root === 'resource-tags') {
    return ({ GET: 'ListTagsForResource', POST: 'TagResource', DELETE: 'UntagResource' } as Record<string, string>)[method] ?? `${method}Tags`;
  }
  const resource = EFS_RESOURCES[root ?? ''];
  if (!resource) return `${method} /${segments.slice(1).join('/')}`;
  if (sub === 'security-groups') return method === 'PUT' ? 'ModifyMountTargetSecurityGroups' : 'DescribeMountTargetSecurityGroups';
  if (sub) {
    const what = sub.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
    const subject = what === 'Policy' ? 'FileSystemPolicy' : what;
    return `${({ GET: 'Describe', PUT: 'Put' } as Record<string, string>)[method] ?? method}${subject}`;
  }
  if (!id) return `${method === 'POST' ? 'Create' : 'Describe'}${resource}${method === 'POST' ? '' : 's'}`;
  return `${({ DELETE: 'Delete', PUT: 'Update' } as Record<string, string>)[method] ?? method}${resource}`;
}

/** The Route 53 operations the CLI uses (paths under /2013-04-01/), named as in the API reference. */
function route53Action(method: string, segments: string[]): string {
  const [, root, , sub] = segments;
  if (root === 'hostedzonesbyname') return 'ListHostedZonesByName';
  if (root === 'hostedzone' && sub === 'rrset') return method === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets';
  if (root === 'change') return 'GetChange';
  return `${method} /${segments.slice(1).join('/')}`;
}

function parseJson(body: Buffer): Record<string, any> {
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

/** Collects an awsQuery list (`Prefix.1`, `Prefix.2`, …) in index order. */
export function queryList(input: Record<string, string>, prefix: string): string[] {
  const items: Array<[number, string]> = [];
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith(`${prefix}.`)) {
      const index = Number(key.slice(prefix.length + 1));
      if (Number.isInteger(index)) items.push([index, value]);
    }
  }
  return items.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}
