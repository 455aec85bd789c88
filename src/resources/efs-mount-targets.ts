import type { MountTargetDescription } from '@aws-sdk/client-efs';
import { CliError } from '../errors.js';
import { hasErrorName } from '../aws/errors.js';
import { pollUntil } from '../aws/retry.js';
import { resource, type Context, type Resource } from './context.js';
import { deleteIgnoringMissing, observed } from './common.js';
import { onFileSystem, type FileSystemState } from './efs-file-system.js';
import type { SecurityGroupState } from './security-group.js';
import { sdk } from '../aws/sdk.js';

const { CreateMountTargetCommand, DeleteMountTargetCommand, DescribeMountTargetsCommand } = sdk.efs();

export interface MountTarget {
  id: string;
  subnetId: string;
  availabilityZone: string;
  state: string;
}

export interface MountTargetsState {
  fileSystemId: string;
  targets: MountTarget[];
}

// Mount targets take about a minute to become available, and as long to go.
const WAIT_MS = 10 * 60_000;

async function list(ctx: Context, fileSystemId: string): Promise<MountTarget[]> {
  const targets = await onFileSystem(async () => (await ctx.aws.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets);
  return targets
    .filter((m: MountTargetDescription) => m.LifeCycleState !== 'deleted')
    .map((m) => ({ id: m.MountTargetId!, subnetId: m.SubnetId!, availabilityZone: m.AvailabilityZoneName ?? '', state: m.LifeCycleState ?? 'unknown' }))
    .sort((a, b) => a.subnetId.localeCompare(b.subnetId));
}

const summary = (targets: MountTarget[]) => targets.map((t) => `${t.id} (${t.availabilityZone || t.subnetId}) ${t.state}`).join(', ');

/**
 * One mount target in each subnet the tasks use, behind the EFS security group. The tasks' subnets are
 * one per availability zone (the ALB takes no more), and EFS allows one mount target per zone
 * (https://docs.aws.amazon.com/efs/latest/ug/API_CreateMountTarget.html). They have no tags: they belong
 * to the stack through its file system.
 */
export function efsMountTargets(refs: { fileSystem: Resource<FileSystemState>; securityGroup: Resource<SecurityGroupState> }): Resource<MountTargetsState> {
  const wanted = (ctx: Context) => [...ctx.spec.network!.subnetIds].sort();
  const self: Resource<MountTargetsState> = resource<MountTargetsState>({
    key: 'efs:mount-targets',
    kind: 'efs-mount-targets',
    name: 'one per availability zone',
    dependsOn: [refs.fileSystem, refs.securityGroup],
    observeAfter: [refs.fileSystem],
    optional: true,
    async observe(ctx) {
      const fs = refs.fileSystem.peek(ctx);
      if (!fs) return undefined;
      const targets = await list(ctx, fs.id);
      if (targets.length === 0) return undefined;
      return observed({ fileSystemId: fs.id, targets }, true, targets.map((t) => t.id).join(','));
    },
    async diff(ctx, state) {
      const have = state.targets.map((t) => t.subnetId);
      const want = wanted(ctx);
      return [
        ...want.filter((s) => !have.includes(s)).map((s) => `add mount target in ${s}`),
        ...state.targets.filter((t) => !want.includes(t.subnetId)).map((t) => `remove mount target ${t.id} in ${t.subnetId}`),
      ];
    },
    create(ctx) {
      return self.update(ctx, { fileSystemId: refs.fileSystem.state(ctx).id, targets: [] }, []);
    },
    async update(ctx, state) {
      const fileSystemId = refs.fileSystem.state(ctx).id;
      const groupId = refs.securityGroup.state(ctx).groupId;
      const want = wanted(ctx);
      const extra = state.targets.filter((t) => !want.includes(t.subnetId));
      await Promise.all(extra.map((t) => deleteIgnoringMissing(() => ctx.aws.efs.send(new DeleteMountTargetCommand({ MountTargetId: t.id })), 'MountTargetNotFound')));
      const missing = want.filter((s) => !state.targets.some((t) => t.subnetId === s));
      await Promise.all(missing.map(async (subnetId) => {
        try {
          await ctx.aws.efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnetId, SecurityGroups: [groupId] }));
        } catch (err) {
          // A retried call whose first attempt went through: the zone has ours already.
          if (hasErrorName(err, 'MountTargetConflict')) return;
          // up checks the zones' type before any change (checkEfsZones: no Local or Wavelength Zone). AWS publishes no
          // list of Availability Zones without EFS mount targets, so for those the answer of CreateMountTarget is the
          // first word of it (https://docs.aws.amazon.com/efs/latest/ug/API_CreateMountTarget.html).
          if (hasErrorName(err, 'UnsupportedAvailabilityZone')) {
            throw new CliError(`EFS cannot place a mount target in subnet ${subnetId}: its availability zone does not offer EFS; pass --subnet-ids from other zones, or --grafana-storage ephemeral`);
          }
          throw err;
        }
      }));
      return { fileSystemId, targets: await list(ctx, fileSystemId) };
    },
    async settle(ctx, state) {
      if (state.targets.every((t) => t.state === 'available')) return state;
      const targets = await pollUntil(() => list(ctx, state.fileSystemId), (ts) => ts.every((t) => t.state !== 'creating'), {
        what: 'EFS mount targets to become available',
        timeoutMs: WAIT_MS,
        intervalMs: 5_000,
        signal: ctx.signal,
        onPoll: (ts) => ctx.reporter.waiting('efs:mount-targets', `EFS mount targets: ${summary(ts)}`),
        explain: (ts) => summary(ts.filter((t) => t.state !== 'available')),
      });
      const bad = targets.filter((t) => t.state !== 'available');
      if (bad.length) throw new CliError(`EFS mount targets not available: ${summary(bad)}`);
      return { ...state, targets };
    },
    async delete(ctx, state) {
      await Promise.all(state.targets.map((t) =>
        deleteIgnoringMissing(() => ctx.aws.efs.send(new DeleteMountTargetCommand({ MountTargetId: t.id })), 'MountTargetNotFound')));
      // The file system answers FileSystemInUse until they are gone.
      await pollUntil(() => list(ctx, state.fileSystemId), (ts) => ts.length === 0, {
        what: 'EFS mount targets to be deleted',
        timeoutMs: WAIT_MS,
        intervalMs: 5_000,
        signal: ctx.signal,
        onPoll: (ts) => ctx.reporter.waiting('efs:mount-targets', `EFS mount targets: ${summary(ts)}`),
        explain: summary,
      });
    },
    async health(ctx, state) {
      const targets = await list(ctx, state.fileSystemId);
      const missing = ctx.spec.network ? wanted(ctx).filter((s) => !targets.some((t) => t.subnetId === s)) : [];
      return {
        healthy: targets.length > 0 && missing.length === 0 && targets.every((t) => t.state === 'available'),
        state: summary(targets) || 'none',
        detail: { mountTargets: targets },
      };
    },
    identify: (s) => s.targets.map((t) => t.id).join(',') || 'none',
  });
  return self;
}
