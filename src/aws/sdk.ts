import { createRequire } from 'node:module';

// The AWS SDK clients ship as CommonJS bundles (EC2's is 2 MB). An ESM `import` of one first scans its
// whole source for export names (Node's cjs-module-lexer) before running it; require() skips that scan,
// which saves about 0.3 s of every command's start here (BENCHMARKS.md). Same modules, same classes: an
// `import` elsewhere (the tests' aws-sdk-client-mock) gets these very objects from Node's module cache.
const load = createRequire(import.meta.url);

/** Each SDK client package, loaded on first use. */
export const sdk = {
  acm: () => load('@aws-sdk/client-acm') as typeof import('@aws-sdk/client-acm'),
  amp: () => load('@aws-sdk/client-amp') as typeof import('@aws-sdk/client-amp'),
  ec2: () => load('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2'),
  ecs: () => load('@aws-sdk/client-ecs') as typeof import('@aws-sdk/client-ecs'),
  efs: () => load('@aws-sdk/client-efs') as typeof import('@aws-sdk/client-efs'),
  elbv2: () => load('@aws-sdk/client-elastic-load-balancing-v2') as typeof import('@aws-sdk/client-elastic-load-balancing-v2'),
  iam: () => load('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam'),
  logs: () => load('@aws-sdk/client-cloudwatch-logs') as typeof import('@aws-sdk/client-cloudwatch-logs'),
  route53: () => load('@aws-sdk/client-route-53') as typeof import('@aws-sdk/client-route-53'),
  secrets: () => load('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager'),
  tagging: () => load('@aws-sdk/client-resource-groups-tagging-api') as typeof import('@aws-sdk/client-resource-groups-tagging-api'),
};
