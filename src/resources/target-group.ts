import { CliError } from '../errors.js';
import { hasErrorName } from '../aws/errors.js';
import { retryWhile } from '../aws/retry.js';
import { resource, type Context, type Resource } from './context.js';
import { isOwned, requireOptions, tags } from '../stack/spec.js';
import { createOrAdopt, deleteIgnoringMissing, fieldDiffs, observed } from './common.js';
import { canonicalJson } from '../util/json.js';
import { sdk } from '../aws/sdk.js';

const { CreateTargetGroupCommand, DeleteTargetGroupCommand, DescribeTagsCommand, DescribeTargetGroupAttributesCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ModifyTargetGroupAttributesCommand, ModifyTargetGroupCommand } = sdk.elbv2();

export interface HealthCheck {
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  matcher: string;
}

export interface TargetGroupState {
  name: string;
  arn: string;
  vpcId: string;
  healthCheck: HealthCheck;
  deregistrationDelaySeconds: number;
}

// Short checks and a short deregistration delay make deploys and deletes take seconds, not minutes
// (the defaults are 30 s × 5 checks and 300 s of draining). Allowed: interval 5–300 s, timeout 2–120 s and
// below the interval, thresholds 2–10
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
// - interval 5 s, the minimum: a new target is healthy after 2 × 5 s = 10 s of passing checks, not 20 s;
// - timeout 4 s: below the interval as required; a health endpoint answers in milliseconds, so 4 s only
//   fails a task that is really stuck;
// - healthy threshold 2, the minimum;
// - unhealthy threshold 6: 6 × 5 s = 30 s of failed checks before a target is taken out, as long as the
//   former 3 × 10 s, so a short pause (GC, a slow disk) does not make it flap.
const FAST_CHECKS = { intervalSeconds: 5, timeoutSeconds: 4, healthyThreshold: 2, unhealthyThreshold: 6 };
// 0–3600 s, default 300 (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay).
// ECS waits out this delay before it stops a task that leaves the target group (destroy, a rolling update).
// The app is stateless and its requests are short, Grafana's queries take seconds at most, and a rolling
// update starts the new tasks (minimumHealthyPercent 100) before the old ones deregister: 5 s lets the
// requests in flight finish, and a dashboard panel cut off re-runs at its next refresh.
const DEREGISTRATION_DELAY_SECONDS = 5;

export async function lookupTags(ctx: Context, arns: string[]) {
  const out = await ctx.aws.elb.send(new DescribeTagsCommand({ ResourceArns: arns }));
  return new Map((out.TagDescriptions ?? []).map((d) => [d.ResourceArn!, d.Tags ?? []]));
}

/** An `ip` target group (awsvpc tasks register by IP) with a fast health check. */
export function targetGroup(id: string, name: string, port: (ctx: Context) => number, health: (ctx: Context) => Pick<HealthCheck, 'path' | 'matcher'>): Resource<TargetGroupState> {
  const desiredCheck = (ctx: Context): HealthCheck => ({ ...FAST_CHECKS, ...health(ctx) });
  const self: Resource<TargetGroupState> = resource<TargetGroupState>({
    key: id,
    kind: 'target-group',
    name,
    dependsOn: [],
    async observe(ctx) {
      let tg;
      try {
        tg = (await ctx.aws.elb.send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups?.[0];
      } catch (err) {
        if (hasErrorName(err, 'TargetGroupNotFoundException', 'TargetGroupNotFound')) return undefined;
        throw err;
      }
      if (!tg) return undefined;
      const arn = tg.TargetGroupArn!;
      const owned = isOwned(ctx.spec, (await lookupTags(ctx, [arn])).get(arn));
      let delay = 300;
      if (owned) {
        const attrs = await ctx.aws.elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
        delay = Number(attrs.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value ?? 300);
      }
      return observed({
        name,
        arn,
        vpcId: tg.VpcId!,
        healthCheck: {
          path: tg.HealthCheckPath ?? '/',
          intervalSeconds: tg.HealthCheckIntervalSeconds!,
          timeoutSeconds: tg.HealthCheckTimeoutSeconds!,
          healthyThreshold: tg.HealthyThresholdCount!,
          unhealthyThreshold: tg.UnhealthyThresholdCount!,
          matcher: tg.Matcher?.HttpCode ?? '200',
        },
        deregistrationDelaySeconds: delay,
      }, owned, arn);
    },
    async diff(ctx, state) {
      const want = desiredCheck(ctx);
      return fieldDiffs([
        ['vpc', state.vpcId, ctx.spec.network!.vpcId],
        ['health check path', state.healthCheck.path, want.path],
        ['health check matcher', state.healthCheck.matcher, want.matcher],
        ['health check interval', state.healthCheck.intervalSeconds, want.intervalSeconds],
        ['health check timeout', state.healthCheck.timeoutSeconds, want.timeoutSeconds],
        ['healthy threshold', state.healthCheck.healthyThreshold, want.healthyThreshold],
        ['unhealthy threshold', state.healthCheck.unhealthyThreshold, want.unhealthyThreshold],
        ['deregistration delay', state.deregistrationDelaySeconds, DEREGISTRATION_DELAY_SECONDS],
      ]);
    },
    async create(ctx) {
      const hc = desiredCheck(ctx);
      const state = await createOrAdopt(self, ctx, async () => {
        const out = await ctx.aws.elb.send(new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'HTTP',
          Port: port(ctx),
          VpcId: ctx.spec.network!.vpcId,
          TargetType: 'ip',
          HealthCheckProtocol: 'HTTP',
          ...healthCheckParameters(hc),
          Tags: tags.keyValue(ctx.spec),
        }));
        return { name, arn: out.TargetGroups![0].TargetGroupArn!, vpcId: ctx.spec.network!.vpcId, healthCheck: hc, deregistrationDelaySeconds: 300 };
      }, ['DuplicateTargetGroupNameException']);
      return self.update(ctx, state, []);
    },
    async update(ctx, state) {
      if (state.vpcId !== ctx.spec.network!.vpcId) {
        throw new CliError(`target group ${name} is in ${state.vpcId}, not ${ctx.spec.network!.vpcId}; a stack cannot move VPCs — run destroy first`);
      }
      const hc = desiredCheck(ctx);
      // Key order differs between what observe reads and what desiredCheck builds: compare canonically.
      if (canonicalJson(hc) !== canonicalJson(state.healthCheck)) {
        await ctx.aws.elb.send(new ModifyTargetGroupCommand({
          TargetGroupArn: state.arn,
          ...healthCheckParameters(hc),
        }));
      }
      if (state.deregistrationDelaySeconds !== DEREGISTRATION_DELAY_SECONDS) {
        await ctx.aws.elb.send(new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: state.arn,
          Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(DEREGISTRATION_DELAY_SECONDS) }],
        }));
      }
      return { ...state, healthCheck: hc, deregistrationDelaySeconds: DEREGISTRATION_DELAY_SECONDS };
    },
    async delete(ctx, state) {
      await retryWhile(
        () => deleteIgnoringMissing(() => ctx.aws.elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: state.arn })), 'TargetGroupNotFoundException'),
        {
          what: `deleting target group ${name}`,
          budgetMs: 3 * 60_000,
          signal: ctx.signal,
          retryWhen: (err) => (hasErrorName(err, 'ResourceInUseException', 'ResourceInUse') ? 'a listener or rule still forwards to it' : undefined),
          onRetry: (reason) => ctx.reporter.waiting(id, `target group ${name}: ${reason}`),
        },
      );
    },
    async health(ctx, state) {
      const out = await ctx.aws.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: state.arn }));
      const targets = out.TargetHealthDescriptions ?? [];
      const healthy = targets.filter((t) => t.TargetHealth?.State === 'healthy').length;
      const unhealthy = targets.filter((t) => t.TargetHealth?.State === 'unhealthy').map((t) => `${t.Target?.Id}: ${t.TargetHealth?.Reason ?? 'unhealthy'}`);
      return {
        healthy: targets.length > 0 && healthy === targets.length,
        state: `${healthy}/${targets.length} healthy`,
        detail: { healthy, total: targets.length, ...(unhealthy.length ? { unhealthy } : {}) },
      };
    },
    identify: (s) => s.arn,
  });
  return self;
}

export function appTargetGroup(name: string) {
  return targetGroup('tg:app', name, (ctx) => requireOptions(ctx.spec).appPort, (ctx) => ({ path: requireOptions(ctx.spec).healthPath, matcher: '200-399' }));
}

export function grafanaTargetGroup(name: string) {
  return targetGroup('tg:grafana', name, () => 3000, () => ({ path: '/dashboard/api/health', matcher: '200' }));
}

/** The health check as CreateTargetGroup and ModifyTargetGroup both take it. */
function healthCheckParameters(hc: HealthCheck) {
  return {
    HealthCheckPath: hc.path,
    HealthCheckIntervalSeconds: hc.intervalSeconds,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds,
    HealthyThresholdCount: hc.healthyThreshold,
    UnhealthyThresholdCount: hc.unhealthyThreshold,
    Matcher: { HttpCode: hc.matcher },
  };
}
