import { stackNames, type StackNames } from './spec.js';

/**
 * What AWS accepts as a name, per kind of resource the stack makes. --name's own rule (1–20 of a-z0-9-,
 * a letter first, no trailing hyphen) already keeps every derived name within these lengths and
 * characters; the prefixes are what it lets through (`sg-shop` → security group `sg-shop-alb`).
 */
interface NameRule {
  /** What the rule is about, as the error line says it ("security group names"). */
  what: string;
  /** The derived names it applies to. */
  names: (n: StackNames) => string[];
  /** Why AWS would refuse the name, or undefined when it accepts it. */
  problem: (name: string) => string | undefined;
}

const longerThan = (max: number) => (name: string) => (name.length > max ? `are at most ${max} characters` : undefined);
const onlyChars = (re: RegExp, chars: string) => (name: string) => (re.test(name) ? undefined : `may contain only ${chars}`);
const notStartingWith = (prefix: string) => (name: string) => (name.startsWith(prefix) ? `cannot start with "${prefix}"` : undefined);
const noEdgeHyphen = (name: string) => (/^-|-$/.test(name) ? 'cannot begin or end with a hyphen' : undefined);
const all = (...checks: Array<(name: string) => string | undefined>) => (name: string) => checks.map((c) => c(name)).find(Boolean);

const RULES: NameRule[] = [
  {
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
    what: 'security group names',
    names: (n) => [n.albSecurityGroup, n.tasksSecurityGroup],
    problem: all(notStartingWith('sg-'), longerThan(255)),
  },
  {
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
    what: 'load balancer names',
    names: (n) => [n.loadBalancer],
    problem: all(notStartingWith('internal-'), longerThan(32), onlyChars(/^[A-Za-z0-9-]+$/, 'letters, digits and hyphens'), noEdgeHyphen),
  },
  {
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
    what: 'target group names',
    names: (n) => [n.appTargetGroup, n.grafanaTargetGroup],
    problem: all(longerThan(32), onlyChars(/^[A-Za-z0-9-]+$/, 'letters, digits and hyphens'), noEdgeHyphen),
  },
  {
    // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
    what: 'IAM role names',
    names: (n) => [n.executionRole, n.appTaskRole, n.grafanaTaskRole],
    problem: all(longerThan(64), onlyChars(/^[\w+=,.@-]+$/, 'letters, digits and +=,.@_-')),
  },
  {
    // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
    what: 'log group names',
    names: (n) => [n.appLogGroup, n.agentLogGroup, n.grafanaLogGroup],
    problem: all(longerThan(512), onlyChars(/^[\w\-/.#]+$/, 'letters, digits and _-/.#')),
  },
  {
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
    what: 'secret names',
    names: (n) => [n.grafanaSecret],
    problem: all(
      longerThan(512),
      onlyChars(/^[A-Za-z0-9/_+=.@-]+$/, 'ASCII letters, digits and /_+=.@-'),
      // Secrets Manager appends "-" and six characters to the ARN: a name ending so is ambiguous there.
      (name) => (/-[^-/]{6}$/.test(name) ? 'should not end with a hyphen and six characters' : undefined),
    ),
  },
  {
    // https://docs.aws.amazon.com/prometheus/latest/APIReference/API_CreateWorkspace.html
    what: 'AMP workspace aliases',
    names: (n) => [n.workspaceAlias],
    problem: longerThan(100),
  },
  {
    // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html,
    // API_CreateService.html and API_RegisterTaskDefinition.html (family): up to 255 letters, digits, - and _.
    what: 'ECS cluster, service and task definition family names',
    names: (n) => [n.cluster, n.appService, n.grafanaService, n.appFamily, n.grafanaFamily],
    problem: all(longerThan(255), onlyChars(/^[A-Za-z0-9_-]+$/, 'letters, digits, hyphens and underscores')),
  },
];

/**
 * The first name derived from `stack` that AWS would refuse, as "<what> <problem> (the stack's … would be
 * <name>)", or undefined when AWS takes them all. Checked before any AWS call, so a bad --name never
 * fails half-way through `up`.
 */
export function refusedStackName(stack: string): string | undefined {
  const names = stackNames(stack);
  for (const rule of RULES) {
    for (const name of rule.names(names)) {
      const problem = rule.problem(name);
      if (problem) return `${rule.what} ${problem} (this stack's would be ${name})`;
    }
  }
  return undefined;
}
